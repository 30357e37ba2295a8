curl -s -X POST https://api.huskyvoice.ai/v1/appointment-slots/regenerate \
  -H "Authorization: Bearer YOUR_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"date_from": "2026-06-15", "date_to": "2026-06-30"}'
