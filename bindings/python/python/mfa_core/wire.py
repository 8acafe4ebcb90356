"""The guide's JSON wire format: strict body readers and HTTP answers.

Every answer is an :class:`mfa_core.HttpResponse` (``status``, exact
``body`` text, ``retry_after``, ``headers``). Outcomes have their own
``response()`` method; these functions cover the rest.
"""

from ._native import (
    HttpResponse,
    closed_response as closed,
    deliveries_exhausted_response as deliveries_exhausted,
    error_response as error,
    issued_response as issued,
    locked_response as locked,
    not_found_response as not_found,
    parse_request_body,
    parse_verify_body,
    rate_limited_response as rate_limited,
)

#: A delivered resend is answered like an issue, with the new channel.
resent = issued

__all__ = [
    "HttpResponse",
    "closed",
    "deliveries_exhausted",
    "error",
    "issued",
    "locked",
    "not_found",
    "parse_request_body",
    "parse_verify_body",
    "rate_limited",
    "resent",
]
