curl -s "https://api.huskyvoice.ai/v1/appointment-slots/schedule-tracking?date_from=2026-06-15&date_to=2026-06-21" \
  -H "Authorization: Bearer YOUR_API_KEY"
