// Every vector of tests/vectors/*.json, replayed through the JS API.
// Each test asserts what the Rust replay and transcript tests
// (tests/vectors.rs, tests/oracle/mod.rs) assert for its file; the count
// of vectors passed is printed at the end.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

import * as mfa from "mfa-core";
import { parseJson, stringifyJson } from "./json.js";

const {
  BadBodyError,
  Challenge,
  ChallengeId,
  InvalidIdError,
  InvalidPolicyError,
  InvalidRecordError,
  InvalidRequestError,
  Lockout,
  LockoutPolicy,
  Request,
  SendLog,
  SendPolicy,
} = mfa;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = process.env.MFA_VECTORS_DIR ?? path.resolve(HERE, "../../../tests/vectors");
const TO = "+15557788999";
const RENDER_FROM = "+15554433222";
const FAMILIES = [
  "tokens", "params", "render", "segments", "normalize", "traces", "wire",
  "bodies", "ids", "stored", "limits", "lockout", "calling_codes", "templates",
];

const passed = new Map();
const pass = (file) => passed.set(file, (passed.get(file) ?? 0) + 1);
after(() => {
  const total = [...passed.values()].reduce((a, b) => a + b, 0);
  for (const [file, n] of [...passed].sort()) console.log(`  ${file}: ${n}`);
  console.log(`vectors: ${total} passed in ${passed.size} files`);
});

const load = (name) => parseJson(readFileSync(path.join(VECTORS, name), "utf8")).vectors;
const hex = (s) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b) => Buffer.from(b).toString("hex");
/** Characters as Unicode scalar values, as the core counts them. */
const chars = (s) => [...s].length;

/** Serves bytes in order and records each request's size (StreamRng). */
function stream(bytes) {
  const s = (n) => {
    s.requests.push(n);
    if (s.pos + n > bytes.length) throw new Error("byte stream exhausted");
    const out = bytes.slice(s.pos, s.pos + n);
    s.pos += n;
    return out;
  };
  s.pos = 0;
  s.requests = [];
  return s;
}

/** A vector's request: the body read as the crate reads it, plus the
 * host-side settings. */
function requestOf(v) {
  const host = v.host ?? {};
  return Request.fromBody(stringifyJson(v.body), v.channel, {
    maxDeliveries: host.max_deliveries ?? undefined,
    token: host.token ?? undefined,
  });
}

function violationsJson(list) {
  return list.map((x) => {
    const d = { field: x.field, code: x.rule };
    if (Object.keys(x.data).length) d.data = { ...x.data };
    return d;
  });
}

/** `f()`'s thrown error, which must be a `cls`. */
function thrown(cls, f) {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof cls, `${e} is not a ${cls.name}`);
    assert.ok(e instanceof mfa.MfaError && e instanceof Error);
    return e;
  }
  assert.fail(`no ${cls.name} thrown`);
}

test("every vector file is replayed", () => {
  const files = readdirSync(VECTORS).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
  assert.deepEqual(files.sort(), [...FAMILIES].sort());
});

test("tokens.json", () => {
  for (const v of load("tokens.json")) {
    const init = { to: TO, allowAlphas: v.alphabet === "alphanumeric" };
    if (v.host_token != null) init.token = v.host_token;
    else init.tokenLength = v.token_length;
    const rng = stream(hex(v.rng));
    const { challenge } = Challenge.issue(new Request(init), { now: 0, rng });
    assert.equal(rng.pos, hex(v.rng).length, v.name);
    assert.deepEqual(rng.requests, v.requests, v.name);
    assert.equal(challenge.id, v.id, v.name);
    assert.equal(challenge.exposeToken(), v.token, v.name);
    const again = Challenge.issue(new Request(init), { now: 0, rng: hex(v.rng) }).challenge;
    assert.ok(again.equals(challenge));
    pass("tokens.json");
  }
});

function paramsResult(r) {
  let p;
  try {
    p = r.validate();
  } catch (e) {
    if (!(e instanceof InvalidRequestError)) throw e;
    return { violations: violationsJson(e.violations) };
  }
  return {
    ok: {
      to: p.to, from: p.from ?? null, message: p.message, token_length: p.tokenLength,
      max_attempts: p.maxAttempts, allow_alphas: p.allowAlphas, valid_for: p.validFor,
      max_deliveries: p.maxDeliveries,
    },
  };
}

test("params.json", () => {
  for (const v of load("params.json")) {
    const r = requestOf(v);
    assert.deepEqual(paramsResult(r), v.result, v.name);
    if (v.result.violations) {
      const e = thrown(InvalidRequestError, () => Challenge.issue(r, { now: 0, rng: new Uint8Array(64) }));
      assert.deepEqual(violationsJson(e.violations), v.result.violations);
      assert.equal(e.response.status, 422);
      // A 422 detail never echoes a submitted value (SPEC §7.8).
      const values = [v.body.to, v.body.from, v.body.message, v.host?.token];
      for (const entry of e.response.json().errors) {
        for (const s of values) {
          if (typeof s === "string" && chars(s) >= 4) assert.ok(!entry.detail.includes(s), v.name);
        }
      }
    }
    pass("params.json");
  }
});

test("render.json", () => {
  for (const v of load("render.json")) {
    const token = v.token;
    const r = new Request({
      to: TO, channel: v.channel, from: RENDER_FROM, message: v.message ?? undefined,
      allowAlphas: /[A-Za-z]/.test(token), token,
    });
    const { delivery: d } = Challenge.issue(r, { now: 0, rng: new Uint8Array(16) });
    assert.equal(mfa.checkTemplate(v.message ?? mfa.defaultMessage(v.channel)), 0);
    // The literal text (SPEC §4.10): braces only as `{{` and `}}`.
    const m = (v.message ?? mfa.defaultMessage(v.channel)).replaceAll("{{", "{").replaceAll("}}", "}");
    const spelled = v.channel === "sms" ? token.length : 3 * token.length - 1;
    const separator = d.chars - (chars(m) + spelled);
    assert.ok(separator === 0 || separator === 1, v.name);
    const s = d.segments;
    assert.deepEqual(
      {
        text: d.text, separator: separator === 1, voice_length: chars(m) + separator + token.length,
        chars: d.chars, encoding: s.encoding, units: s.units, parts: s.parts,
      },
      {
        text: v.text, separator: v.separator, voice_length: v.voice_length, chars: v.chars,
        encoding: v.encoding, units: v.units, parts: v.parts,
      },
      v.name,
    );
    pass("render.json");
  }
});

test("segments.json", () => {
  for (const v of load("segments.json")) {
    const s = mfa.segments(v.text);
    assert.deepEqual([s.encoding, s.units, s.parts], [v.encoding, v.units, v.parts], v.text);
    pass("segments.json");
  }
});

test("normalize.json", () => {
  for (const v of load("normalize.json")) {
    assert.equal(mfa.normalize(v.input) ?? null, v.normalized, v.input);
    pass("normalize.json");
  }
});

function perform(c, step) {
  const at = step.at;
  const before = c.revision;
  let o;
  let out;
  switch (step.op) {
    case "verify":
      o = c.verify(step.token, at);
      out = o.kind === "verified" ? { kind: "verified" }
        : o.kind === "wrong_token" ? { kind: "wrong_token", attempts_left: o.attemptsLeft }
        : { kind: "rejected", reason: o.reason };
      break;
    case "cancel":
      o = c.cancel(at);
      out = o.canceled ? { kind: "canceled" } : { kind: "rejected", reason: o.reason };
      break;
    case "resend":
      o = c.resend({ channel: step.channel, message: step.message ?? undefined, now: at });
      out = o.kind === "delivered" ? { kind: "delivered", channel: o.delivery.channel, text: o.delivery.text }
        : o.kind === "rejected" ? { kind: "rejected", reason: o.reason }
        : o.kind === "deliveries_exhausted" ? { kind: "deliveries_exhausted", max: o.max }
        : { kind: "invalid", violations: violationsJson(o.violations) };
      break;
    case "status":
      return { kind: "status", state: c.stateAt(at) };
    default:
      assert.fail(`op ${step.op}`);
  }
  // The write plan: the revision read, the one after, the record to write.
  assert.equal(o.expectedRevision, before);
  assert.equal(o.revision, c.revision);
  assert.equal(o.changed, c.revision !== before);
  assert.equal(o.record, o.changed ? c.toJson() : undefined);
  return out;
}

test("traces.json", () => {
  for (const v of load("traces.json")) {
    const { challenge: c, delivery: d } = Challenge.issue(requestOf(v), { now: v.issued_at, rng: hex(v.rng) });
    assert.equal(c.id, v.id, v.name);
    assert.equal(c.exposeToken(), v.token, v.name);
    assert.equal(d.text, v.first_delivery, v.name);
    for (const step of v.steps) {
      const outcome = perform(c, step);
      const got = {
        state: c.state, status: c.stateAt(step.at), revision: c.revision,
        attempts_used: c.attemptsUsed, deliveries: c.deliveries, channel: c.channel,
        issued_at: c.issuedAt, outcome,
      };
      assert.deepEqual(got, step.after, `${v.name}: ${stringifyJson(step)}`);
      assert.ok(Challenge.fromJson(c.toJson()).equals(c));
    }
    pass("traces.json");
  }
});

function wireResponse(o) {
  switch (o.kind) {
    case "verified":
    case "wrong_token": {
      const left = o.attempts_left ?? 0;
      const { challenge } = Challenge.issue(
        new Request({ to: TO, maxAttempts: left + 1, token: "000000" }),
        { now: 0, rng: new Uint8Array(16) },
      );
      return challenge.verify(o.kind === "verified" ? "000000" : "111111", 0).response();
    }
    case "rejected":
    case "resend_rejected":
    case "cancel_rejected":
      return mfa.closedResponse(o.reason);
    case "unknown_id":
      return mfa.notFoundResponse();
    case "issued":
    case "resent": {
      const raw = ChallengeId.parse(o.id).bytes;
      const { challenge } = Challenge.issue(
        new Request({ to: o.to, channel: o.channel, token: "000000" }),
        { now: 0, rng: raw },
      );
      return challenge.issuedResponse();
    }
    case "deliveries_exhausted":
      return mfa.deliveriesExhaustedResponse(o.max);
    case "resend_invalid": {
      const { challenge } = Challenge.issue(new Request({ to: TO }), { now: 0, rng: new Uint8Array(32).fill(0xab) });
      const res = challenge.resend({ channel: o.channel, message: o.message ?? undefined, now: 0 });
      assert.equal(res.kind, "invalid");
      return res.response();
    }
    case "canceled": {
      const { challenge } = Challenge.issue(new Request({ to: TO }), { now: 0, rng: new Uint8Array(32).fill(0xab) });
      return challenge.cancel(0).response();
    }
    case "invalid":
      return thrown(InvalidRequestError, () => Request.fromBody(stringifyJson(o.body), o.channel).validate()).response;
    case "bad_body":
      return thrown(BadBodyError, () => Request.fromBody(o.json)).response;
    default:
      assert.fail(o.kind);
  }
}

test("wire.json", () => {
  for (const v of load("wire.json")) {
    const r = wireResponse(v.outcome);
    assert.equal(r.status, v.status);
    const body = parseJson(r.body);
    assert.deepEqual(body, v.body);
    // The contract's key order (SPEC §7.5, §7.6).
    if (v.outcome.kind === "issued") assert.deepEqual(Object.keys(body), ["id", "success", "to", "channel"]);
    for (const e of body.errors ?? []) assert.deepEqual(Object.keys(e), ["detail", "status", "title", "code"]);
    if (v.text !== undefined) assert.equal(r.body, v.text); // exact bytes
    assert.equal(r.headers["Content-Type"], "application/json");
    pass("wire.json");
  }
});

test("bodies.json", () => {
  const fields = [
    ["to", "to"], ["from", "from"], ["message", "message"], ["token_length", "tokenLength"],
    ["max_attempts", "maxAttempts"], ["allow_alphas", "allowAlphas"], ["valid_for", "validFor"],
  ];
  for (const v of load("bodies.json")) {
    try {
      let got;
      if (v.endpoint === "request") {
        const r = Request.fromBody(v.json);
        got = {};
        for (const [k, a] of fields) if (r[a] !== undefined) got[k] = r[a];
      } else {
        got = { token: mfa.parseVerifyBody(v.json) };
      }
      assert.deepEqual({ ok: got }, v.result, v.name);
    } catch (e) {
      if (!(e instanceof BadBodyError)) throw e;
      const bad = v.result.bad_body;
      assert.ok(bad, `${v.name}: ${e.message}`);
      const [entry, ...rest] = e.response.json().errors;
      assert.equal(rest.length, 0);
      assert.equal(e.response.status, bad.status, v.name);
      assert.deepEqual([entry.title, entry.code], [bad.title, bad.code], v.name);
      assert.equal(entry.detail, e.detail);
      assert.equal(e.message, e.detail);
      if (bad.detail_names !== null) assert.ok(e.detail.includes(bad.detail_names), v.name);
      for (const s of bad.detail_must_not_contain) assert.ok(!e.detail.includes(s), v.name);
    }
    pass("bodies.json");
  }
});

test("ids.json", () => {
  for (const v of load("ids.json")) {
    let got;
    try {
      const id = v.text !== undefined ? ChallengeId.parse(v.text) : ChallengeId.fromBytes(hex(v.bytes));
      got = { ok: { canonical: id.toString(), bytes: toHex(id.bytes) } };
    } catch (e) {
      if (!(e instanceof InvalidIdError)) throw e;
      assert.equal(e.field, "id");
      got = { error: { kind: e.rule, ...e.data } };
    }
    assert.deepEqual(got, v.result, v.name);
    pass("ids.json");
  }
});

test("stored.json", () => {
  for (const v of load("stored.json")) {
    if (v.result.ok) {
      assert.equal(Challenge.fromJson(v.json).toJson(), v.result.ok.written, v.name);
    } else {
      assert.equal(typeof v.result.refused.field, "string");
      const e = thrown(InvalidRecordError, () => Challenge.fromJson(v.json));
      // A read error never holds the token (SPEC §8.4).
      let w = null;
      try {
        w = parseJson(v.json);
      } catch {}
      const token = [w?.v2?.challenge?.token, w?.v1?.challenge?.token, w?.v1?.token].find(
        (t) => typeof t === "string",
      );
      if (token !== undefined && token.length >= 4) {
        assert.ok(!e.message.includes(token), v.name);
        assert.ok(!String(e).includes(token), v.name);
      }
    }
    pass("stored.json");
  }
});

const limitError = (e) => ({ field: e.field, rule: e.rule, data: { ...e.data } });

test("limits.json", () => {
  for (const v of load("limits.json")) {
    const windows = v.policy.windows.map((w) => ({ max: w.max, intervalSecs: w.interval_secs }));
    let read = null;
    try {
      read = SendPolicy.fromJson(stringifyJson(v.policy));
    } catch (e) {
      if (!(e instanceof InvalidRecordError)) throw e;
    }
    let policy;
    try {
      policy = new SendPolicy(windows);
    } catch (e) {
      if (!(e instanceof InvalidPolicyError)) throw e;
      assert.deepEqual(limitError(e), v.invalid_policy, v.name);
      assert.equal(read, null);
      assert.deepEqual(v.steps, []);
      pass("limits.json");
      continue;
    }
    assert.equal(v.invalid_policy, undefined, v.name);
    assert.deepEqual(read.windows, policy.windows);
    const log = new SendLog();
    for (const s of v.steps) {
      const before = log.revision;
      const d = s.op === "send" ? log.trySend(policy, s.at) : log.check(policy, s.at);
      const got = { decision: d.allowed ? "allowed" : "refused" };
      if (!d.allowed) {
        got.retry_after = d.retryAfter;
        assert.equal(d.response().retryAfter, d.retryAfter);
      }
      got.revision = log.revision;
      got.events = log.events;
      assert.deepEqual(got, s.after, `${v.name}: ${stringifyJson(s)}`);
      assert.equal(d.expectedRevision, before);
      assert.equal(d.revision, log.revision);
      assert.equal(d.record, log.revision !== before ? log.toJson() : undefined);
    }
    assert.deepEqual(SendLog.fromJson(log.toJson()).events, log.events);
    pass("limits.json");
  }
});

test("lockout.json", () => {
  for (const v of load("lockout.json")) {
    const p = v.policy;
    let read = null;
    try {
      read = LockoutPolicy.fromJson(stringifyJson(p));
    } catch (e) {
      if (!(e instanceof InvalidRecordError)) throw e;
    }
    let policy;
    try {
      policy = new LockoutPolicy({
        freeFailures: p.free_failures, baseDelaySecs: p.base_delay_secs,
        maxDelaySecs: p.max_delay_secs, hardLimit: p.hard_limit,
      });
    } catch (e) {
      if (!(e instanceof InvalidPolicyError)) throw e;
      assert.deepEqual(limitError(e), v.invalid_policy, v.name);
      assert.equal(read, null);
      pass("lockout.json");
      continue;
    }
    assert.equal(v.invalid_policy, undefined, v.name);
    assert.equal(read.toJson(), policy.toJson());
    const state = new Lockout();
    for (const s of v.steps) {
      const before = state.revision;
      const got = {};
      let a;
      if (s.op === "try" || s.op === "check") {
        a = s.op === "try" ? state.admit(policy, s.at) : state.check(policy, s.at);
        got.answer = a.kind;
        if (a.kind === "wait") got.secs = a.secs;
        assert.equal(a.response() === undefined, a.allowed);
      } else {
        a = state.reset();
      }
      got.failures = state.failures;
      got.revision = state.revision;
      assert.deepEqual(got, s.after, `${v.name}: ${stringifyJson(s)}`);
      assert.equal(a.expectedRevision, before);
      assert.equal(a.revision, state.revision);
      assert.equal(a.record, state.revision !== before ? state.toJson() : undefined);
    }
    pass("lockout.json");
  }
});

test("calling_codes.json", () => {
  const codes = new Set();
  for (const v of load("calling_codes.json")) {
    const got = mfa.countryCode(v.number) ?? null;
    assert.equal(got, v.country_code, v.name);
    if (got !== null) codes.add(got);
    pass("calling_codes.json");
  }
  assert.equal(codes.size, 216); // every assigned code appears
});

test("templates.json", () => {
  for (const v of load("templates.json")) {
    const r = requestOf(v);
    let p;
    try {
      p = r.validate();
    } catch (e) {
      if (!(e instanceof InvalidRequestError)) throw e;
      assert.deepEqual({ violations: violationsJson(e.violations) }, v.result, v.name);
      pass("templates.json");
      continue;
    }
    const { delivery: d } = Challenge.issue(r, { now: 0, rng: new Uint8Array(16) });
    const k = mfa.checkTemplate(p.message);
    const l = v.host.token.length;
    // The voice length counts the token as written (SPEC §4.5, §4.10).
    const extra = d.channel === "sms" ? 0 : k === 0 ? 2 * l - 1 : k * (2 * l - 2) + (p.message.endsWith("{code}") ? 1 : 0);
    const s = d.segments;
    assert.deepEqual(
      { ok: { placeholders: k, text: d.text, voice_length: d.chars - extra, chars: d.chars,
              encoding: s.encoding, units: s.units, parts: s.parts } },
      v.result,
      v.name,
    );
    pass("templates.json");
  }
});

test("checkTemplate errors", () => {
  assert.equal(mfa.checkTemplate("Code {code}, again {code}; {{literal}}"), 2);
  const e = thrown(InvalidRequestError, () => mfa.checkTemplate("héllo {Code}"));
  assert.deepEqual(violationsJson(e.violations), [
    { field: "message", code: "template_invalid", data: { kind: "unknown_placeholder", position: 6 } },
  ]);
});
