const params = new URLSearchParams({
  date_from: "2026-06-15",
  date_to: "2026-06-21"
});

const response = await fetch(
  `https://api.huskyvoice.ai/v1/appointment-slots/schedule-tracking?${params}`,
  { headers: { "Authorization": "Bearer YOUR_API_KEY" } }
);
const data = await response.json();
console.log(data);
