#!/bin/bash
API_KEY="$APPEQ_API_KEY"
BASE_URL="https://api.huskyvoice.ai/v1"

# ── Create a call ──────────────────────────────────────────────────────────
CALL_ID=$(curl -s -X POST "$BASE_URL/calls" \
  -H "Authorization: Bearer $API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "agent_id": "agent_123",
    "contact_number": "+919876543210",
    "contact_name": "Raj Patel",
    "contact_email": "raj@company.com",
    "additional_info": {"company": "Acme Corp", "deal_stage": "negotiation"}
  }' | jq -r '.data.call_id')

echo "Created: $CALL_ID"

# ── Get call status ────────────────────────────────────────────────────────
STATUS=$(curl -s "$BASE_URL/calls/$CALL_ID" \
  -H "Authorization: Bearer $API_KEY" | jq -r '.data.status')

echo "Status: $STATUS"

# ── Cancel a call ──────────────────────────────────────────────────────────
CANCEL_STATUS=$(curl -s -o /dev/null -w "%{http_code}" \
  -X POST "$BASE_URL/calls/$CALL_ID/cancel" \
  -H "Authorization: Bearer $API_KEY")

if [ "$CANCEL_STATUS" = "409" ]; then
  echo "Cannot cancel — call already started or completed"
else
  echo "Cancelled successfully"
fi
