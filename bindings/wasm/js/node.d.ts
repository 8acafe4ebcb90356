/** Already initialised under Node (kept for code written for browsers). */
export default function init(): Promise<void>;
export * from "./mfa_core.js";
export * from "./errors.js";
