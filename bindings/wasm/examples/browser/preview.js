// Live SMS segment preview: how many parts a text takes, in which
// encoding, and which characters force UCS-2 (70 units a segment
// instead of 160). Pure functions over the mfa-core module, so the same
// code runs in the page (index.html) and in the node tests.

/** The preview of `text`: encoding, units, parts, the UCS-2 culprits. */
export function preview(mfa, text) {
  const s = mfa.segments(text);
  const culprits = [];
  if (s.encoding === "ucs2") {
    for (const ch of new Set(text)) {
      if (mfa.segments(ch).encoding === "ucs2") culprits.push(ch);
    }
  }
  const single = s.encoding === "gsm7" ? 160 : 70;
  return { encoding: s.encoding, units: s.units, parts: s.parts, single, culprits };
}

/** One line for the page. */
export function describe(p) {
  const unit = p.encoding === "gsm7" ? "septets" : "UTF-16 units";
  let line = `${p.units} ${unit} (${p.encoding}) → ${p.parts} SMS part${p.parts === 1 ? "" : "s"}`;
  if (p.parts === 1) line += `, ${p.single - p.units} left in one segment`;
  if (p.culprits.length) line += `; UCS-2 because of: ${p.culprits.join(" ")}`;
  return line;
}
