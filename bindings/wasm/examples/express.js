// The guide's three routes over mfa-core, in Express.
//
//   npm install express mfa-core
//   node examples/express.js          # listens on 127.0.0.1:8080
//
// POST /mfa/sms and /mfa/call issue a code (the text is "sent" by
// logging it), POST /mfa/:id/verify checks one. The store is a Map
// standing in for a table with a `revision` column: every write is a
// compare-and-swap on the revision read, as the library's host duties ask
// (store before send; write back before answering).

import express from "express";
import {
  BadBodyError,
  Challenge,
  InvalidRequestError,
  Lockout,
  LockoutPolicy,
  Request,
  SendLog,
  SendPolicy,
  notFoundResponse,
  parseVerifyBody,
} from "mfa-core";

/** key -> { record, revision }, with compare-and-swap writes. */
class Store {
  #rows = new Map();
  get(key) {
    return this.#rows.get(key);
  }
  /** Writes if the stored revision is still `expected` (undefined: absent). */
  put(key, record, revision, expected) {
    if (this.#rows.get(key)?.revision !== expected) return false;
    this.#rows.set(key, { record, revision });
    return true;
  }
}

function answer(res, r) {
  res.status(r.status).set(r.headers).send(r.body);
}

export function createApp({
  send = (channel, to, text) => console.log(channel, to, text),
  sendPolicy = new SendPolicy(),
  lockoutPolicy = new LockoutPolicy(),
} = {}) {
  const app = express();
  // The raw body: mfa-core reads it strictly (duplicate keys, unknown
  // fields and exact integers included).
  app.use(express.text({ type: () => true }));
  const challenges = new Store();
  const sendLogs = new Store();
  const lockouts = new Store();

  /** One send for this number, or the 429 to answer. */
  function spendSend(number) {
    for (;;) {
      const row = sendLogs.get(number);
      const log = row ? SendLog.fromJson(row.record) : new SendLog();
      const d = log.trySend(sendPolicy);
      if (!d.allowed) return d.response();
      if (sendLogs.put(number, d.record, d.revision, row?.revision)) return undefined;
    }
  }

  function issue(channel) {
    return (req, res) => {
      let challenge, delivery;
      try {
        ({ challenge, delivery } = Challenge.issue(Request.fromBody(req.body ?? "", channel)));
      } catch (e) {
        if (e instanceof BadBodyError || e instanceof InvalidRequestError) return answer(res, e.response);
        throw e;
      }
      const refused = spendSend(challenge.to);
      if (refused) return answer(res, refused);
      // Store first, then send.
      challenges.put(challenge.id, challenge.toJson(), challenge.revision, undefined);
      send(delivery.channel, delivery.to, delivery.text);
      answer(res, challenge.issuedResponse());
    };
  }

  app.post("/mfa/sms", issue("sms"));
  app.post("/mfa/call", issue("call"));

  app.post("/mfa/:id/verify", (req, res) => {
    let code;
    try {
      code = parseVerifyBody(req.body ?? "");
    } catch (e) {
      if (e instanceof BadBodyError) return answer(res, e.response);
      throw e;
    }
    for (;;) {
      const row = challenges.get(req.params.id);
      if (!row) return answer(res, notFoundResponse());
      const challenge = Challenge.fromJson(row.record);
      // The failed-try lockout of the number, across its challenges.
      const lrow = lockouts.get(challenge.to);
      const lockout = lrow ? Lockout.fromJson(lrow.record) : new Lockout();
      const attempt = lockout.admit(lockoutPolicy);
      if (!attempt.allowed) return answer(res, attempt.response());
      const outcome = challenge.verify(code);
      if (outcome.verified) lockout.reset();
      if (!lockouts.put(challenge.to, lockout.toJson(), lockout.revision, lrow?.revision)) continue;
      if (outcome.changed &&
          !challenges.put(req.params.id, outcome.record, outcome.revision, outcome.expectedRevision)) {
        continue; // another request wrote first: read again
      }
      return answer(res, outcome.response());
    }
  });

  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 8080);
  createApp().listen(port, "127.0.0.1", () => console.log(`listening on 127.0.0.1:${port}`));
}
