"""The exceptions of mfa_core.

Each carries the same field, rule and data as the Rust error it stands
for. No exception text or ``repr()`` ever holds a one-time code.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

__all__ = [
    "MfaError",
    "InvalidRequest",
    "BadBody",
    "InvalidPolicy",
    "InvalidId",
    "InvalidPhone",
    "InvalidRecord",
    "RandomSourceError",
]


class MfaError(Exception):
    """Base class of every mfa_core error."""


class InvalidRequest(MfaError, ValueError):
    """A request breaks one or more rules (SPEC §2).

    ``violations`` lists every broken rule (``field``, ``rule``, ``data``),
    in the contract's field order; ``response`` is the guide's 422 answer.
    """

    def __init__(self, message: str, violations: List[Any], response: Any) -> None:
        super().__init__(message)
        self.violations = violations
        self.response = response

    @property
    def fields(self) -> List[str]:
        """The fields named, in order (a field may appear twice)."""
        return [v.field for v in self.violations]


class BadBody(MfaError, ValueError):
    """A request or verify body that does not read (SPEC §7.4).

    ``detail`` names the problem (never the code); ``response`` is the 422.
    """

    def __init__(self, detail: str, response: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.response = response


class _FieldError(MfaError, ValueError):
    def __init__(self, message: str, field: str, rule: str, data: Dict[str, Any]) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}(field={self.field!r}, rule={self.rule!r}, data={self.data!r})"


class InvalidPolicy(_FieldError):
    """A send or lockout policy breaks a rule (SPEC §9): ``field``
    (``max``, ``interval_secs``, ``windows``, ``free_failures``, …),
    ``rule`` (``out_of_range``, ``above_other``, ``below_other``) and
    ``data`` (``min``/``max``/``given`` or ``other``/``bound``/``given``)."""


class InvalidId(_FieldError):
    """Not a challenge id (SPEC §6.3): ``rule`` is ``length``, ``hyphen``,
    ``not_hex``, ``version`` or ``variant``; ``data`` holds ``given`` or
    ``at`` where they apply."""


class InvalidPhone(_FieldError):
    """Not an E.164 number: ``rule`` is ``invalid_e164`` and ``data`` holds
    ``kind`` (``missing_plus``, ``not_a_digit``, ``too_short``,
    ``too_long``, ``leading_zero``) and ``at`` or ``digits``."""


class InvalidRecord(MfaError, ValueError):
    """A stored record (challenge, send log, lockout, policy) that does not
    read or breaks a rule (SPEC §8.3). The text names the field or rule
    and never holds the code."""


class RandomSourceError(MfaError, RuntimeError):
    """The random source failed (or a test stream ran out)."""


# Shown as mfa_core.X, where they are meant to be imported from.
for _cls in (MfaError, InvalidRequest, BadBody, InvalidPolicy, InvalidId, InvalidPhone,
             InvalidRecord, RandomSourceError):
    _cls.__module__ = "mfa_core"
