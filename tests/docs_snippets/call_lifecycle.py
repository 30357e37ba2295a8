import os
import requests

API_KEY = os.environ["APPEQ_API_KEY"]
BASE_URL = "https://api.huskyvoice.ai/v1"

session = requests.Session()
session.headers.update({
    "Authorization": f"Bearer {API_KEY}",
    "Content-Type": "application/json",
})

# ── Create a call ──────────────────────────────────────────────────────────
res = session.post(f"{BASE_URL}/calls", json={
    "agent_id": "agent_123",
    "contact_number": "+919876543210",
    "contact_name": "Raj Patel",
    "contact_email": "raj@company.com",
    "additional_info": {"company": "Acme Corp", "deal_stage": "negotiation"},
})
res.raise_for_status()
call_id = res.json()["data"]["call_id"]
print(f"Created: {call_id}")

# ── Get call status ────────────────────────────────────────────────────────
res = session.get(f"{BASE_URL}/calls/{call_id}")
res.raise_for_status()
call = res.json()["data"]
print(f"Status: {call['status']}")

# ── Cancel a call ──────────────────────────────────────────────────────────
res = session.post(f"{BASE_URL}/calls/{call_id}/cancel")
if res.status_code == 409:
    print("Cannot cancel — call already started or completed")
else:
    res.raise_for_status()
    print(f"Cancelled: {res.json()['data']['status']}")
