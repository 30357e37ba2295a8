const API_KEY = process.env.APPEQ_API_KEY;
const BASE_URL = "https://api.huskyvoice.ai/v1";

const headers = {
  Authorization: `Bearer ${API_KEY}`,
  "Content-Type": "application/json",
};

// ── Create a call ──────────────────────────────────────────────────────────
const createRes = await fetch(`${BASE_URL}/calls`, {
  method: "POST",
  headers,
  body: JSON.stringify({
    agent_id: "agent_123",
    contact_number: "+919876543210",
    contact_name: "Raj Patel",
    contact_email: "raj@company.com",
    additional_info: { company: "Acme Corp", deal_stage: "negotiation" },
  }),
});
if (!createRes.ok) throw new Error(`Create failed: ${createRes.status}`);
const { data: { call_id } } = await createRes.json();
console.log("Created:", call_id);

// ── Get call status ────────────────────────────────────────────────────────
const statusRes = await fetch(`${BASE_URL}/calls/${call_id}`, { headers });
if (!statusRes.ok) throw new Error(`Status failed: ${statusRes.status}`);
const { data: call } = await statusRes.json();
console.log("Status:", call.status);

// ── Cancel a call ──────────────────────────────────────────────────────────
const cancelRes = await fetch(`${BASE_URL}/calls/${call_id}/cancel`, {
  method: "POST",
  headers,
});
if (cancelRes.status === 409) {
  console.log("Cannot cancel — call already started or completed");
} else if (!cancelRes.ok) {
  throw new Error(`Cancel failed: ${cancelRes.status}`);
} else {
  const { data } = await cancelRes.json();
  console.log("Cancelled:", data.status);
}
