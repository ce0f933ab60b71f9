"""Rules of the 3xx (Redirection) class (RFC 9110 §15.4), and the conditions a 304 answers.

No guessed Location: a missing one is reported, never invented."""

from __future__ import annotations

from ..model import SHAPE_ONLY, Head, Reference, RequestHeaders, Rule, Severity
from ._common import on_request, requires

NOT_MODIFIED_METADATA = (
    b"content-encoding",
    b"content-language",
    b"content-range",
    b"content-type",
)

# The conditions whose evaluation to false makes a 304 (RFC 9110 §13.1.2, §13.1.3).
_NOT_MODIFIED_CONDITIONS = (b"if-none-match", b"if-modified-since")


def _not_modified_fields(head: Head) -> str | None:
    found = [n.decode() for n in NOT_MODIFIED_METADATA if n in head.fields]
    if not found:
        return None
    return f"a 304 response carries {', '.join(found)}."


def _not_modified_fix(head: Head) -> Head:
    return head.with_headers(head.without(*NOT_MODIFIED_METADATA))


def _not_modified_unconditional(method: str, request: RequestHeaders) -> str | None:
    # "The 304 (Not Modified) status code indicates that a conditional GET or HEAD request has
    # been received and would have resulted in a 200 (OK) response if it were not for the fact
    # that the condition evaluated to false." (RFC 9110 §15.4.5)
    if not request.known or method not in ("GET", "HEAD"):
        return None
    if any(request.get(name) is not None for name in _NOT_MODIFIED_CONDITIONS):
        return None
    return (
        f"a 304 response answers a {method} request that had no If-None-Match or "
        "If-Modified-Since header."
    )


def _not_modified_method(method: str, request: RequestHeaders) -> str | None:
    # If-None-Match: "the origin server MUST respond with either a) the 304 (Not Modified)
    # status code if the request method is GET or HEAD or b) the 412 (Precondition Failed)
    # status code for all other request methods." (RFC 9110 §13.1.2); and "A recipient MUST
    # ignore If-Modified-Since if ... the request method is neither GET nor HEAD." (§13.1.3)
    if not request.known or method in ("GET", "HEAD"):
        return None
    return (
        f"a 304 response answers a {method} request; only a conditional GET or HEAD is "
        "answered with 304 (other methods get 412 when a condition fails)."
    )


LOCATION_MISSING = Rule(
    id="location-missing",
    severity=Severity.WARNING,
    reference=Reference(9110, "15.4"),
    summary="A redirect names its target in Location",
    quote=(
        "The server SHOULD generate a Location header field in the response containing a "
        "preferred URI reference for the new permanent URI. (RFC 9110 §15.4.2; the same for "
        "302, 307 and 308) | the server is redirecting the user agent to a different "
        "resource, as indicated by a URI in the Location header field (RFC 9110 §15.4.4)"
    ),
    check=requires(b"location", "Location"),
    statuses=frozenset({301, 302, 303, 307, 308}),
    reads=SHAPE_ONLY,
    requires=b"location",
)

NOT_MODIFIED_REPRESENTATION_FIELDS = Rule(
    id="not-modified-representation-fields",
    severity=Severity.WARNING,
    reference=Reference(9110, "15.4.5"),
    summary="A 304 response should not carry representation metadata",
    quote=(
        "a sender SHOULD NOT generate representation metadata other than the above listed "
        "fields unless said metadata exists for the purpose of guiding cache updates"
    ),
    check=_not_modified_fields,
    fix=_not_modified_fix,
    fix_summary="remove the representation metadata fields",
    statuses=frozenset({304}),
    reads=SHAPE_ONLY,
)

NOT_MODIFIED_UNCONDITIONAL = Rule(
    id="not-modified-unconditional",
    severity=Severity.INFO,
    reference=Reference(9110, "15.4.5"),
    summary="A 304 response answers a conditional GET or HEAD",
    quote=(
        "The 304 (Not Modified) status code indicates that a conditional GET or HEAD request "
        "has been received and would have resulted in a 200 (OK) response if it were not for "
        "the fact that the condition evaluated to false."
    ),
    check=on_request(_not_modified_unconditional),
    request_check=_not_modified_unconditional,
    statuses=frozenset({304}),
)

NOT_MODIFIED_METHOD = Rule(
    id="not-modified-method",
    severity=Severity.ERROR,
    reference=Reference(9110, "13.1.2"),
    summary="Only a GET or HEAD is answered with 304",
    quote=(
        "An origin server that evaluates an If-None-Match condition MUST NOT perform the "
        "requested method if the condition evaluates to false; instead, the origin server MUST "
        "respond with either a) the 304 (Not Modified) status code if the request method is GET "
        "or HEAD or b) the 412 (Precondition Failed) status code for all other request methods."
    ),
    check=on_request(_not_modified_method),
    request_check=_not_modified_method,
    statuses=frozenset({304}),
)

RULES = (
    LOCATION_MISSING,
    NOT_MODIFIED_REPRESENTATION_FIELDS,
    NOT_MODIFIED_UNCONDITIONAL,
    NOT_MODIFIED_METHOD,
)
