"""Shared test fixtures: where the vectors are, and the count of vectors
passed, printed at the end of the run."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import pytest

#: tests/vectors of the repository (bindings/python/tests -> repo root),
#: or MFA_VECTORS_DIR.
VECTORS = Path(os.environ.get("MFA_VECTORS_DIR")
               or Path(__file__).resolve().parents[3] / "tests" / "vectors")

#: Vectors that passed, per file.
PASSED: Counter = Counter()


def load(name: str) -> List[Dict[str, Any]]:
    with open(VECTORS / name, encoding="utf-8") as f:
        return json.load(f)["vectors"]


@pytest.fixture
def passed():
    """Call ``passed(name)`` once per vector that passed in file ``name``."""
    def count(name: str) -> None:
        PASSED[name] += 1
    return count


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not PASSED:
        return
    total = sum(PASSED.values())
    files = len(PASSED)
    terminalreporter.write_sep("-", "mfa-core vectors")
    for name in sorted(PASSED):
        terminalreporter.write_line(f"  {name}: {PASSED[name]}")
    terminalreporter.write_line(f"vectors: {total} passed in {files} files")
