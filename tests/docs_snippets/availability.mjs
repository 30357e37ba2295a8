const params = new URLSearchParams({ date: "2026-06-15", session: "Morning" });

const response = await fetch(
  `https://api.huskyvoice.ai/v1/appointment-slots/availability?${params}`,
  { headers: { "Authorization": "Bearer YOUR_API_KEY" } }
);
const data = await response.json();
console.log(data);
