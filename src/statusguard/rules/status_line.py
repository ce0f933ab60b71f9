"""Rules on the status code and the reason phrase (RFC 9110 §15, RFC 9112 §4).

Pure functions of the head; the reason phrase is only present for WSGI-style status lines.
"""

from __future__ import annotations

from ..codes import lookup
from ..model import SHAPE_ONLY, Head, Reference, Rule, Severity
from ._syntax import CONTROL, show


def _invalid(head: Head) -> str | None:
    if 100 <= head.status <= 599:
        return None
    if head.status == 0 and head.reason is not None:
        return f"the status line {show(head.reason)} does not start with a three-digit code."
    return f"the status {head.status} is not a three-digit code in 100..599."


def _invalid_fix(head: Head) -> Head:
    # No status can be made up; what is left is to keep the line from splitting the response.
    if head.reason is None or CONTROL.search(head.reason) is None:
        return head
    return head.replace(reason=CONTROL.sub(b"", head.reason))


def _unregistered(head: Head) -> str | None:
    if not 100 <= head.status <= 599:
        return None
    record = lookup(head.status)
    if record.registered:
        return None
    known = f" ({record.phrase}, {record.document})" if record.phrase else ""
    return (
        f"{head.status}{known} is not in the IANA registry; clients treat it as "
        f"{head.status // 100}00."
    )


def _deprecated(head: Head) -> str | None:
    record = lookup(head.status)
    if not record.deprecated:
        return None
    return (
        f"{head.status} {record.phrase} is {record.registry.value} in the IANA registry "
        f"({record.reference})."
    )


def _interim_final(head: Head) -> str | None:
    if 100 <= head.status <= 199 and head.status != 101:
        return (
            f"{head.status} was sent as the final response; a 1xx is interim and must be "
            "followed by a final 2xx-5xx response."
        )
    return None


def _reason_invalid(head: Head) -> str | None:
    reason = head.reason
    if reason is None:
        return None
    if CONTROL.search(reason) is not None:
        return f"the reason phrase {show(reason)} contains control characters."
    if reason[:1] == b"\t":
        # status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4); the
        # reason of a line whose code is followed by a TAB keeps that TAB (engine.parse_status)
        return f"the status code is followed by {show(reason[:1])}, not by a space."
    return None


def _reason_fix(head: Head) -> Head:
    return head.replace(reason=lookup(head.status).phrase.encode("ascii"))


STATUS_CODE_INVALID = Rule(
    id="status-code-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A status code is a three-digit integer from 100 to 599",
    quote="All valid status codes are within the range of 100 to 599, inclusive.",
    check=_invalid,
    fix=_invalid_fix,
    fix_summary="remove the control characters of the status line (the status stays invalid)",
    reads=SHAPE_ONLY,
)

# Info, not warning: no RFC sentence keeps a sender from using an unregistered or deprecated
# code ("HTTP status codes are extensible", RFC 9110 §15; a recipient treats an unrecognized
# one as the x00 of its class).  Strict mode does not raise on httpbin's 418 or a 499.
STATUS_CODE_UNREGISTERED = Rule(
    id="status-code-unregistered",
    severity=Severity.INFO,
    reference=Reference(9110, "16.2.1"),
    summary="The status code is not registered with IANA",
    quote=(
        'HTTP status codes are extensible. (RFC 9110 §15) | The "Hypertext Transfer Protocol '
        '(HTTP) Status Code Registry", maintained by IANA at '
        "<https://www.iana.org/assignments/http-status-codes>, registers status code numbers."
    ),
    check=_unregistered,
    reads=SHAPE_ONLY,
)

STATUS_CODE_DEPRECATED = Rule(
    id="status-code-deprecated",
    severity=Severity.INFO,
    reference=Reference(9110, "16.2.1"),
    summary="The status code is deprecated, unused or obsoleted",
    quote=(
        "The 305 (Use Proxy) status code was defined in a previous version of this "
        "specification and is now deprecated (RFC 9110 §15.4.6)"
    ),
    check=_deprecated,
    statuses=frozenset({102, 305, 306, 418, 510}),
    reads=SHAPE_ONLY,
)

STATUS_INTERIM_FINAL = Rule(
    id="status-interim-final",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A 1xx response is interim and cannot be the final response",
    quote=(
        'zero or more interim (non-final) responses with status codes in the "informational" '
        "(1xx) range, followed by exactly one final response with a status code in one of the "
        "other ranges."
    ),
    check=_interim_final,
    statuses=frozenset(range(100, 200)),
    reads=SHAPE_ONLY,
)

REASON_PHRASE_INVALID = Rule(
    id="reason-phrase-invalid",
    severity=Severity.ERROR,
    reference=Reference(9112, "4"),
    summary="A reason phrase is made of HTAB, SP and visible characters only",
    quote="reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )",
    check=_reason_invalid,
    fix=_reason_fix,
    fix_summary="replace the phrase with the IANA reason phrase",
    # Only for a real status: an unparsable status line is status-code-invalid's, and is
    # passed on as the app wrote it (no "0 Unknown" in its place).
    statuses=frozenset(range(100, 600)),
    protocols=frozenset({"wsgi", "http"}),
    reads=SHAPE_ONLY,
)

RULES = (
    STATUS_CODE_INVALID,
    STATUS_CODE_UNREGISTERED,
    STATUS_CODE_DEPRECATED,
    STATUS_INTERIM_FINAL,
    REASON_PHRASE_INVALID,
)
