// The error classes of mfa-core. The generated glue imports makeError
// from this file (wasm-bindgen `raw_module = "./errors.js"`), and the
// package's entry points re-export the classes, so `instanceof` works.
// No message or property ever holds a one-time code.

/** Base class of every mfa-core error. */
export class MfaError extends Error {
  constructor(message, props) {
    super(message);
    this.name = new.target.name;
    if (props) Object.assign(this, props);
  }
}

/** A request breaks rules (SPEC §2): `violations` ({ field, rule, data,
 * message }, every broken rule in the contract's order) and `response`
 * (the guide's 422). */
export class InvalidRequestError extends MfaError {}

/** A request or verify body that does not read (SPEC §7.4): `detail`
 * and `response` (the 422). */
export class BadBodyError extends MfaError {}

/** A send or lockout policy breaks a rule (SPEC §9): `field`, `rule`, `data`. */
export class InvalidPolicyError extends MfaError {}

/** Not a challenge id (SPEC §6.3): `field` ("id"), `rule` (length,
 * hyphen, not_hex, version, variant), `data`. */
export class InvalidIdError extends MfaError {}

/** Not an E.164 number: `field`, `rule` ("invalid_e164"), `data.kind`. */
export class InvalidPhoneError extends MfaError {}

/** A stored record that does not read or breaks a rule (SPEC §8.3). */
export class InvalidRecordError extends MfaError {}

/** The random source failed (or a test stream ran out). */
export class RandomSourceError extends MfaError {}

const classes = {
  InvalidRequestError,
  BadBodyError,
  InvalidPolicyError,
  InvalidIdError,
  InvalidPhoneError,
  InvalidRecordError,
  RandomSourceError,
};

/** Called from Rust: an instance of the named class with `props`. */
export function makeError(name, message, props) {
  return new (classes[name] ?? MfaError)(message, props);
}
