"""Rules of the 4xx (Client Error) class (RFC 9110 §15.5), and what the request asked for;
with them the one 5xx rule, a 501 to GET or HEAD (get-head-unsupported, RFC 9110 §9.1).

None has a fix: statusguard never invents a challenge or an Allow list."""

from __future__ import annotations

from ..model import SHAPE_ONLY, Head, Reference, RequestHeaders, Rule, Severity
from ._common import CONDITIONALS, asked, on_request, request_known, requires
from ._syntax import DIGITS, show


def allowed(head: Head) -> list[str]:
    """The methods the response's ``Allow`` lists, as sent (methods are case-sensitive)."""
    return [
        part.strip(" \t")
        for value in head.fields.get(b"allow", ())
        for part in value.decode("latin-1").split(",")
        if part.strip(" \t")
    ]


def _range_request(head: Head) -> bool:
    value = asked(head, b"range")
    return value is not None and value.lstrip(b" \t")[:6].lower() == b"bytes="


def _content_range_recommended(head: Head) -> str | None:
    # "A server that generates a 416 response to a byte-range request SHOULD generate a
    # Content-Range header field specifying the current length of the selected
    # representation" (RFC 9110 §15.5.17): only to a byte-range request.
    if b"content-range" in head.fields or not _range_request(head):
        return None
    value = (asked(head, b"range") or b"").decode("latin-1")
    return f"a 416 response to a byte-range request (Range: {value}) has no Content-Range."


def _unsatisfied_range_ok(value: bytes) -> bool:
    # unsatisfied-range = "*/" complete-length, with the range unit (RFC 9110 §14.4)
    unit, _, rest = value.strip(b" \t").partition(b" ")
    if unit.lower() != b"bytes" or not rest.startswith(b"*/"):
        return False
    return DIGITS.fullmatch(rest[2:]) is not None


def _unsatisfied_range(head: Head) -> str | None:
    for value in head.fields.get(b"content-range", ()):
        if not _unsatisfied_range_ok(value):
            return f"a 416 response's Content-Range is {show(value)}, not bytes */length."
    return None


def _allow_lists_method(head: Head) -> str | None:
    # "The 405 (Method Not Allowed) status code indicates that the method received in the
    # request-line is known by the origin server but not supported by the target resource.
    # The origin server MUST generate an Allow header field in a 405 response containing a
    # list of the target resource's currently supported methods." (RFC 9110 §15.5.6)
    if not request_known(head) or head.method not in allowed(head):
        return None
    return (
        f"a 405 response to {head.method} lists {head.method} in Allow "
        f"({', '.join(allowed(head))}): the method it refuses is one it says it supports."
    )


def _head_refused(head: Head) -> str | None:
    # "All general-purpose servers MUST support the methods GET and HEAD." (RFC 9110 §9.1);
    # a resource that answers GET answers HEAD (§9.3.2).
    if head.status == 405:
        methods = allowed(head)
        # Allow listing HEAD itself is allow-lists-request-method's.
        if not request_known(head) or head.method != "HEAD" or "GET" not in methods:
            return None
        if "HEAD" in methods:
            return None
        return (
            "a 405 response refuses HEAD on a resource whose Allow lists GET: a resource "
            "that supports GET supports HEAD."
        )
    if head.method not in ("GET", "HEAD") or not request_known(head):
        return None
    return f"a 501 response refuses {head.method}, which every general-purpose server supports."


def _precondition_unrequested(method: str, request: RequestHeaders) -> str | None:
    # "The 412 (Precondition Failed) status code indicates that one or more conditions given in
    # the request header fields evaluated to false when tested on the server." (RFC 9110
    # §15.5.13).  WebDAV's If (RFC 4918 §10.4) is a precondition too.
    if not request.known:
        return None
    if any(request.get(name) is not None for name in (*CONDITIONALS, b"if")):
        return None
    return "a 412 response answers a request that had no precondition header (If-Match, ...)."


def _expectation_unrequested(method: str, request: RequestHeaders) -> str | None:
    # "The 417 (Expectation Failed) status code indicates that the expectation given in the
    # request's Expect header field (Section 10.1.1) could not be met" (RFC 9110 §15.5.18)
    if not request.known or request.get(b"expect") is not None:
        return None
    return "a 417 response answers a request that had no Expect header."


WWW_AUTHENTICATE_MISSING = Rule(
    id="www-authenticate-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.2"),
    summary="A 401 response carries a WWW-Authenticate challenge",
    quote=(
        "The server generating a 401 response MUST send a WWW-Authenticate header field "
        "(Section 11.6.1) containing at least one challenge applicable to the target "
        "resource."
    ),
    check=requires(b"www-authenticate", "WWW-Authenticate"),
    statuses=frozenset({401}),
    reads=SHAPE_ONLY,
    requires=b"www-authenticate",
)

ALLOW_MISSING = Rule(
    id="allow-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.6"),
    summary="A 405 response lists the allowed methods in Allow",
    quote=(
        "The origin server MUST generate an Allow header field in a 405 response containing a "
        "list of the target resource's currently supported methods."
    ),
    check=requires(b"allow", "Allow"),
    statuses=frozenset({405}),
    reads=SHAPE_ONLY,
    requires=b"allow",
)

ALLOW_LISTS_REQUEST_METHOD = Rule(
    id="allow-lists-request-method",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.6"),
    summary="A 405 response's Allow does not list the method it refuses",
    quote=(
        "The 405 (Method Not Allowed) status code indicates that the method received in the "
        "request-line is known by the origin server but not supported by the target resource. "
        "The origin server MUST generate an Allow header field in a 405 response containing a "
        "list of the target resource's currently supported methods."
    ),
    check=_allow_lists_method,
    statuses=frozenset({405}),
)

GET_HEAD_UNSUPPORTED = Rule(
    id="get-head-unsupported",
    severity=Severity.ERROR,
    reference=Reference(9110, "9.1"),
    summary="GET and HEAD are supported: no 501 to them, no 405 to HEAD where GET is allowed",
    quote="All general-purpose servers MUST support the methods GET and HEAD.",
    check=_head_refused,
    statuses=frozenset({405, 501}),
)

PROXY_AUTHENTICATE_MISSING = Rule(
    id="proxy-authenticate-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.8"),
    summary="A 407 response carries a Proxy-Authenticate challenge",
    quote=(
        "The proxy MUST send a Proxy-Authenticate header field (Section 11.7.1) containing a "
        "challenge applicable to that proxy for the request."
    ),
    check=requires(b"proxy-authenticate", "Proxy-Authenticate"),
    statuses=frozenset({407}),
    # Proxy-Authenticate is hop-by-hop for PEP 3333 (wsgiref refuses it, gunicorn drops it).
    protocols=frozenset({"asgi", "http"}),
    reads=SHAPE_ONLY,
    requires=b"proxy-authenticate",
)

PRECONDITION_FAILED_UNREQUESTED = Rule(
    id="precondition-failed-unrequested",
    severity=Severity.INFO,
    reference=Reference(9110, "15.5.13"),
    summary="A 412 response answers a request that carried a precondition",
    quote=(
        "The 412 (Precondition Failed) status code indicates that one or more conditions "
        "given in the request header fields evaluated to false when tested on the server."
    ),
    check=on_request(_precondition_unrequested),
    request_check=_precondition_unrequested,
    statuses=frozenset({412}),
)

CONTENT_RANGE_RECOMMENDED = Rule(
    id="content-range-recommended",
    severity=Severity.WARNING,
    reference=Reference(9110, "15.5.17"),
    summary="A 416 response to a byte-range request should carry Content-Range",
    quote=(
        "A server that generates a 416 response to a byte-range request SHOULD generate a "
        "Content-Range header field specifying the current length of the selected "
        "representation (Section 14.4)."
    ),
    check=_content_range_recommended,
    statuses=frozenset({416}),
    requires=b"content-range",
)

RANGE_NOT_SATISFIABLE_CONTENT_RANGE = Rule(
    id="range-not-satisfiable-content-range",
    severity=Severity.WARNING,
    reference=Reference(9110, "14.4"),
    summary="A 416 response's Content-Range is an unsatisfied range (bytes */length)",
    quote=(
        "A server generating a 416 (Range Not Satisfiable) response to a byte-range request "
        "SHOULD send a Content-Range header field with an unsatisfied-range value"
    ),
    check=_unsatisfied_range,
    statuses=frozenset({416}),
    reads=frozenset({b"content-range"}),
    accepts=_unsatisfied_range_ok,
)

EXPECTATION_FAILED_UNREQUESTED = Rule(
    id="expectation-failed-unrequested",
    severity=Severity.INFO,
    reference=Reference(9110, "15.5.18"),
    summary="A 417 response answers a request that carried Expect",
    quote=(
        "The 417 (Expectation Failed) status code indicates that the expectation given in the "
        "request's Expect header field (Section 10.1.1) could not be met by at least one of "
        "the inbound servers."
    ),
    check=on_request(_expectation_unrequested),
    request_check=_expectation_unrequested,
    statuses=frozenset({417}),
)

RULES = (
    WWW_AUTHENTICATE_MISSING,
    ALLOW_MISSING,
    ALLOW_LISTS_REQUEST_METHOD,
    GET_HEAD_UNSUPPORTED,
    PROXY_AUTHENTICATE_MISSING,
    PRECONDITION_FAILED_UNREQUESTED,
    CONTENT_RANGE_RECOMMENDED,
    RANGE_NOT_SATISFIABLE_CONTENT_RANGE,
    EXPECTATION_FAILED_UNREQUESTED,
)
