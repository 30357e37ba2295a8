-- POST /calls with the docs' minimal body. Used by bench/prism_compare.py:
--   wrk -t2 -c32 -d10s --latency -s bench/wrk/post_calls.lua http://127.0.0.1:PORT/v1/calls
-- The API key can be overridden with the HV_API_KEY environment variable.
wrk.method = "POST"
wrk.body = '{"agent_id":"agent_123","contact_number":"+919876543210"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("HV_API_KEY") or "YOUR_API_KEY")
