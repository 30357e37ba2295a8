-- Plain GET with the API key (the URL carries the path and query). Used by
-- bench/prism_compare.py for GET /calls/{id}, availability and schedule tracking.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("HV_API_KEY") or "YOUR_API_KEY")
