#!/usr/bin/env python3
"""Checks segments.json and normalize.json with an independent, standard
library only re-implementation of SMS segment counting and token
normalisation, to show the vectors can be used from another language.

Usage: python3 tests/vectors/check.py   (exit 0 when every vector agrees)
"""
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

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


class Unknown(Exception):
    """A character this Python's Unicode database does not know."""


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
        elif unicodedata.category(c) == "Nd":
            out.append(str(unicodedata.decimal(c)))
        elif unicodedata.category(c) == "Cn":
            raise Unknown(c)
        else:
            return None
    if not 4 <= len(out) <= 20:
        return None
    return "".join(out)


def load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return json.load(f)["vectors"]


def main():
    failed = checked = skipped = 0
    for v in load("segments.json"):
        want = (v["encoding"], v["units"], v["parts"])
        got = segments(v["text"])
        checked += 1
        if got != want:
            failed += 1
            print(f"segments {v['text']!r}: got {got}, want {want}")
    for v in load("normalize.json"):
        try:
            got = normalize(v["input"])
        except Unknown:
            # Digits newer than this Python's Unicode database.
            skipped += 1
            continue
        checked += 1
        if got != v["normalized"]:
            failed += 1
            print(f"normalize {v['input']!r}: got {got!r}, want {v['normalized']!r}")
    print(f"Unicode database {unicodedata.unidata_version}; skipped vectors use newer digits")
    print(f"check.py: {checked - failed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
