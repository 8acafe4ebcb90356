"""django-phone-verify's own code path, called directly: Django configured
in-process (settings.configure, an in-memory SQLite database, its
migrations), no project, no HTTP. Prints one JSON object: label -> µs/call.

Issue is BaseBackend.create_security_code_and_session_token (the code,
a JWT session token, delete + insert of the row); verify is
BaseBackend.validate_security_code (select, compare, update). Also the
code generation alone (generate_security_code), which touches no database.
"""

from __future__ import annotations

import json
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret-" + "x" * 32,
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "phonenumber_field", "phone_verify"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    PHONE_VERIFICATION={
        "BACKEND": "bench_dpv.NullBackend",
        "OPTIONS": {},
        "TOKEN_LENGTH": 6,
        "MESSAGE": "Your code is {security_code}",
        "APP_NAME": "bench",
        "SECURITY_CODE_EXPIRATION_SECONDS": 3600,
        "VERIFY_SECURITY_CODE_ONLY_ONCE": True,
    },
)
django.setup()

from django.core.management import call_command  # noqa: E402
from phone_verify.backends.base import BaseBackend  # noqa: E402
from phone_verify.models import SMSVerification  # noqa: E402

from timing import per_call  # noqa: E402


class NullBackend(BaseBackend):
    def send_sms(self, number, message):
        pass

    def send_bulk_sms(self, numbers, message):
        pass


def main() -> None:
    call_command("migrate", verbosity=0)
    backend = NullBackend()
    # A pool of numbers: issuing for a number replaces its row, so the
    # table holds at most POOL rows (its lookups are by phone number,
    # which no index serves: a table that grew with the run would time
    # the scan, not the code path).
    pool = 1000
    numbers = [f"+1555{i:07d}" for i in range(pool)]

    def fresh(n=0):
        SMSVerification.objects.all().delete()

    def issue(n, _):
        for i in range(n):
            backend.create_security_code_and_session_token(numbers[i % pool])

    def issued(n):
        fresh()
        return [(numbers[i],) + backend.create_security_code_and_session_token(numbers[i])
                for i in range(min(n, pool))]

    def verify(n, items):
        # Each verifies a fresh code (at most `pool` a run: see per_call's n).
        for number, code, session in items:
            _, status = backend.validate_security_code(code, number, session)
            assert status == BaseBackend.SECURITY_CODE_VALID
        return len(items)

    def generate(n, _):
        for _ in range(n):
            BaseBackend.generate_security_code()

    rows = {
        "python: issue": per_call(issue, fresh, budget=0.5, repeats=3),
        "python: verify (in memory)": per_call(verify, issued, budget=0.5, repeats=3),
        "python: code generation alone": per_call(generate),
    }
    json.dump({"django": django.get_version(), "rows": rows}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
