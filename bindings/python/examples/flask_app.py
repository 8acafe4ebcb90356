"""The guide's three routes over mfa_core, in Flask.

    pip install flask mfa-core
    flask --app examples/flask_app.py run

POST /mfa/sms and /mfa/call issue a code (the text is "sent" by printing
it), POST /mfa/<id>/verify checks one. The store is a dict behind a lock
standing in for a database table with a `revision` column: every write is
a compare-and-swap on the revision read, as the library's host duties ask
(store before send; write back before answering).
"""

from __future__ import annotations

import threading
from typing import Callable, Dict, Optional, Tuple

from flask import Flask, Response, request

from mfa_core import (
    BadBody,
    Challenge,
    InvalidRequest,
    Lockout,
    LockoutPolicy,
    SendLog,
    SendPolicy,
    wire,
)


class Store:
    """key -> (record JSON, revision), with compare-and-swap writes."""

    def __init__(self) -> None:
        self._rows: Dict[str, Tuple[str, int]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Optional[Tuple[str, int]]:
        with self._lock:
            return self._rows.get(key)

    def put(self, key: str, record: str, revision: int, expected: Optional[int]) -> bool:
        """Writes if the stored revision is still `expected` (None: absent)."""
        with self._lock:
            row = self._rows.get(key)
            if (row[1] if row else None) != expected:
                return False
            self._rows[key] = (record, revision)
            return True


def answer(r) -> Response:
    return Response(r.body, status=r.status, headers=r.headers)


def create_app(send: Callable[[str, str, str], None] = lambda ch, to, text: print(ch, to, text),
               send_policy: Optional[SendPolicy] = None,
               lockout_policy: Optional[LockoutPolicy] = None) -> Flask:
    app = Flask(__name__)
    challenges, send_logs, lockouts = Store(), Store(), Store()
    send_policy = send_policy or SendPolicy()
    lockout_policy = lockout_policy or LockoutPolicy()

    def spend_send(number: str):
        """One send for this number, or the 429 to answer."""
        while True:
            row = send_logs.get(number)
            log = SendLog.from_json(row[0]) if row else SendLog()
            d = log.try_send(send_policy)
            if not d.allowed:
                return d.response()
            if send_logs.put(number, d.record, d.revision, row[1] if row else None):
                return None

    def issue(channel: str):
        try:
            req = wire.parse_request_body(request.get_data(), channel)
            challenge, delivery = Challenge.issue(req)
        except (BadBody, InvalidRequest) as e:
            return answer(e.response)
        refused = spend_send(challenge.to)
        if refused is not None:
            return answer(refused)
        # Store first, then send.
        challenges.put(challenge.id, challenge.to_json(), challenge.revision, None)
        send(delivery.channel, delivery.to, delivery.text)
        return answer(wire.issued(challenge))

    @app.post("/mfa/sms")
    def request_sms():
        return issue("sms")

    @app.post("/mfa/call")
    def request_call():
        return issue("call")

    @app.post("/mfa/<challenge_id>/verify")
    def verify(challenge_id: str):
        try:
            code = wire.parse_verify_body(request.get_data())
        except BadBody as e:
            return answer(e.response)
        while True:
            row = challenges.get(challenge_id)
            if row is None:
                return answer(wire.not_found())
            challenge = Challenge.from_json(row[0])
            # The failed-try lockout of the number, across its challenges.
            lrow = lockouts.get(challenge.to)
            lockout = Lockout.from_json(lrow[0]) if lrow else Lockout()
            attempt = lockout.admit(lockout_policy)
            if not attempt.allowed:
                return answer(attempt.response())
            outcome = challenge.verify(code)
            if outcome.verified:
                lockout.reset()
            if not lockouts.put(challenge.to, lockout.to_json(), lockout.revision,
                                lrow[1] if lrow else None):
                continue
            if outcome.changed and not challenges.put(
                    challenge_id, outcome.record, outcome.revision, outcome.expected_revision):
                # Another request wrote first: read again. (The lockout
                # already counted this try: a lost race costs one more.)
                continue
            return answer(outcome.response())

    return app


app = create_app()
