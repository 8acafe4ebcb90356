// The examples: the Express app over loopback, and the browser snippet's
// segment preview (its pure part, which the page also runs).

import { test } from "node:test";
import assert from "node:assert/strict";

import * as mfa from "mfa-core";
import { preview, describe } from "../examples/browser/preview.js";

test("browser snippet: segment preview", () => {
  const p = preview(mfa, "Your code is 123456");
  assert.deepEqual(p, { encoding: "gsm7", units: 19, parts: 1, single: 160, culprits: [] });
  assert.equal(describe(p), "19 septets (gsm7) → 1 SMS part, 141 left in one segment");
  const q = preview(mfa, "Ваш код — 123456 ✓".repeat(4));
  assert.equal(q.encoding, "ucs2");
  assert.ok(q.parts >= 2);
  assert.ok(q.culprits.includes("В") && q.culprits.includes("✓"));
  assert.ok(!q.culprits.includes("1"));
});

let express;
try {
  express = await import("express");
} catch {}

test("express example: issue, verify, refusals", { skip: !express && "express is not installed" }, async () => {
  const { createApp } = await import("../examples/express.js");
  const outbox = [];
  const app = createApp({
    send: (channel, to, text) => outbox.push({ channel, to, text }),
    sendPolicy: new mfa.SendPolicy([{ max: 2, intervalSecs: 3600 }]),
    lockoutPolicy: new mfa.LockoutPolicy({ freeFailures: 3, baseDelaySecs: 60, maxDelaySecs: 60, hardLimit: 10 }),
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const post = async (path, body) => {
    const r = await fetch(base + path, { method: "POST", body, headers: { "content-type": "application/json" } });
    return { status: r.status, headers: r.headers, json: await r.json() };
  };
  try {
    const issued = await post("/mfa/sms", JSON.stringify({ to: "+15557788999" }));
    assert.equal(issued.status, 200);
    assert.deepEqual(Object.keys(issued.json), ["id", "success", "to", "channel"]);
    const code = outbox.at(-1).text.split(" ").at(-1);
    const wrong = await post(`/mfa/${issued.json.id}/verify`, JSON.stringify({ token: code === "000000" ? "111111" : "000000" }));
    assert.deepEqual([wrong.status, wrong.json], [200, { success: false }]);
    const ok = await post(`/mfa/${issued.json.id}/verify`, JSON.stringify({ token: `${code.slice(0, 3)}-${code.slice(3)}` }));
    assert.deepEqual([ok.status, ok.json], [200, { success: true }]);
    const again = await post(`/mfa/${issued.json.id}/verify`, JSON.stringify({ token: code }));
    assert.equal(again.status, 404);
    assert.equal(again.json.errors[0].code, "already_verified");

    const bad = await post("/mfa/sms", '{"to": "+15557788999", "colour": "red"}');
    assert.equal(bad.status, 422);
    assert.equal(bad.json.errors[0].code, "invalid_body");
    const invalid = await post("/mfa/call", JSON.stringify({ to: "555", token_length: 3 }));
    assert.deepEqual(invalid.json.errors.map((e) => e.code), ["invalid_e164", "out_of_range"]);
    const unknown = await post("/mfa/00000000-0000-4000-8000-000000000000/verify", '{"token": "123456"}');
    assert.equal(unknown.status, 404);

    // The send limit: two an hour for a number, then 429 with Retry-After.
    for (let i = 0; i < 2; i++) assert.equal((await post("/mfa/sms", '{"to": "+15550001111"}')).status, 200);
    const limited = await post("/mfa/sms", '{"to": "+15550001111"}');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);

    // The lockout across a number's challenges: three free failures and a
    // fourth that starts the wait; then even the right code is refused.
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push((await post("/mfa/sms", '{"to": "+15552223333", "max_attempts": 20}')).json.id);
    const right = outbox.at(-1).text.split(" ").at(-1);
    for (let i = 0; i < 4; i++) {
      assert.deepEqual((await post(`/mfa/${ids[0]}/verify`, '{"token": "ZZZZ"}')).json, { success: false });
    }
    const locked = await post(`/mfa/${ids[1]}/verify`, JSON.stringify({ token: right }));
    assert.equal(locked.status, 429);
    assert.equal(locked.json.errors[0].code, "locked");
    assert.equal(locked.headers.get("retry-after"), "60");
  } finally {
    server.close();
  }
});
