const response = await fetch(
  "https://api.huskyvoice.ai/v1/appointment-slots/regenerate",
  {
    method: "POST",
    headers: {
      "Authorization": "Bearer YOUR_API_KEY",
      "Content-Type": "application/json"
    },
    body: JSON.stringify({ date_from: "2026-06-15", date_to: "2026-06-30" })
  }
);
const data = await response.json();
console.log(data);
