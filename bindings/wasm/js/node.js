// Node entry: the module is compiled and ready on import.
//
//   import { Challenge, Request } from "mfa-core";
//
import { readFileSync } from "node:fs";
import { initSync } from "./mfa_core.js";

initSync({ module: readFileSync(new URL("./mfa_core_bg.wasm", import.meta.url)) });

/** Already initialised under Node; kept so code written for browsers runs. */
export default async function init() {}
export * from "./mfa_core.js";
export * from "./errors.js";
