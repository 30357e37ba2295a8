import requests

url = "https://api.huskyvoice.ai/v1/appointment-slots/availability"
headers = {"Authorization": "Bearer YOUR_API_KEY"}
params = {"date": "2026-06-15", "session": "Morning"}

response = requests.get(url, headers=headers, params=params)
print(response.json())
