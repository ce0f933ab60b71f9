"""Rules of the 4xx (Client Error) class (RFC 9110 §15.5).

None has a fix: statusguard never invents a challenge or an Allow list."""

from __future__ import annotations

from ..model import SHAPE_ONLY, Reference, Rule, Severity
from ._common import requires

WWW_AUTHENTICATE_MISSING = Rule(
    id="www-authenticate-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.2"),
    summary="A 401 response carries a WWW-Authenticate challenge",
    check=requires(b"www-authenticate", "WWW-Authenticate"),
    statuses=frozenset({401}),
    reads=SHAPE_ONLY,
)

ALLOW_MISSING = Rule(
    id="allow-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.6"),
    summary="A 405 response lists the allowed methods in Allow",
    check=requires(b"allow", "Allow"),
    statuses=frozenset({405}),
    reads=SHAPE_ONLY,
)

PROXY_AUTHENTICATE_MISSING = Rule(
    id="proxy-authenticate-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.8"),
    summary="A 407 response carries a Proxy-Authenticate challenge",
    check=requires(b"proxy-authenticate", "Proxy-Authenticate"),
    statuses=frozenset({407}),
    # Proxy-Authenticate is hop-by-hop for PEP 3333 (wsgiref refuses it, gunicorn drops it).
    protocols=frozenset({"asgi", "http"}),
    reads=SHAPE_ONLY,
)

CONTENT_RANGE_RECOMMENDED = Rule(
    id="content-range-recommended",
    severity=Severity.WARNING,
    reference=Reference(9110, "15.5.17"),
    summary="A 416 response should carry Content-Range with the current length",
    check=requires(b"content-range", "Content-Range"),
    statuses=frozenset({416}),
    reads=SHAPE_ONLY,
)

RULES = (
    WWW_AUTHENTICATE_MISSING,
    ALLOW_MISSING,
    PROXY_AUTHENTICATE_MISSING,
    CONTENT_RANGE_RECOMMENDED,
)
