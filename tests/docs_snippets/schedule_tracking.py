import requests

url = "https://api.huskyvoice.ai/v1/appointment-slots/schedule-tracking"
headers = {"Authorization": "Bearer YOUR_API_KEY"}
params = {
    "date_from": "2026-06-15",
    "date_to": "2026-06-21"
}

response = requests.get(url, headers=headers, params=params)
print(response.json())
