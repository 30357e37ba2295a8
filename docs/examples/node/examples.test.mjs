// The same flows as docs/examples/python, in plain Node (18+): fetch against a running mock
// (`make mock`, or HUSKYVOICE_URL=http://host:port), driven through its control API over HTTP.
//   node --test docs/examples/node/
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

const ORIGIN = (process.env.HUSKYVOICE_URL ?? "http://127.0.0.1:4010").replace(/\/$/, "");
const WINDOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"; // the docs' Monday Morning window
const GENERAL_CHECKUP = "f47ac10b-58cc-4372-a567-0e02b2c3d479";

// A mock of this test's own: every request carries its X-Mock-Session.
function session() {
  const headers = { "X-Mock-Session": `node-${randomUUID().slice(0, 12)}` };
  const send = async (method, url, body, extra = {}) => {
    const response = await fetch(url, {
      method,
      headers: { ...headers, ...extra, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, json: await response.json() };
  };
  const api = (method, path, body) =>
    send(method, `${ORIGIN}/v1${path}`, body, { Authorization: "Bearer YOUR_API_KEY" });
  const control = async (method, path, body) => {
    const answer = await send(method, `${ORIGIN}/_mock${path}`, body);
    assert.ok(answer.status < 300, `${method} /_mock${path}: ${JSON.stringify(answer.json)}`);
    return answer.json;
  };
  return { api, control, drop: () => fetch(`${ORIGIN}/_mock/sessions/${headers["X-Mock-Session"]}`, { method: "DELETE" }) };
}

// The client an integrator would write: a 429 is retried after its Retry-After.
async function withRetry(call, attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    const answer = await call();
    if (answer.status !== 429 || attempt === attempts) return answer;
    await new Promise((done) => setTimeout(done, 1000 * Number(answer.headers.get("retry-after") ?? 1)));
  }
}

test("a scheduled call completes once the clock moves past its end", async () => {
  const { api, control, drop } = session();
  const created = await api("POST", "/calls", { agent_id: "agent_123", contact_number: "+919876543210" });
  assert.equal(created.status, 201);
  const id = created.json.data.call_id;
  assert.equal((await api("GET", `/calls/${id}`)).json.data.status, "scheduled");
  await control("POST", "/clock/advance", { seconds: 600 });
  assert.equal((await api("GET", `/calls/${id}`)).json.data.status, "completed");
  await drop();
});

test("a 429 is retried after its Retry-After", async () => {
  const { api, control, drop } = session();
  await control("POST", "/faults", { operation_id: "getAvailability", status: 429, retry_after: 1, times: 1 });
  const started = Date.now();
  const answer = await withRetry(() => api("GET", "/appointment-slots/availability?date=2026-06-15&session=Morning"));
  assert.equal(answer.status, 200);
  assert.ok(Date.now() - started >= 1000);
  const journal = await control("GET", "/journal?operation_id=getAvailability");
  assert.deepEqual(journal.data.map((entry) => entry.status).reverse(), [429, 200]);
  await drop();
});

test("availability counts the appointments seeded for the day", async () => {
  const { api, control, drop } = session();
  const path = "/appointment-slots/availability?date=2026-06-15&session=Morning";
  const before = (await api("GET", path)).json.slots[0];
  await control("POST", "/seed/appointments", {
    calendar_id: WINDOW, date: "2026-06-15", appointment_type_id: GENERAL_CHECKUP, status: "confirmed", count: 4,
  });
  const after = (await api("GET", path)).json.slots[0];
  assert.equal(after.filled_slots, before.filled_slots + 4);
  assert.equal(after.available_slots, before.available_slots - 4);
  await drop();
});
