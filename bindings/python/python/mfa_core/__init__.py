"""mfa_core: SMS / voice one-time codes (MFA) from the Rust core.

Validation, uniform codes, the delivery text and its SMS segments, the
challenge state machine, constant-time verification, the guide's JSON
bodies, send limits and a failed-try lockout. Sans-IO: you store the JSON
records and send the texts; the library decides.

>>> from mfa_core import Challenge, Request
>>> challenge, delivery = Challenge.issue(Request("+15557788999"))
>>> record = challenge.to_json()          # store this under challenge.id
>>> delivery.text.startswith("Your Personal Authorization Code is: ")
True
"""

from ._errors import (
    BadBody,
    InvalidId,
    InvalidPhone,
    InvalidPolicy,
    InvalidRecord,
    InvalidRequest,
    MfaError,
    RandomSourceError,
)
from ._native import (
    DEFAULT_CALL_MESSAGE,
    DEFAULT_SMS_MESSAGE,
    Attempt,
    Cancellation,
    Challenge,
    ChallengeId,
    Change,
    Delivery,
    HttpResponse,
    Lockout,
    LockoutPolicy,
    Params,
    Request,
    Resend,
    Segments,
    SendDecision,
    SendLog,
    SendPolicy,
    Verification,
    Violation,
    check_template,
    country_code,
    normalize,
    segments,
)
from . import wire

__version__ = "0.1.0"

__all__ = [
    "Attempt",
    "BadBody",
    "Cancellation",
    "Challenge",
    "ChallengeId",
    "Change",
    "DEFAULT_CALL_MESSAGE",
    "DEFAULT_SMS_MESSAGE",
    "Delivery",
    "HttpResponse",
    "InvalidId",
    "InvalidPhone",
    "InvalidPolicy",
    "InvalidRecord",
    "InvalidRequest",
    "Lockout",
    "LockoutPolicy",
    "MfaError",
    "Params",
    "RandomSourceError",
    "Request",
    "Resend",
    "Segments",
    "SendDecision",
    "SendLog",
    "SendPolicy",
    "Verification",
    "Violation",
    "check_template",
    "country_code",
    "normalize",
    "segments",
    "wire",
]
