export { default } from "./mfa_core.js";
export * from "./mfa_core.js";
export * from "./errors.js";
