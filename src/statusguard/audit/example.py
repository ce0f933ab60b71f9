"""The audit's part of the bundled example: each route breaks one rule across responses.

Framework-free, WSGI.  One resource implementation answers GET, HEAD, OPTIONS, conditional and
range requests correctly (``/audit/clean`` shows it, and the audit finds nothing there); each
other route changes one thing about it, so that one cross-response rule fires.  Like the rest
of the demo it is checked as if nothing stood between it and the wire: every response carries
its own ``Date``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING

from ..rules.exchanges import parse_ranges, weakly_equal
from .routes import RouteSpec

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ROUTES", "ExampleRoute", "app", "route_specs"]

_CONTENT = b"statusguard audit example: one representation, many ways to ask for it.\n"
_ETAG = '"v1"'
_MODIFIED = "Sun, 06 Nov 1994 08:49:37 GMT"
_METHODS = ("GET", "HEAD", "OPTIONS")

Headers = list[tuple[str, str]]
Answer = tuple[str, Headers, bytes]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a route's resource behaves; the defaults are the correct behaviour."""

    etag: str | None = _ETAG
    modified: str | None = _MODIFIED
    ranges: bool = True
    honours_if_none_match: bool = True
    honours_if_modified_since: bool = True
    not_modified_keeps_vary: bool = True
    head_status: str | None = None
    head_drops: tuple[str, ...] = ()
    head_length: int | None = None
    not_allowed_allow: tuple[str, ...] = _METHODS
    options_allow: tuple[str, ...] = _METHODS
    wrong_bytes: bool = False
    unsatisfiable_length: int | None = None
    rejects_two_ranges: bool = False
    if_range: str = "honour"  # "honour", "ignore-validator" (always 206), "never-206"


@dataclass(frozen=True, slots=True)
class ExampleRoute:
    rule: str  # the id of the rule it breaks ("" for the clean route)
    path: str
    behaviour: Behaviour


ROUTES: tuple[ExampleRoute, ...] = (
    ExampleRoute("", "/audit/clean", Behaviour()),
    ExampleRoute(
        "not-modified-fields", "/audit/304-drops-vary", Behaviour(not_modified_keeps_vary=False)
    ),
    ExampleRoute(
        "if-none-match-ignored",
        "/audit/etag-ignored",
        Behaviour(modified=None, ranges=False, honours_if_none_match=False),
    ),
    ExampleRoute(
        "if-modified-since-ignored",
        "/audit/last-modified-ignored",
        Behaviour(etag=None, ranges=False, honours_if_modified_since=False),
    ),
    ExampleRoute(
        "head-status-mismatch",
        "/audit/head-not-found",
        Behaviour(head_status="404 Not Found", ranges=False),
    ),
    ExampleRoute(
        "head-fields-mismatch",
        "/audit/head-drops-cache-control",
        Behaviour(head_drops=("Cache-Control",), ranges=False),
    ),
    ExampleRoute(
        "head-content-length-mismatch",
        "/audit/head-longer",
        Behaviour(head_length=len(_CONTENT) + 10, ranges=False),
    ),
    ExampleRoute(
        "not-allowed-allow-mismatch",
        "/audit/405-allow-without-head",
        Behaviour(not_allowed_allow=("GET", "OPTIONS"), ranges=False),
    ),
    ExampleRoute(
        "options-allow-mismatch",
        "/audit/options-lists-trace",
        Behaviour(options_allow=(*_METHODS, "TRACE"), ranges=False),
    ),
    ExampleRoute(
        "partial-content-mismatch", "/audit/206-wrong-bytes", Behaviour(wrong_bytes=True)
    ),
    ExampleRoute(
        "range-not-satisfiable-length",
        "/audit/416-wrong-length",
        Behaviour(unsatisfiable_length=len(_CONTENT) * 2),
    ),
    ExampleRoute(
        "range-satisfiable-rejected",
        "/audit/two-ranges-416",
        Behaviour(rejects_two_ranges=True),
    ),
    ExampleRoute(
        "if-range-stale-partial",
        "/audit/if-range-always-206",
        Behaviour(if_range="ignore-validator"),
    ),
    ExampleRoute(
        "if-range-current-ignored", "/audit/if-range-never-206", Behaviour(if_range="never-206")
    ),
)

_BY_PATH = {route.path: route for route in ROUTES}


def route_specs() -> list[RouteSpec]:
    """The example's routes as the audit sees them (the router's methods included)."""
    return [RouteSpec(r.path, r.path, frozenset(_METHODS), name=r.rule or "clean") for r in ROUTES]


# -- the resource ------------------------------------------------------------------------------


def _date() -> tuple[str, str]:
    return ("Date", formatdate(usegmt=True))


def _validators(behaviour: Behaviour) -> Headers:
    headers = [("Vary", "Accept-Encoding"), ("Cache-Control", "max-age=60")]
    if behaviour.etag is not None:
        headers.append(("ETag", behaviour.etag))
    if behaviour.modified is not None:
        headers.append(("Last-Modified", behaviour.modified))
    return headers


def _whole(behaviour: Behaviour) -> Answer:
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(_CONTENT))),
        _date(),
        *_validators(behaviour),
    ]
    if behaviour.ranges:
        headers.append(("Accept-Ranges", "bytes"))
    return "200 OK", headers, _CONTENT


def _not_modified(behaviour: Behaviour) -> Answer:
    headers = [_date(), *_validators(behaviour)]
    if not behaviour.not_modified_keeps_vary:
        headers = [(n, v) for n, v in headers if n != "Vary"]
    return "304 Not Modified", headers, b""


def _is_fresh(behaviour: Behaviour, environ: WSGIEnvironment) -> bool:
    """Whether the request's conditionals say the client's copy is current (RFC 9110 §13.2.2:
    If-None-Match first, If-Modified-Since only without it)."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if behaviour.etag is None or not behaviour.honours_if_none_match:
            return False
        return any(
            weakly_equal(t.encode(), behaviour.etag.encode()) for t in if_none_match.split(",")
        )
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since is not None and behaviour.modified is not None:
        return behaviour.honours_if_modified_since and since.strip() == behaviour.modified
    return False


def _if_range_allows(behaviour: Behaviour, environ: WSGIEnvironment) -> bool:
    validator = environ.get("HTTP_IF_RANGE")
    if validator is None or behaviour.if_range == "ignore-validator":
        return True
    if behaviour.if_range == "never-206":
        return False
    validator = validator.strip()
    # If-Range compares entity tags strongly, and dates exactly (RFC 9110 §13.1.5).
    return validator in (behaviour.etag, behaviour.modified) and not validator.startswith("W/")


def _partial(behaviour: Behaviour, environ: WSGIEnvironment) -> Answer | None:
    asked = environ.get("HTTP_RANGE")
    if not behaviour.ranges or asked is None or not _if_range_allows(behaviour, environ):
        return None
    ranges = parse_ranges(asked.encode("latin-1"), len(_CONTENT))
    if ranges is None:
        return None  # not a byte-range set: ignored (RFC 9110 §14.2)
    length = len(_CONTENT)
    if not ranges:
        shown = behaviour.unsatisfiable_length or length
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Range", f"bytes */{shown}"),
            ("Content-Length", "0"),
            _date(),
        ]
        return "416 Range Not Satisfiable", headers, b""
    if len(ranges) > 1:
        if behaviour.rejects_two_ranges:
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Range", f"bytes */{length}"),
                ("Content-Length", "0"),
                _date(),
            ]
            return "416 Range Not Satisfiable", headers, b""
        return None  # several ranges: the whole content instead (a server MAY ignore Range)
    first, last = ranges[0]
    part = _CONTENT[first : last + 1]
    if behaviour.wrong_bytes:
        part = part.swapcase()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Range", f"bytes {first}-{last}/{length}"),
        ("Content-Length", str(len(part))),
        _date(),
        *_validators(behaviour),
    ]
    return "206 Partial Content", headers, part


def _answer(route: ExampleRoute, environ: WSGIEnvironment) -> Answer:
    behaviour = route.behaviour
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "OPTIONS":
        allow = ", ".join(behaviour.options_allow)
        return "200 OK", [("Allow", allow), ("Content-Length", "0"), _date()], b""
    if method not in ("GET", "HEAD"):
        allow = ", ".join(behaviour.not_allowed_allow)
        body = f"{method} is not allowed here\n".encode()
        headers = [
            ("Allow", allow),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            _date(),
        ]
        return "405 Method Not Allowed", headers, body
    if method == "HEAD" and behaviour.head_status is not None:
        body = b"not found\n"
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            _date(),
        ]
        return behaviour.head_status, headers, b""
    if _is_fresh(behaviour, environ):
        return _not_modified(behaviour)
    status, headers, body = _partial(behaviour, environ) or _whole(behaviour)
    if method == "HEAD":
        headers = [(n, v) for n, v in headers if n not in behaviour.head_drops]
        if behaviour.head_length is not None:
            headers = [
                (n, str(behaviour.head_length) if n == "Content-Length" else v) for n, v in headers
            ]
        body = b""
    return status, headers, body


def _not_found(path: str) -> Answer:
    body = f"no audit example route {path}\n".encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        _date(),
    ]
    return "404 Not Found", headers, body


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The audit example, as a WSGI app."""
    path = environ.get("PATH_INFO") or "/"
    route = _BY_PATH.get(path)
    status, headers, body = _answer(route, environ) if route else _not_found(path)
    start_response(status, headers)
    return [body] if body else []
