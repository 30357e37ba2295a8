import requests

url = "https://api.huskyvoice.ai/v1/appointment-slots/regenerate"
headers = {
    "Authorization": "Bearer YOUR_API_KEY",
    "Content-Type": "application/json"
}
payload = {
    "date_from": "2026-06-15",
    "date_to": "2026-06-30"
}

response = requests.post(url, json=payload, headers=headers)
print(response.json())
