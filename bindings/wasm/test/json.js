// A JSON reader that keeps integers exact: an integer literal outside
// Number.MAX_SAFE_INTEGER becomes a BigInt, any other number a Number
// (the vectors hold times up to 2^64-1; Node 20's JSON.parse has no
// access to a number's source text). Keys keep their order.

export function parseJson(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (what) => {
    throw new SyntaxError(`JSON: ${what} at ${i}`);
  };
  function value() {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const o = {};
      ws();
      if (text[i] === "}") return i++, o;
      for (;;) {
        ws();
        const k = string();
        ws();
        if (text[i++] !== ":") fail("':' expected");
        o[k] = value();
        ws();
        const d = text[i++];
        if (d === "}") return o;
        if (d !== ",") fail("',' or '}' expected");
      }
    }
    if (c === "[") {
      i++;
      const a = [];
      ws();
      if (text[i] === "]") return i++, a;
      for (;;) {
        a.push(value());
        ws();
        const d = text[i++];
        if (d === "]") return a;
        if (d !== ",") fail("',' or ']' expected");
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) return (i += 4), true;
    if (text.startsWith("false", i)) return (i += 5), false;
    if (text.startsWith("null", i)) return (i += 4), null;
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail("value expected");
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = BigInt(m[0]);
      return n >= -BigInt(Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n)
        : n;
    }
    return Number(m[0]);
  }
  function string() {
    if (text[i] !== '"') fail("string expected");
    let j = i + 1;
    while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    const s = JSON.parse(text.slice(i, j + 1));
    i = j + 1;
    return s;
  }
  const v = value();
  ws();
  if (i !== text.length) fail("trailing text");
  return v;
}

/** JSON text of a value that may hold BigInts (as plain integers). */
export function stringifyJson(v) {
  return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `@@${x}@@` : x)).replace(
    /"@@(-?\d+)@@"/g,
    "$1",
  );
}
