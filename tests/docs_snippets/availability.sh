curl -s "https://api.huskyvoice.ai/v1/appointment-slots/availability?date=2026-06-15&session=Morning" \
  -H "Authorization: Bearer YOUR_API_KEY"
