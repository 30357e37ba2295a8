curl -s -X PATCH \
  "https://api.huskyvoice.ai/v1/appointment-slots/tracking/a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479" \
  -H "Authorization: Bearer YOUR_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"status": "CLOSED"}'
