// Per-call cost of the WASM package against plain JavaScript
// (crypto.randomInt + crypto.timingSafeEqual). Prints one JSON object.
// Run from anywhere after bindings/wasm/build.sh.
import { randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import { fileURLToPath } from "node:url";

const mfa = await import(fileURLToPath(new URL("../wasm/pkg/node.js", import.meta.url)));
const { Challenge, Request } = mfa;

const T0 = 1_700_000_000;
const TO = "+15557788999";
const E164 = /^\+[1-9][0-9]{1,14}$/;

function perCall(fn, setup, budget = 0.25, repeats = 5) {
  let n = 1;
  let dt;
  for (;;) {
    const args = setup ? setup(n) : undefined;
    const t = process.hrtime.bigint();
    fn(n, args);
    dt = Number(process.hrtime.bigint() - t) / 1e9;
    if (dt > budget / 10) break;
    n *= 4;
  }
  n = Math.max(1, Math.floor((n * budget) / dt));
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const args = setup ? setup(n) : undefined;
    const t = process.hrtime.bigint();
    fn(n, args);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9 / n);
  }
  return best * 1e6;
}

// --- plain JavaScript: what a host writes by hand ---------------------------------
function jsIssue(to, now) {
  if (!E164.test(to)) throw new Error("to");
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const record = { id: randomUUID(), to, token: code, issued_at: now, valid_for: 3600,
    max_attempts: 3, attempts_used: 0, state: "pending" };
  return [record, `Your Personal Authorization Code is: ${code}`];
}

function jsVerify(record, typed, now) {
  if (record.state !== "pending" || Math.abs(now - record.issued_at) >= record.valid_for) return false;
  record.attempts_used += 1;
  const a = Buffer.from(record.token);
  const b = Buffer.from(typed.replace(/[ -]/g, ""));
  const ok = a.length === b.length && timingSafeEqual(a, b);
  if (ok) record.state = "verified";
  else if (record.attempts_used >= record.max_attempts) record.state = "exhausted";
  return ok;
}

// --- the runs (wasm objects are freed explicitly: a loop never yields to
// the FinalizationRegistry) --------------------------------------------------------
const req = new Request({ to: TO });
const opts = { now: T0 };

const wasmIssue = (n) => {
  for (let i = 0; i < n; i++) {
    const { challenge, delivery } = Challenge.issue(req, opts);
    challenge.free();
    delivery.free();
  }
};
const wasmIssueJson = (n) => {
  for (let i = 0; i < n; i++) {
    const { challenge, delivery } = Challenge.issue(req, opts);
    challenge.toJson();
    challenge.free();
    delivery.free();
  }
};
const plainIssue = (n) => {
  for (let i = 0; i < n; i++) jsIssue(TO, T0);
};
const plainIssueJson = (n) => {
  for (let i = 0; i < n; i++) JSON.stringify(jsIssue(TO, T0)[0]);
};
const wasmChallenges = (n) =>
  Array.from({ length: n }, () => {
    const { challenge, delivery } = Challenge.issue(req, opts);
    delivery.free();
    return [challenge, challenge.exposeToken()];
  });
const wasmVerify = (n, items) => {
  for (const [c, code] of items) {
    c.verify(code, T0 + 1).free();
    c.free();
  }
};
const plainRecords = (n) => Array.from({ length: n }, () => jsIssue(TO, T0)[0]);
const plainVerify = (n, records) => {
  for (const r of records) jsVerify(r, r.token, T0 + 1);
};
const wasmStored = (n) =>
  wasmChallenges(n).map(([c, code]) => {
    const text = c.toJson();
    c.free();
    return [text, code];
  });
const wasmVerifyStored = (n, items) => {
  for (const [text, code] of items) {
    const c = Challenge.fromJson(text);
    const v = c.verify(code, T0 + 1);
    v.record;
    v.free();
    c.free();
  }
};
const plainStored = (n) => plainRecords(n).map((r) => JSON.stringify(r));
const plainVerifyStored = (n, texts) => {
  for (const text of texts) {
    const r = JSON.parse(text);
    jsVerify(r, r.token, T0 + 1);
    JSON.stringify(r);
  }
};
const wasmSegments = (n) => {
  for (let i = 0; i < n; i++) mfa.segments("Your Personal Authorization Code is: 123456").free();
};

const rows = {
  "js: issue": { binding: perCall(wasmIssue), plain: perCall(plainIssue) },
  "js: issue + stored JSON": { binding: perCall(wasmIssueJson), plain: perCall(plainIssueJson) },
  "js: verify (in memory)": { binding: perCall(wasmVerify, wasmChallenges), plain: perCall(plainVerify, plainRecords) },
  "js: verify from stored JSON, JSON back": {
    binding: perCall(wasmVerifyStored, wasmStored), plain: perCall(plainVerifyStored, plainStored),
  },
  "js: segments() of a 43-character text": { binding: perCall(wasmSegments) },
};
console.log(JSON.stringify({ node: process.version, rows }));
