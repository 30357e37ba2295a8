const slotId = "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479";

const response = await fetch(
  `https://api.huskyvoice.ai/v1/appointment-slots/tracking/${encodeURIComponent(slotId)}`,
  {
    method: "PATCH",
    headers: {
      "Authorization": "Bearer YOUR_API_KEY",
      "Content-Type": "application/json"
    },
    body: JSON.stringify({ status: "CLOSED" })
  }
);
const data = await response.json();
console.log(data);
