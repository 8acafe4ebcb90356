import type { HttpResponse, Int, Problem } from "./mfa_core.js";

export class MfaError extends Error {}
export class InvalidRequestError extends MfaError {
  readonly violations: Problem[];
  readonly response: HttpResponse;
}
export class BadBodyError extends MfaError {
  readonly detail: string;
  readonly response: HttpResponse;
}
declare class FieldError extends MfaError {
  readonly field: string;
  readonly rule: string;
  readonly data: Record<string, Int | string>;
}
export class InvalidPolicyError extends FieldError {}
export class InvalidIdError extends FieldError {}
export class InvalidPhoneError extends FieldError {}
export class InvalidRecordError extends MfaError {}
export class RandomSourceError extends MfaError {}
