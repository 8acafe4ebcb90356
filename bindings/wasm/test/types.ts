// Type-checked by ci.sh (tsc --noEmit): the package's .d.ts describe the
// API as the README shows it. Never run.
import init, {
  BadBodyError,
  Challenge,
  InvalidRequestError,
  Lockout,
  LockoutPolicy,
  Request,
  SendLog,
  SendPolicy,
  segments,
  type HttpResponse,
  type Int,
} from "mfa-core";

export async function handler(body: string): Promise<HttpResponse> {
  await init();
  try {
    const { challenge, delivery } = Challenge.issue(Request.fromBody(body, "sms"));
    const record: string = challenge.toJson();
    const revision: Int = challenge.revision;
    void record, revision, delivery.text.length;
    const v = challenge.verify("123 456", 1_700_000_000);
    if (v.changed) {
      const write: string | undefined = v.record;
      const expected: Int = v.expectedRevision;
      void write, expected;
    }
    const reason: "already_verified" | "attempts_exhausted" | "expired" | "canceled" | undefined = v.reason;
    void reason;
    const r = challenge.resend({ channel: "call" });
    if (r.kind === "invalid") return r.violations.length ? r.response() : r.response();
    const log = SendLog.fromJson(new SendLog().toJson());
    const d = log.trySend(new SendPolicy([{ max: 5, intervalSecs: 3600 }]), 10n);
    if (!d.allowed) return d.response()!;
    const a = new Lockout().admit(new LockoutPolicy({ freeFailures: 3 }));
    if (a.kind === "wait") return a.response()!;
    const s = segments("hi");
    const units: number = s.units;
    void units;
    return challenge.issuedResponse();
  } catch (e) {
    if (e instanceof InvalidRequestError) return e.violations[0].data.given ? e.response : e.response;
    if (e instanceof BadBodyError) return e.response;
    throw e;
  }
}
