"""The probes: what is sent to each route, and why.

Only safe methods (RFC 9110 §9.2.1: GET, HEAD, OPTIONS, TRACE) are sent unless the user opts
in to another with ``--method``.  The first round (GET, HEAD, OPTIONS, a method the router
says the route does not accept) needs nothing but the route; the second round reads the GET's
200: its ``ETag`` and ``Last-Modified`` make the conditional probes, ``Accept-Ranges: bytes``
(or a route that serves files) the range probes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..rules import exchanges as x
from .routes import RouteSpec

__all__ = [
    "BASE_HEADERS",
    "PROBE_PURPOSES",
    "SAFE_METHODS",
    "Probe",
    "first_round",
    "second_round",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# What every probe sends besides Host and User-Agent: what a browser would (a gzip-capable
# client), so that compression middleware is part of what is audited.
BASE_HEADERS: tuple[tuple[str, str], ...] = (("Accept", "*/*"), ("Accept-Encoding", "gzip"))

#: An entity tag no representation has: the stale validator.
STALE_ETAG = '"statusguard-stale-validator"'
STALE_DATE = "Thu, 01 Jan 1970 00:00:00 GMT"

PROBE_PURPOSES: dict[str, str] = {
    x.GET: "GET: the response every other probe is compared with.",
    x.HEAD: "HEAD: the same status and header fields as GET, no content (RFC 9110 §9.3.2).",
    x.OPTIONS: "OPTIONS: the Allow it lists against the methods that answer (RFC 9110 §9.3.7).",
    x.NOT_ALLOWED: "A safe method the router says the route does not accept: 405 with an Allow "
    "listing the route's methods (RFC 9110 §15.5.6).",
    x.UNSAFE: "A method given with --method, on the routes whose router accepts it.",
    x.IF_NONE_MATCH: "GET with If-None-Match: the 200's ETag: 304 carrying the 200's ETag, "
    "Vary, Content-Location, Date, Cache-Control and Expires (RFC 9110 §13.1.2, §15.4.5).",
    x.IF_NONE_MATCH_HEAD: "HEAD with If-None-Match: the 200's ETag: 304 as for GET.",
    x.IF_NONE_MATCH_WEAK: "GET with If-None-Match: the 200's ETag with its weakness flipped: "
    "still 304, If-None-Match uses the weak comparison (RFC 9110 §8.8.3.2).",
    x.IF_MODIFIED_SINCE: "GET with If-Modified-Since: the 200's Last-Modified: 304 "
    "(RFC 9110 §13.1.3).",
    x.RANGE: "GET with Range: bytes=0-0: 206 with the first byte and a Content-Range "
    "consistent with the 200's length (RFC 9110 §14.2, §15.3.7).",
    x.RANGE_UNSATISFIABLE: "GET with a Range starting at the 200's length: 416 with "
    "Content-Range: bytes */length (RFC 9110 §15.5.17).",
    x.RANGE_TWO: "GET with two satisfiable ranges: 206 (multipart) or the whole content in a "
    "200, never 416 (RFC 9110 §14.2, §15.5.17).",
    x.IF_RANGE: "GET with Range and If-Range: the current validator: 206 (RFC 9110 §13.1.5).",
    x.IF_RANGE_STALE: "GET with Range and If-Range: a stale validator: the whole content in a "
    "200 (RFC 9110 §13.1.5).",
    x.REQUEST: "The request given as it is (METHOD /path): judged alone.",
}


@dataclass(frozen=True, slots=True)
class Probe:
    """One request to send to a route: the probe's name, the method and the extra fields."""

    name: str
    method: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def purpose(self) -> str:
        return PROBE_PURPOSES[self.name]


def first_round(route: RouteSpec, unsafe: Iterable[str] = ()) -> list[Probe]:
    """The probes that need nothing but the route."""
    if route.request_method is not None:
        return [Probe(x.REQUEST, route.request_method, route.request_headers)]
    methods = route.methods
    probes = []
    gets = methods is None or "GET" in methods
    if gets:
        probes.append(Probe(x.GET, "GET"))
        probes.append(Probe(x.HEAD, "HEAD"))  # HEAD whatever the router says: GET implies it
    probes.append(Probe(x.OPTIONS, "OPTIONS"))
    if methods is not None:
        refused = next((m for m in ("GET", "TRACE") if m not in methods), None)
        if refused is not None:
            probes.append(Probe(x.NOT_ALLOWED, refused))
    for method in unsafe:
        if method not in SAFE_METHODS and (methods is None or method in methods):
            probes.append(Probe(x.UNSAFE, method, (("Content-Length", "0"),)))
    return probes


def _flip_weakness(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else f"W/{tag}"


def second_round(
    route: RouteSpec, status: int, headers: dict[bytes, bytes], length: int
) -> list[Probe]:
    """The conditional and range probes a GET's 200 calls for (``headers``: its fields by
    lower-case name)."""
    if status != 200:
        return []
    probes = []
    etag = headers.get(b"etag", b"").decode("latin-1").strip()
    modified = headers.get(b"last-modified", b"").decode("latin-1").strip()
    if etag:
        probes.append(Probe(x.IF_NONE_MATCH, "GET", (("If-None-Match", etag),)))
        probes.append(Probe(x.IF_NONE_MATCH_HEAD, "HEAD", (("If-None-Match", etag),)))
        probes.append(
            Probe(x.IF_NONE_MATCH_WEAK, "GET", (("If-None-Match", _flip_weakness(etag)),))
        )
    if modified:
        probes.append(Probe(x.IF_MODIFIED_SINCE, "GET", (("If-Modified-Since", modified),)))
    accepts = headers.get(b"accept-ranges", b"").lower()
    ranges = b"bytes" in accepts or (route.serves_file and accepts != b"none")
    if ranges and length > 0:
        first = ("Range", "bytes=0-0")
        probes.append(Probe(x.RANGE, "GET", (first,)))
        probes.append(Probe(x.RANGE_UNSATISFIABLE, "GET", (("Range", f"bytes={length}-"),)))
        if length >= 3:
            two = f"bytes=0-0,{length - 1}-{length - 1}"
            probes.append(Probe(x.RANGE_TWO, "GET", (("Range", two),)))
        # A client MUST NOT send a weak entity tag in If-Range (RFC 9110 §13.1.5): a weak ETag
        # leaves the date, or nothing.
        current = etag if etag and not etag.startswith("W/") else modified
        if current:
            stale = STALE_ETAG if current == etag else STALE_DATE
            probes.append(Probe(x.IF_RANGE, "GET", (first, ("If-Range", current))))
            probes.append(Probe(x.IF_RANGE_STALE, "GET", (first, ("If-Range", stale))))
    return probes
