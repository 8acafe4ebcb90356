#!/usr/bin/env python3
"""Checks the test vectors with an independent, standard-library-only
re-implementation of the contract (SPEC.md), to show the vectors can be used
from another language without the Rust crate:

- segments.json   SMS encoding, units and parts (SPEC §4.6-§4.9)
- normalize.json  normalisation of a submitted code (SPEC §3.4, §3.5)
- tokens.json     id and token from the RNG byte stream (SPEC §3.2, §6.2)
- render.json     delivery text, separator, voice length (SPEC §4.1-§4.5)
- params.json     validation and every violation with its data (SPEC §2)
- traces.json     the state machine, step by step (SPEC §5)
- ids.json        id parsing, text and 16-byte forms (SPEC §6.3, §6.4)
- stored.json     stored-record validation (SPEC §8)
- bodies.json     request and verify body parsing (SPEC §7.2-§7.4, §7.8)
- wire.json       statuses, bodies and answer key order (SPEC §7.5, §7.6)
- limits.json     send limits: policy rules, the sliding-window decision (SPEC §9)
- lockout.json    failed-try lockout: policy rules, waits, locks (SPEC §9)
- calling_codes.json  E.164 number -> country calling code (SPEC §9)
- templates.json  `{code}` templates: reading, errors, rendering, lengths (SPEC §4.10)

Nd digits come from SPEC §3.5's list (Unicode 18.0.0), not from this
Python's database; the list is cross-checked against the database as far as
the database goes, and runs newer than it are counted as skipped, with the
reason printed.

Usage: python3 tests/vectors/check.py   (exit 0 when every vector agrees)
"""
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

# --- SMS segments (SPEC §4.6-§4.9) -------------------------------------------

# 3GPP TS 23.038 GSM 7-bit default alphabet, basic table in code order
# (0x1B, the escape to the extension table, is left out).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"
assert len(GSM_BASIC) == 127 and len(GSM_EXTENSION) == 10


def segments(text):
    """(encoding, units, parts) of an SMS text."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        costs = [2 if c in GSM_EXTENSION else 1 for c in text]
        encoding, single, part = "gsm7", 160, 153
    else:
        costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
        encoding, single, part = "ucs2", 70, 67
    units = sum(costs)
    if units <= single:
        return encoding, units, 1
    parts, used = 1, 0
    for c in costs:
        if used + c > part:
            parts, used = parts + 1, 0
        used += c
    return encoding, units, parts


SINGLE_LIMIT = {"gsm7": 160, "ucs2": 70}

# --- normalisation (SPEC §3.4, §3.5) ---------------------------------------------


# The zeros of the Nd runs of Unicode 18.0.0, as SPEC §3.5 lists them (the
# first, ASCII, is handled by the ASCII rows). The runtime's own database may
# be older; the list is what the contract fixes.
ND_ZEROS = [int(z, 16) for z in """
    0030 0660 06F0 07C0 0966 09E6 0A66 0AE6 0B66 0BE6 0C66 0CE6 0D66 0DE6
    0E50 0ED0 0F20 1040 1090 17E0 1810 1946 19D0 1A80 1A90 1B50 1BB0 1C40
    1C50 A620 A8D0 A900 A9D0 A9F0 AA50 ABF0 FF10 104A0 10D30 10D40 11066
    110F0 11136 111D0 112F0 11450 114D0 11650 116C0 116D0 116DA 11730 118E0
    11950 11BF0 11C50 11D50 11DA0 11DE0 11F50 16130 16A60 16AC0 16B50 16D70
    1CCF0 1D7CE 1D7D8 1D7E2 1D7EC 1D7F6 1E140 1E2F0 1E4F0 1E5F1 1E950 1FBF0
""".split()]
assert len(ND_ZEROS) == 77
ND_VALUE = {z + d: d for z in ND_ZEROS for d in range(10)}


def normalize(text):
    """The normalised symbols, or None for a submission that is a wrong token."""
    out = []
    for c in text:
        if c in " \t-":
            continue
        if c in "Oo":
            out.append("0")
        elif c in "IiLl":
            out.append("1")
        elif c in "Uu":
            return None
        elif c.isascii() and c.isalnum():
            out.append(c.upper())
        elif ord(c) in ND_VALUE:
            out.append(str(ND_VALUE[ord(c)]))
        else:
            return None
    if not 4 <= len(out) <= 20:
        return None
    return "".join(out)


# --- tokens and ids from the RNG (SPEC §3.1, §3.2, §6.2) -----------------------------

NUMERIC = "0123456789"
ALPHANUMERIC = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
assert len(ALPHANUMERIC) == 32 and not set("ILOU") & set(ALPHANUMERIC)


def id_text(b):
    h = bytes(b).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def draw(stream, length, alphas, host_token=None):
    """(id, token, requests, bytes used) from an RNG byte stream."""
    pos = 0

    def fill(n):
        nonlocal pos
        if pos + n > len(stream):
            raise ValueError("stream too short")
        out = stream[pos:pos + n]
        pos += n
        requests.append(n)
        return out

    requests = []
    first = fill(16 if host_token is not None else 16 + length)
    b = bytearray(first[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    if host_token is not None:
        return id_text(b), host_token, requests, pos
    token = []
    chunk = first[16:]
    while True:
        for x in chunk:
            if alphas:
                token.append(ALPHANUMERIC[x % 32])
            elif x < 250:
                token.append(NUMERIC[x % 10])
        if len(token) == length:
            break
        chunk = fill(length - len(token))
    return id_text(b), "".join(token), requests, pos


# --- delivery text (SPEC §2.1, §4.1-§4.5) --------------------------------------------

SMS_DEFAULT = "Your Personal Authorization Code is:"
CALL_DEFAULT = "Your Personal Authorization Code is"
DEFAULT = {"sms": SMS_DEFAULT, "call": CALL_DEFAULT}

# The Unicode White_Space property, exactly (SPEC §4.2). Not str.isspace,
# which also says yes to U+001C..U+001F.
WHITE_SPACE = set(
    [chr(c) for c in range(0x09, 0x0E)]
    + ["\u0020", "\u0085", "\u00a0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)
assert len(WHITE_SPACE) == 25


def separator(text):
    return 0 if text == "" or text[-1] in WHITE_SPACE else 1


# --- templates (SPEC §4.10) ------------------------------------------------------------


def template(message):
    """(pieces, None), where pieces are literal strings (escapes resolved)
    and None for each `{code}`; or (None, the error data of SPEC §4.10)."""
    pieces, literal, i = [], "", 0
    while i < len(message):
        c = message[i]
        if c not in "{}":
            literal += c
            i += 1
        elif message[i + 1:i + 2] == c:
            literal += c
            i += 2
        elif message.startswith("{code}", i):
            pieces += [literal, None]
            literal = ""
            i += 6
        else:
            if c == "}":
                kind = "lone_close_brace"
            else:
                after = [d for d in message[i + 1:] if d in "{}"]
                kind = "unknown_placeholder" if after[:1] == ["}"] else "lone_open_brace"
            # Python indexes strings by code point: a character position.
            return None, {"kind": kind, "position": i}
    return pieces + [literal], None


def literal_text(pieces):
    return "".join(p for p in pieces if p is not None)


def spell(channel, token, last):
    if channel == "sms":
        return token
    return ", ".join(token) + ("." if last else "")


def render(channel, message, token):
    pieces, error = template(message)
    assert error is None, error
    if None not in pieces:
        text = literal_text(pieces)
        return text + " " * separator(text) + spell(channel, token, True)
    out = []
    for i, p in enumerate(pieces):
        if p is None:
            # "." only for the template's last six characters: pieces
            # always end in a literal, empty when `{code}` ends the text.
            out.append(spell(channel, token, i == len(pieces) - 2 and pieces[-1] == ""))
        else:
            out.append(p)
    return "".join(out)


def voice_length(message, length):
    pieces, error = template(message)
    assert error is None, error
    text, k = literal_text(pieces), pieces.count(None)
    if k == 0:
        return len(text) + separator(text) + length
    return len(text) + k * length


# --- parameters (SPEC §2) ----------------------------------------------------------------

FIELD_ORDER = ["to", "from", "message", "token_length", "max_attempts",
               "valid_for", "max_deliveries", "token"]


def e164(text):
    """None when valid, else the error data of SPEC §2.2."""
    if not text.startswith("+"):
        return {"kind": "missing_plus"}
    b = text.encode("utf-8")
    for i in range(1, len(b)):
        if not 0x30 <= b[i] <= 0x39:
            return {"kind": "not_a_digit", "at": i}
    digits = len(b) - 1
    if digits < 2:
        return {"kind": "too_short", "digits": digits}
    if digits > 15:
        return {"kind": "too_long", "digits": digits}
    if b[1] == 0x30:
        return {"kind": "leading_zero"}
    return None


def validate(channel, body, host):
    """{"ok": {...}} or {"violations": [...]}, from SPEC §2 alone."""
    v = []

    def add(field, code, data=None):
        entry = {"field": field, "code": code}
        if data is not None:
            entry["data"] = data
        v.append(entry)

    to, frm = body.get("to"), body.get("from")
    if to is None:
        add("to", "required")
    elif e164(to):
        add("to", "invalid_e164", e164(to))
    if frm is not None and e164(frm):
        add("from", "invalid_e164", e164(frm))
    alphas = bool(body.get("allow_alphas"))
    alphabet = ALPHANUMERIC if alphas else NUMERIC
    tl, ht = body.get("token_length"), host.get("token")
    ht_ok = ht is not None and 4 <= len(ht) <= 20 and all(c in alphabet for c in ht)
    if tl is not None:
        length = tl if 4 <= tl <= 20 else 4
    else:
        length = len(ht) if ht_ok else 6
    message = body.get("message")
    if message is None:
        message = DEFAULT[channel]
    if channel == "sms" and message != SMS_DEFAULT and frm is None:
        add("message", "from_required")
    if template(message)[1] is not None:
        add("message", "template_invalid", template(message)[1])
    elif channel == "sms":
        enc, units, _ = segments(render("sms", message, "0" * length))
        if units > SINGLE_LIMIT[enc]:
            add("message", "sms_too_long",
                {"encoding": enc, "units": units, "limit": SINGLE_LIMIT[enc]})
    else:
        chars = voice_length(message, length)
        if chars > 500:
            add("message", "voice_too_long", {"chars": chars, "limit": 500})
    resolved = {}
    for field, src, lo, hi, default in [
        ("token_length", body, 4, 20, None),
        ("max_attempts", body, 1, 20, 3),
        ("valid_for", body, 0, 604800, 3600),
        ("max_deliveries", host, 1, 20, 5),
    ]:
        given = src.get(field)
        if given is not None and not lo <= given <= hi:
            add(field, "out_of_range", {"min": lo, "max": hi, "given": given})
        resolved[field] = default if given is None else given
    if ht is not None:
        bad = [i for i, c in enumerate(ht) if c not in alphabet]
        if not 4 <= len(ht) <= 20:
            add("token", "out_of_range", {"min": 4, "max": 20, "given": len(ht)})
        elif bad:
            add("token", "invalid_alphabet", {
                "position": bad[0],
                "alphabet": "alphanumeric" if alphas else "numeric"})
        elif tl is not None and tl != len(ht):
            add("token", "length_mismatch", {"token_length": tl, "given": len(ht)})
    if v:
        assert [x["field"] for x in v] == sorted(
            (x["field"] for x in v), key=FIELD_ORDER.index)
        return {"violations": v}
    if resolved["token_length"] is None:
        resolved["token_length"] = len(ht) if ht is not None else 6
    return {"ok": {
        "to": to, "from": frm, "message": message,
        "token_length": resolved["token_length"],
        "max_attempts": resolved["max_attempts"], "allow_alphas": alphas,
        "valid_for": resolved["valid_for"],
        "max_deliveries": resolved["max_deliveries"]}}


# --- the state machine (SPEC §5) ------------------------------------------------------------

REASON = {"verified": "already_verified", "exhausted": "attempts_exhausted",
          "expired": "expired", "canceled": "canceled"}


class Challenge:
    def __init__(self, params, issued_at, channel, token, frm):
        self.p = params
        self.issued_at = issued_at
        self.channel = channel
        self.token = token
        self.frm = frm
        self.state = "pending"
        self.attempts = 0
        self.deliveries = 1

    def status(self, now):
        if self.state == "pending" and abs(now - self.issued_at) >= self.p["valid_for"]:
            return "expired"
        return self.state

    def revision(self):
        return (self.attempts + self.deliveries - 1
                + (1 if self.state in ("expired", "canceled") else 0))

    def open(self, now):
        self.state = self.status(now)
        return REASON.get(self.state)

    def step(self, s):
        now, op = s["at"], s["op"]
        if op == "status":
            return {"kind": "status", "state": self.status(now)}
        reason = self.open(now)
        if reason:
            return {"kind": "rejected", "reason": reason}
        if op == "verify":
            self.attempts += 1
            if normalize(s["token"]) == self.token:
                self.state = "verified"
                return {"kind": "verified"}
            if self.attempts == self.p["max_attempts"]:
                self.state = "exhausted"
            return {"kind": "wrong_token",
                    "attempts_left": self.p["max_attempts"] - self.attempts}
        if op == "cancel":
            self.state = "canceled"
            return {"kind": "canceled"}
        assert op == "resend"
        if self.deliveries >= self.p["max_deliveries"]:
            return {"kind": "deliveries_exhausted", "max": self.p["max_deliveries"]}
        channel, message = s["channel"], s["message"]
        body = {"to": "+15557788999", "message": message}
        if self.frm is not None:
            body["from"] = self.frm
        body["token_length"] = len(self.token)
        result = validate(channel, body, {})
        if "violations" in result:
            return {"kind": "invalid", "violations": result["violations"]}
        self.deliveries += 1
        self.channel = channel
        text = render(channel, result["ok"]["message"], self.token)
        return {"kind": "delivered", "channel": channel, "text": text}

    def after(self, s, outcome):
        return {"state": self.state, "status": self.status(s["at"]),
                "revision": self.revision(), "attempts_used": self.attempts,
                "deliveries": self.deliveries, "channel": self.channel,
                "issued_at": self.issued_at, "outcome": outcome}


# --- ids (SPEC §6.3, §6.4) -------------------------------------------------------------------

def parse_id(text):
    b = text.encode("utf-8")
    if len(b) != 36:
        return {"error": {"kind": "length", "given": len(b)}}
    for i, c in enumerate(b):
        if i in (8, 13, 18, 23):
            if c != 0x2D:
                return {"error": {"kind": "hyphen", "at": i}}
        elif chr(c) not in "0123456789abcdefABCDEF":
            return {"error": {"kind": "not_hex", "at": i}}
    return id_from_bytes(bytes.fromhex(text.replace("-", "")))


def id_from_bytes(b):
    if b[6] >> 4 != 4:
        return {"error": {"kind": "version"}}
    if b[8] >> 6 != 0b10:
        return {"error": {"kind": "variant"}}
    return {"ok": {"canonical": id_text(b), "bytes": b.hex()}}


# --- strict JSON (SPEC §1.6, §7.2, §7.9) --------------------------------------------------------


class Float:
    """A JSON number with a fraction or exponent (or -0): never an integer."""

    def __init__(self, text):
        self.text = text


class Pairs(list):
    """A JSON object as its (key, value) pairs in document order."""


class Malformed(Exception):
    pass


def strict_loads(text):
    """JSON with exact integers, objects as ordered pairs (duplicates kept),
    and no NaN/Infinity or unpaired surrogates."""
    def constant(name):
        raise Malformed(name)

    def parse_int(s):
        return Float(s) if s == "-0" else int(s)

    try:
        value = json.loads(text, object_pairs_hook=Pairs, parse_float=Float,
                           parse_int=parse_int, parse_constant=constant)
    except ValueError as e:
        raise Malformed(str(e))

    def walk(v):
        if isinstance(v, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
                raise Malformed("unpaired surrogate")
        elif isinstance(v, Pairs):
            for k, x in v:
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(value)
    return value


def is_int(v, lo, hi):
    return type(v) is int and lo <= v <= hi


I64 = (-(2 ** 63), 2 ** 63 - 1)
U64 = (0, 2 ** 64 - 1)

# --- request and verify bodies (SPEC §7.2-§7.4) ------------------------------------------------

BODY_TYPES = {"to": "str", "from": "str", "message": "str", "token_length": "int",
              "max_attempts": "int", "allow_alphas": "bool", "allow_alpha": "bool",
              "valid_for": "int"}


def type_ok(kind, v):
    if kind == "str":
        return isinstance(v, str)
    if kind == "bool":
        return isinstance(v, bool)
    return is_int(v, *I64)


WS = " \t\n\r"


def skip_ws(text, i):
    while i < len(text) and text[i] in WS:
        i += 1
    return i


def malformed_body_names(endpoint, text):
    """For a body that is not well-formed JSON: the field its detail must
    name, or None (SPEC §7.4). The members are read in document order, each
    key judged before its value; the first problem wins. A problem found
    while reading a known key's value (malformed there, a number beyond
    the reader, a wrong type) names that field; malformed text anywhere
    else names nothing."""
    decoder = json.JSONDecoder(object_pairs_hook=Pairs, parse_float=Float,
                               parse_constant=lambda name: (_ for _ in ()).throw(Malformed(name)))
    i = skip_ws(text, 0)
    if text[i:i + 1] != "{":
        return None
    i, seen = i + 1, set()
    while True:
        i = skip_ws(text, i)
        if text[i:i + 1] != '"':
            return None
        try:
            key, i = json.decoder.scanstring(text, i + 1)
        except ValueError:
            return None
        if any(0xD800 <= ord(c) <= 0xDFFF for c in key):
            return None
        i = skip_ws(text, i)
        if text[i:i + 1] != ":":
            return None
        i = skip_ws(text, i + 1)
        if endpoint == "verify":
            if key != "token":
                return None
            field = "token"
        else:
            if key not in BODY_TYPES:
                return None
            field = "allow_alphas" if key == "allow_alpha" else key
        if field in seen:
            return field
        seen.add(field)
        try:
            value, j = decoder.raw_decode(text, i)
        except (ValueError, Malformed):
            return field
        # A number followed by a digit (`01`) is malformed inside the value.
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and text[j:j + 1].isdigit():
            return field
        try:
            strict_loads(text[i:j])
        except Malformed:
            return field
        value = strict_loads(text[i:j])
        if value is not None:
            kind = "str" if endpoint == "verify" else BODY_TYPES[key]
            if not type_ok(kind, value):
                return field
        elif endpoint == "verify":
            return field
        i = skip_ws(text, j)
        if text[i:i + 1] == ",":
            i += 1
            continue
        return None


def parse_body(endpoint, text):
    """("ok", fields) or ("bad", the field the detail must name, or None)."""
    try:
        value = strict_loads(text)
    except Malformed:
        return "bad", malformed_body_names(endpoint, text)
    if not isinstance(value, Pairs):
        return "bad", None
    out, seen = {}, set()
    for key, v in value:
        if endpoint == "verify":
            if key != "token":
                return "bad", None
            if key in seen:
                return "bad", "token"
            seen.add(key)
            if not isinstance(v, str):
                return "bad", "token"
            out["token"] = v
            continue
        if key not in BODY_TYPES:
            return "bad", None
        field = "allow_alphas" if key == "allow_alpha" else key
        if field in seen:
            return "bad", field
        seen.add(field)
        if v is None:
            continue
        if not type_ok(BODY_TYPES[key], v):
            return "bad", field
        out[field] = v
    if endpoint == "verify" and "token" not in out:
        return "bad", None
    return "ok", out


# --- stored record (SPEC §8) -------------------------------------------------------------------

RECORD_KEYS = ["id", "channel", "to", "from", "token", "allow_alphas", "issued_at",
               "valid_for", "max_attempts", "attempts_used", "max_deliveries",
               "deliveries", "state"]
STATES = ["pending", "verified", "exhausted", "expired", "canceled"]


def first_repeated(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            return k
        seen.add(k)
    return None


def check_record(text):
    """The faults of a stored record as a list of (field, rule); [] when it
    reads. One fault per check of SPEC §8.3; the revision is compared only
    when everything else holds (it is derived from valid counters).
    Versions (SPEC §8.6): `v2` is `{"revision", "challenge"}`; `v1` is the
    flat layout (the thirteen keys and `revision` side by side) or, when it
    has a `challenge` key, the `v2` layout under the name `v1`."""
    try:
        value = strict_loads(text)
    except Malformed:
        return [("(json)", "malformed")], None
    if not isinstance(value, Pairs):
        return [("(record)", "type")], None
    keys = [k for k, _ in value]
    if not keys:
        return [("v2", "missing_key")], None
    unknown = [k for k in keys if k not in ("v1", "v2")]
    if unknown:
        return [(unknown[0], "version")], None
    if first_repeated(value):
        return [(first_repeated(value), "duplicate_key")], None
    if len(keys) > 1:
        return [(keys[1], "version")], None
    version, body = value[0]
    if not isinstance(body, Pairs):
        return [(version, "type")], None
    if first_repeated(body):
        return [(first_repeated(body), "duplicate_key")], None
    d = dict(body)
    faults = []
    if version == "v2" or "challenge" in d:
        for k in d:
            if k not in ("revision", "challenge"):
                faults.append((k, "unknown_key"))
        for k in ("revision", "challenge"):
            if k not in d:
                faults.append((k, "missing_key"))
        if faults:
            return faults, None
        revision, ch = d["revision"], d["challenge"]
        if not isinstance(ch, Pairs):
            return [("challenge", "type")], None
        if first_repeated(ch):
            return [(first_repeated(ch), "duplicate_key")], None
        c = dict(ch)
    else:
        c = {k: x for k, x in d.items() if k != "revision"}
        if "revision" not in d:
            faults.append(("revision", "missing_key"))
        revision = d.get("revision")
    if not is_int(revision, *U64) and "revision" in d:
        faults.append(("revision", "type"))
    c.setdefault("from", None)
    for k in c:
        if k not in RECORD_KEYS:
            faults.append((k, "unknown_key"))
    for k in RECORD_KEYS:
        if k not in c:
            faults.append((k, "missing_key"))
    if faults:
        return faults, None
    types = {
        "id": lambda x: isinstance(x, str),
        "channel": lambda x: x in ("sms", "call") and isinstance(x, str),
        "to": lambda x: isinstance(x, str),
        "from": lambda x: x is None or isinstance(x, str),
        "token": lambda x: isinstance(x, str),
        "allow_alphas": lambda x: isinstance(x, bool),
        "issued_at": lambda x: is_int(x, *U64),
        "valid_for": lambda x: is_int(x, *U64),
        "max_attempts": lambda x: is_int(x, *U64),
        "attempts_used": lambda x: is_int(x, *U64),
        "max_deliveries": lambda x: is_int(x, *U64),
        "deliveries": lambda x: is_int(x, *U64),
        "state": lambda x: isinstance(x, str) and x in STATES,
    }
    faults = [(k, "type") for k in RECORD_KEYS if not types[k](c[k])]
    if faults:
        return faults, None
    if "ok" not in parse_id(c["id"]):
        faults.append(("id", "id"))
    if e164(c["to"]):
        faults.append(("to", "e164"))
    if c["from"] is not None and e164(c["from"]):
        faults.append(("from", "e164"))
    alphabet = ALPHANUMERIC if c["allow_alphas"] else NUMERIC
    if not 4 <= len(c["token"]) <= 20:
        faults.append(("token", "token_length"))
    elif any(x not in alphabet for x in c["token"]):
        faults.append(("token", "token_alphabet"))
    if c["valid_for"] > 604800:
        faults.append(("valid_for", "range"))
    if not 1 <= c["max_attempts"] <= 20:
        faults.append(("max_attempts", "range"))
    elif c["attempts_used"] > c["max_attempts"]:
        faults.append(("attempts_used", "range"))
    if not 1 <= c["max_deliveries"] <= 20:
        faults.append(("max_deliveries", "range"))
    elif not 1 <= c["deliveries"] <= c["max_deliveries"]:
        faults.append(("deliveries", "range"))
    used, most = c["attempts_used"], c["max_attempts"]
    consistent = {"pending": used < most, "expired": used < most,
                  "canceled": used < most, "exhausted": used == most,
                  "verified": used >= 1}[c["state"]]
    if not consistent:
        faults.append(("state", "state_counters"))
    if faults:
        return faults, None
    want = (used + c["deliveries"] - 1
            + (1 if c["state"] in ("expired", "canceled") else 0))
    if revision != want:
        return [("revision", "revision")], None
    c["id"] = parse_id(c["id"])["ok"]["canonical"]
    written = {"v2": {"revision": revision,
                      "challenge": {k: c[k] for k in RECORD_KEYS}}}
    return [], json.dumps(written, separators=(",", ":"), ensure_ascii=False)


# --- abuse control (SPEC §9): send limits, lockout, calling codes ---------------------------------

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1


def limit_error(field, rule, data):
    return {"field": field, "rule": rule, "data": data}


def in_range(field, lo, hi, given):
    if lo <= given <= hi:
        return None
    return limit_error(field, "out_of_range", {"min": lo, "max": hi, "given": given})


def send_policy(policy):
    """(windows, None) or (None, the refusal): each window in order (`max`
    1-64, then `interval_secs` 1 to 2^32-1), then the count (1-4)."""
    windows = []
    for w in policy["windows"]:
        err = (in_range("max", 1, 64, w["max"])
               or in_range("interval_secs", 1, U32_MAX, w["interval_secs"]))
        if err:
            return None, err
        windows.append((w["max"], w["interval_secs"]))
    err = in_range("windows", 1, 4, len(windows))
    return (None, err) if err else (windows, None)


class SendLog:
    """Every allowed event's time. An event at `now` is judged at
    t = max(now, newest): allowed iff in every window fewer than `max`
    allowed events lie in (t - interval, t], i.e. the `max`-th most recent
    is at or before t - interval. A refusal waits until that event leaves
    the window, counted from `now` (the largest wait over the windows,
    at most 2^64-1). An allowed event is recorded at t."""

    def __init__(self):
        self.events = []
        self.revision = 0

    def decide(self, windows, now):
        t = max(now, self.events[-1]) if self.events else now
        wait = 0
        for m, interval in windows:
            if len(self.events) >= m:
                age = t - self.events[-m]
                if age < interval:
                    wait = max(wait, min(interval - age + (t - now), U64_MAX))
        return t, wait

    def send(self, windows, now):
        t, wait = self.decide(windows, now)
        if wait == 0:
            self.events.append(t)
            # Kept: the 64 newest (no window counts more), less those more
            # than 2^32-1 s older than the newest (no window reaches them).
            # A time exactly 2^32-1 s older is kept.
            self.events = [e for e in self.events[-64:] if t - e <= U32_MAX]
            self.revision += 1
        return wait


def limits_answer(v):
    """The expected part of a limits vector, from its inputs."""
    windows, err = send_policy(v["policy"])
    if err:
        return {"invalid_policy": err}
    log = SendLog()
    steps = []
    for s in v["steps"]:
        if s["op"] == "send":
            wait = log.send(windows, s["at"])
        else:
            wait = log.decide(windows, s["at"])[1]
        after = {"decision": "allowed"} if wait == 0 else {"decision": "refused", "retry_after": wait}
        after["revision"] = log.revision
        after["events"] = list(log.events)
        steps.append({"after": after})
    return {"steps": steps}


def lockout_policy(p):
    """The refusal of a lockout policy, checked in order, or None."""
    free, base = p["free_failures"], p["base_delay_secs"]
    cap, hard = p["max_delay_secs"], p["hard_limit"]
    err = in_range("hard_limit", 1, 100, hard)
    if err:
        return err
    if free > hard:
        return limit_error("free_failures", "above_other",
                           {"other": "hard_limit", "bound": hard, "given": free})
    err = in_range("base_delay_secs", 1, 86400, base) or in_range("max_delay_secs", 1, 86400, cap)
    if err:
        return err
    if cap < base:
        return limit_error("max_delay_secs", "below_other",
                           {"other": "base_delay_secs", "bound": base, "given": cap})
    return None


def delay_after(p, failures):
    """Seconds to wait after the last try, or None when locked."""
    if failures >= p["hard_limit"]:
        return None
    if failures <= p["free_failures"]:
        return 0
    return min(p["base_delay_secs"] << (failures - p["free_failures"] - 1), p["max_delay_secs"])


def lockout_answer(v):
    """The expected part of a lockout vector, from its inputs."""
    p = v["policy"]
    err = lockout_policy(p)
    if err:
        return {"invalid_policy": err}
    failures = last_try = revision = 0
    steps = []
    for s in v["steps"]:
        after = {}
        if s["op"] in ("success", "reset"):
            if failures:
                failures, revision = 0, revision + 1
        else:
            now = s["at"]
            d = delay_after(p, failures)
            t = max(now, last_try)
            if d is None:
                after = {"answer": "locked"}
            elif t - last_try >= d:
                after = {"answer": "allowed"}
                if s["op"] == "try":
                    failures, last_try, revision = failures + 1, t, revision + 1
            else:
                after = {"answer": "wait", "secs": min(d - (t - last_try) + (t - now), U64_MAX)}
        after["failures"] = failures
        after["revision"] = revision
        steps.append({"after": after})
    return {"steps": steps}


def code_ranges(text):
    out = set()
    for part in text.split():
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


# The assigned ITU-T E.164 country calling codes (ITU Operational Bulletin
# list, position of 15 December 2016 with later changes): countries and
# areas, shared codes (388, 800, 870, 878, 881-883, 979, 991) and 970.
# Spare or only reserved: 210, 214, 215, 217, 219, 259, 28x, 292-296, 384,
# 422, 424-429, 671, 684, 693-699, 808, 83x, 851, 854, 857-859, 871-877,
# 879, 884, 885, 887, 888, 889, 969, 978, 990, 997, 999.
CALLING_CODES = code_ranges("""
    1 7 20 27 30-34 36 39 40 41 43-49 51-58 60-66 81 82 84 86 90-95 98
    211-213 216 218 220-258 260-269 290 291 297-299 350-359 370-383 385-389
    420 421 423 500-509 590-599 670 672-683 685-692 800 850 852 853 855 856
    870 878 880-883 886 960-968 970-977 979 991-996 998
""")
assert len(CALLING_CODES) == 216


def calling_code(number):
    """The assigned code a valid E.164 number starts with, or None."""
    digits = number[1:]
    for k in (3, 2, 1):
        if len(digits) >= k and int(digits[:k]) in CALLING_CODES:
            return int(digits[:k])
    return None


# --- driver ------------------------------------------------------------------------------------------


def load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return json.load(f)["vectors"]


def load_pairs(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=Pairs)


class Tally:
    def __init__(self):
        self.passed = self.failed = 0
        self.skipped = {}
        self.families = {}

    def check(self, family, label, got, want):
        self.families[family] = self.families.get(family, 0) + 1
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {family} {label}: got {got!r}, want {want!r}")

    def skip(self, family, reason):
        key = f"{family}: {reason}"
        self.skipped[key] = self.skipped.get(key, 0) + 1


def check_segments(t):
    for v in load("segments.json"):
        t.check("segments", repr(v["text"][:40]), segments(v["text"]),
                (v["encoding"], v["units"], v["parts"]))


def check_normalize(t):
    for v in load("normalize.json"):
        t.check("normalize", repr(v["input"]), normalize(v["input"]), v["normalized"])
    # Cross-check SPEC §3.5's list with this Python's Unicode database, as
    # far as that database goes: every Nd character it knows must be in the
    # list with its value. Runs it does not know yet are skipped.
    known = {c: unicodedata.decimal(chr(c)) for c in range(0x110000)
             if unicodedata.category(chr(c)) == "Nd"}
    t.check("normalize", "SPEC Nd list vs unicodedata",
            {c: ND_VALUE.get(c) for c in known}, known)
    for z in ND_ZEROS:
        if z not in known:
            t.skip("normalize", f"Nd run U+{z:04X} is newer than this Python's "
                   f"Unicode {unicodedata.unidata_version}: not cross-checked")


def check_tokens(t):
    for v in load("tokens.json"):
        stream = bytes.fromhex(v["rng"])
        got = draw(stream, v["token_length"], v["alphabet"] == "alphanumeric",
                   v.get("host_token"))
        t.check("tokens", v["name"], got,
                (v["id"], v["token"], v["requests"], len(stream)))


def check_render(t):
    for v in load("render.json"):
        message = v["message"] if v["message"] is not None else DEFAULT[v["channel"]]
        pieces, error = template(message)
        if error is not None or None in pieces:
            t.check("render", v["name"], (error, pieces.count(None)), (None, 0))
            continue
        text = render(v["channel"], message, v["token"])
        enc, units, parts = segments(text)
        got = {"text": text, "separator": separator(literal_text(pieces)) == 1,
               "voice_length": voice_length(message, len(v["token"])),
               "chars": len(text), "encoding": enc, "units": units, "parts": parts}
        want = {k: v[k] for k in got}
        t.check("render", v["name"], got, want)


def check_params(t):
    for v in load("params.json"):
        t.check("params", v["name"], validate(v["channel"], v["body"], v["host"]),
                v["result"])


def check_traces(t):
    for v in load("traces.json"):
        result = validate(v["channel"], v["body"], v["host"])
        if "ok" not in result:
            t.check("traces", v["name"], result, "valid parameters")
            continue
        p = result["ok"]
        host_token = v["host"].get("token")
        stream = bytes.fromhex(v["rng"])
        cid, token, _, used = draw(stream, p["token_length"], p["allow_alphas"],
                                   host_token)
        c = Challenge(p, v["issued_at"], v["channel"], token, p["from"])
        steps = []
        for s in v["steps"]:
            steps.append(c.after(s, c.step(s)))
        first = render(v["channel"], p["message"], token)
        t.check("traces", v["name"],
                (cid, token, used, first, steps),
                (v["id"], v["token"], len(stream), v["first_delivery"],
                 [s["after"] for s in v["steps"]]))


def check_ids(t):
    for v in load("ids.json"):
        if "text" in v:
            got = parse_id(v["text"])
        else:
            got = id_from_bytes(bytes.fromhex(v["bytes"]))
        t.check("ids", v["name"], got, v["result"])


def check_stored(t):
    for v in load("stored.json"):
        faults, written = check_record(v["json"])
        if "ok" in v["result"]:
            t.check("stored", v["name"], (faults, written),
                    ([], v["result"]["ok"]["written"]))
        else:
            r = v["result"]["refused"]
            # Exactly the one fault the vector names.
            t.check("stored", v["name"], faults, [(r["field"], r["rule"])])


def check_bodies(t):
    for v in load("bodies.json"):
        verdict, data = parse_body(v["endpoint"], v["json"])
        if verdict == "ok":
            got = {"ok": data}
        else:
            got = {"bad_body": {"status": 422, "title": "Invalid request body",
                                "code": "invalid_body", "detail_names": data}}
        want = v["result"]
        if "bad_body" in want:
            want = {"bad_body": {k: want["bad_body"][k] for k in
                                 ("status", "title", "code", "detail_names")}}
        t.check("bodies", v["name"], got, want)


def error(status, title, code):
    return {"status": str(status), "title": title, "code": code}


def answer(outcome):
    """(status, body) of SPEC §7.5-§7.6, error entries without `detail`."""
    kind = outcome["kind"]
    if kind == "verified":
        return 200, {"success": True}
    if kind == "wrong_token":
        return 200, {"success": False}
    if kind == "rejected":
        return 404, {"errors": [error(404, "Not Found", outcome["reason"])]}
    if kind == "unknown_id":
        return 404, {"errors": [error(404, "Not Found", "not_found")]}
    if kind == "issued":
        return 200, {"id": outcome["id"], "success": True, "to": outcome["to"],
                     "channel": outcome["channel"]}
    if kind == "invalid":
        r = validate(outcome["channel"], outcome["body"], {})
        return 422, {"errors": [error(422, f"Invalid parameter: {x['field']}", x["code"])
                                for x in r["violations"]]}
    if kind == "bad_body":
        assert parse_body("request", outcome["json"])[0] == "bad"
        return 422, {"errors": [error(422, "Invalid request body", "invalid_body")]}
    if kind == "resent":
        return answer(dict(outcome, kind="issued"))
    if kind in ("resend_rejected", "cancel_rejected"):
        return 404, {"errors": [error(404, "Not Found", outcome["reason"])]}
    if kind == "deliveries_exhausted":
        return 429, {"errors": [error(429, "Too Many Requests", "deliveries_exhausted")]}
    if kind == "resend_invalid":
        # A challenge issued by SMS without `from`, resent (SPEC §5.7 step 3).
        body = {"to": "+15557788999", "message": outcome["message"]}
        r = validate(outcome["channel"], body, {})
        return 422, {"errors": [error(422, f"Invalid parameter: {x['field']}", x["code"])
                                for x in r["violations"]]}
    if kind == "canceled":
        return 200, {"success": True}
    raise ValueError(kind)


def check_wire(t):
    """Statuses, bodies and key order (SPEC §7.5, §7.6), read from the file
    with its key order kept; `detail` is not normative and not compared."""
    doc = dict(load_pairs("wire.json"))
    for pairs in doc["vectors"]:
        v = dict(pairs)
        body = v["body"]
        order = [[k for k, _ in body]]
        for k, errors in body:
            if k == "errors":
                order += [[k2 for k2, _ in e] for e in errors]
        plain = json.loads(json.dumps(to_plain(body)))
        for e in plain.get("errors", []):
            del e["detail"]
        outcome = to_plain(v["outcome"])
        # The exact bytes of an answer without `detail` (SPEC §7.5).
        compact = json.dumps(to_plain(body), separators=(",", ":"), ensure_ascii=False)
        t.check("wire", json.dumps(outcome)[:60] + " text",
                v.get("text"), None if "errors" in plain else compact)
        if outcome["kind"] in ("issued", "resent"):
            want_order = [["id", "success", "to", "channel"]]
        elif "errors" in plain:
            entry = ["detail", "status", "title", "code"]
            want_order = [["errors"]] + [entry] * len(plain["errors"])
        else:
            want_order = [["success"]]
        t.check("wire", json.dumps(outcome)[:60], (v["status"], plain, order),
                answer(outcome) + (want_order,))


def to_plain(v):
    if isinstance(v, Pairs):
        return {k: to_plain(x) for k, x in v}
    if isinstance(v, list):
        return [to_plain(x) for x in v]
    return v


def check_limits(t):
    for v in load("limits.json"):
        want = {k: v[k] for k in ("invalid_policy",) if k in v}
        if "invalid_policy" not in v:
            want["steps"] = [{"after": s["after"]} for s in v["steps"]]
        t.check("limits", v["name"], limits_answer(v), want)


def check_lockout(t):
    for v in load("lockout.json"):
        want = {k: v[k] for k in ("invalid_policy",) if k in v}
        if "invalid_policy" not in v:
            want["steps"] = [{"after": s["after"]} for s in v["steps"]]
        t.check("lockout", v["name"], lockout_answer(v), want)


def templates_result(channel, body, host):
    """A templates vector's `result`, from SPEC §2 and §4.10 alone."""
    result = validate(channel, body, host)
    if "violations" in result:
        return result
    message, token = result["ok"]["message"], host["token"]
    text = render(channel, message, token)
    enc, units, parts = segments(text)
    return {"ok": {
        "placeholders": template(message)[0].count(None), "text": text,
        "voice_length": voice_length(message, len(token)), "chars": len(text),
        "encoding": enc, "units": units, "parts": parts}}


def check_templates(t):
    for v in load("templates.json"):
        t.check("templates", v["name"],
                templates_result(v["channel"], v["body"], v["host"]), v["result"])


def check_calling_codes(t):
    for v in load("calling_codes.json"):
        t.check("calling_codes", v["name"], (e164(v["number"]), calling_code(v["number"])),
                (None, v["country_code"]))


def main():
    t = Tally()
    for check in (check_segments, check_normalize, check_tokens, check_render,
                  check_params, check_traces, check_ids, check_stored,
                  check_bodies, check_wire, check_limits, check_lockout,
                  check_calling_codes, check_templates):
        check(t)
    print(f"Python {sys.version.split()[0]}, Unicode database "
          f"{unicodedata.unidata_version}")
    print("checked: " + ", ".join(f"{f} {n}" for f, n in t.families.items()))
    for reason, n in sorted(t.skipped.items()):
        print(f"skipped {n}: {reason}")
    skipped = sum(t.skipped.values())
    print(f"{t.passed} passed, {t.failed} failed, {skipped} skipped")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
