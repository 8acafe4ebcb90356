// Browser (and bundler) entry: call the default export once, then use
// the API.
//
//   import init, { segments } from "mfa-core";
//   await init();            // fetches mfa_core_bg.wasm next to this file
//
export { default } from "./mfa_core.js";
export * from "./mfa_core.js";
export * from "./errors.js";
