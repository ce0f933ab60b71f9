"""Rules across responses: one response of a resource judged against another of the same one.

What ``statusguard check`` finds by probing each route (HEAD against GET, a conditional request
against the 200 it revalidates, a range against the whole content, ``Allow`` against the
methods that answered).  Pure functions over two :class:`Observed` responses; no I/O.  Each
rule names the probes whose responses it compares (``first``, the reference, and ``second``,
the one judged); the probe names are the constants below, which ``statusguard.audit`` sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..model import Reference, Severity

__all__ = [
    "ALL_PROBES",
    "CROSS_RULES",
    "CROSS_RULES_BY_ID",
    "CrossRule",
    "Observed",
    "parse_content_range",
    "parse_methods",
    "parse_ranges",
    "weakly_equal",
]

# -- the probes (see statusguard.audit.probes for what each sends) -----------------------------

GET = "get"
HEAD = "head"
OPTIONS = "options"
NOT_ALLOWED = "not-allowed"
UNSAFE = "method"  # a method the user opted in to with --method
IF_NONE_MATCH = "if-none-match"
IF_NONE_MATCH_HEAD = "if-none-match-head"
IF_NONE_MATCH_WEAK = "if-none-match-weak"
IF_MODIFIED_SINCE = "if-modified-since"
RANGE = "range"
RANGE_UNSATISFIABLE = "range-unsatisfiable"
RANGE_TWO = "range-two"
IF_RANGE = "if-range"
IF_RANGE_STALE = "if-range-stale"
REQUEST = "request"  # a request the user gave as it is ("HEAD /x"): judged alone

ALL_PROBES: tuple[str, ...] = (
    GET,
    HEAD,
    OPTIONS,
    NOT_ALLOWED,
    UNSAFE,
    IF_NONE_MATCH,
    IF_NONE_MATCH_HEAD,
    IF_NONE_MATCH_WEAK,
    IF_MODIFIED_SINCE,
    RANGE,
    RANGE_UNSATISFIABLE,
    RANGE_TWO,
    IF_RANGE,
    IF_RANGE_STALE,
    REQUEST,
)
_CONDITIONAL_ETAG = frozenset({IF_NONE_MATCH, IF_NONE_MATCH_HEAD, IF_NONE_MATCH_WEAK})
_ANY = frozenset(ALL_PROBES) - {REQUEST}
# The probes that each ask with a method of their own, plainly: what "answers" a method.
_METHODS = frozenset({GET, HEAD, OPTIONS, NOT_ALLOWED, UNSAFE})

Lines = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True, eq=False)
class Observed:
    """One response as a probe received it, with the request that asked for it."""

    probe: str
    method: str
    request_headers: Lines
    status: int
    headers: Lines
    body: bytes = b""
    fields: dict[bytes, list[bytes]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fields: dict[bytes, list[bytes]] = {}
        for name, value in self.headers:
            fields.setdefault(name.lower(), []).append(value.strip())
        object.__setattr__(self, "fields", fields)

    def get(self, name: bytes) -> bytes | None:
        """A response field (lower-case name), several lines joined with ``", "``."""
        values = self.fields.get(name)
        return b", ".join(values) if values else None

    def asked(self, name: bytes) -> bytes | None:
        """A request field (lower-case name) the probe sent."""
        values = [v for n, v in self.request_headers if n.lower() == name]
        return b", ".join(values) if values else None

    @property
    def answered(self) -> bool:
        """Whether the method was served at all (anything but 405 and 501)."""
        return self.status not in (405, 501)

    def __str__(self) -> str:
        return f"{self.method} ({self.probe})"


Check = Callable[[Observed, Observed], "str | None"]


@dataclass(frozen=True, slots=True)
class CrossRule:
    """A rule over two responses of one resource, in the same form as the catalogue's rules.

    ``check(first, second)`` returns ``None`` when ``second`` is consistent with ``first``,
    else what was seen.  ``first`` and ``second`` name the probes whose responses the rule
    compares; ``statuses`` are those of ``second`` it applies to (``None``: any).  ``quote``
    is the RFC sentence the rule enforces.  Nothing here repairs anything: a response cannot
    be fixed by looking at another one.
    """

    id: str
    severity: Severity
    reference: Reference
    summary: str
    quote: str
    first: frozenset[str]
    second: frozenset[str]
    check: Check
    statuses: frozenset[int] | None = None

    fix = None
    fix_summary = ""
    phase = "exchange"
    protocols: frozenset[str] = frozenset({"check"})

    def applies_to(self, first: Observed, second: Observed) -> bool:
        return (
            first is not second
            and first.probe in self.first
            and second.probe in self.second
            and (self.statuses is None or second.status in self.statuses)
        )

    def message(self, detail: str) -> str:
        return f"[{self.id}] {self.summary} ({self.reference}): {detail}"


# -- parsing ------------------------------------------------------------------------------------

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTENT_RANGE = re.compile(rb"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.IGNORECASE)
_RANGE_SPEC = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")


def parse_methods(value: bytes | None) -> frozenset[str]:
    """The methods of an ``Allow`` value (``b"GET, HEAD"`` → ``{"GET", "HEAD"}``)."""
    if not value:
        return frozenset()
    return frozenset(
        part.strip().decode("latin-1").upper()
        for part in value.split(b",")
        if _TOKEN.fullmatch(part.strip())
    )


def parse_content_range(value: bytes | None) -> tuple[int | None, int | None, int | None] | None:
    """``bytes 0-9/100`` → ``(0, 9, 100)``, ``bytes */100`` → ``(None, None, 100)``; the
    length is ``None`` for ``*``.  ``None`` when the value is not a byte range."""
    if value is None:
        return None
    match = _CONTENT_RANGE.fullmatch(value.strip())
    if match is None:
        return None
    first, last, length = match.groups()
    return (
        int(first) if first is not None else None,
        int(last) if last is not None else None,
        int(length) if length != b"*" else None,
    )


def parse_ranges(value: bytes | None, length: int) -> list[tuple[int, int]] | None:
    """The satisfiable byte ranges of a ``Range`` value for a representation of ``length``
    bytes, as inclusive ``(first, last)`` pairs (RFC 9110 §14.1.2); ``None`` when the value is
    not a byte-range set."""
    if value is None:
        return None
    unit, _, specs = value.decode("latin-1").partition("=")
    if unit.strip().lower() != "bytes" or not specs:
        return None
    ranges = []
    for spec in specs.split(","):
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None or match.group(1) == match.group(2) == "":
            return None
        start, end = match.groups()
        if start == "":  # suffix-range: the last N bytes
            suffix = int(end)
            if suffix > 0 and length > 0:
                ranges.append((max(length - suffix, 0), length - 1))
            continue
        first = int(start)
        last = int(end) if end else length - 1
        if last < first and end:
            return None
        # "A int-range is satisfiable if the first-pos is less than the current length of the
        # selected representation" (RFC 9110 §14.1.1).
        if first < length:
            ranges.append((first, min(last, length - 1)))
    return ranges


def _opaque(tag: bytes) -> bytes:
    return tag.strip().removeprefix(b"W/")


def weakly_equal(one: bytes, other: bytes) -> bool:
    """The weak comparison of two entity tags (RFC 9110 §8.8.3.2): equal opaque tags."""
    return _opaque(one) == _opaque(other)


def _text(value: bytes | None) -> str:
    return (value or b"").decode("latin-1")


# -- 304: the conditional requests ----------------------------------------------------------------

# "The server generating a 304 response MUST generate any of the following header fields that
# would have been sent in a 200 (OK) response to the same request" (RFC 9110 §15.4.5).
_NOT_MODIFIED_KEPT = (
    b"content-location",
    b"date",
    b"etag",
    b"vary",
    b"cache-control",
    b"expires",
)
_NAMES = {
    b"content-location": "Content-Location",
    b"date": "Date",
    b"etag": "ETag",
    b"vary": "Vary",
    b"cache-control": "Cache-Control",
    b"expires": "Expires",
}


def _not_modified_fields(first: Observed, second: Observed) -> str | None:
    if first.status != 200:
        return None
    missing = [
        _NAMES[name]
        for name in _NOT_MODIFIED_KEPT
        if name in first.fields and name not in second.fields
    ]
    problems = []
    if missing:
        problems.append(f"drops {', '.join(missing)}, which the 200 carried")
    etag, kept = first.get(b"etag"), second.get(b"etag")
    if etag is not None and kept is not None and etag != kept:
        problems.append(f"carries ETag: {_text(kept)} where the 200 sent {_text(etag)}")
    vary, kept_vary = first.get(b"vary"), second.get(b"vary")
    if vary is not None and kept_vary is not None and _vary(vary) != _vary(kept_vary):
        problems.append(f"carries Vary: {_text(kept_vary)} where the 200 sent {_text(vary)}")
    if not problems:
        return None
    return f"the 304 to {second.method} ({second.probe}) {'; '.join(problems)}."


def _vary(value: bytes) -> frozenset[bytes]:
    return frozenset(part.strip().lower() for part in value.split(b",") if part.strip())


def _if_none_match_ignored(first: Observed, second: Observed) -> str | None:
    etag = first.get(b"etag")
    sent = second.asked(b"if-none-match")
    if first.status != 200 or etag is None or sent is None or not 200 <= second.status < 300:
        return None
    if not any(weakly_equal(tag, etag) for tag in sent.split(b",")):
        return None
    how = "" if sent.strip() == etag.strip() else " (they match by weak comparison)"
    return (
        f"{second.method} with If-None-Match: {_text(sent)}, the ETag of the 200 "
        f"({_text(etag)}){how}, was answered {second.status} instead of 304."
    )


def _if_modified_since_ignored(first: Observed, second: Observed) -> str | None:
    modified = first.get(b"last-modified")
    sent = second.asked(b"if-modified-since")
    if first.status != 200 or modified is None or sent is None or second.status != 200:
        return None
    return (
        f"{second.method} with If-Modified-Since: {_text(sent)}, the 200's own "
        f"Last-Modified, was answered 200 instead of 304."
    )


NOT_MODIFIED_FIELDS = CrossRule(
    id="not-modified-fields",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.4.5"),
    summary="A 304 carries the Content-Location, Date, ETag, Vary, Cache-Control and Expires "
    "its 200 would have carried",
    quote="The server generating a 304 response MUST generate any of the following header "
    "fields that would have been sent in a 200 (OK) response to the same request: "
    "Content-Location, Date, ETag, and Vary; Cache-Control and Expires.",
    first=frozenset({GET}),
    second=_CONDITIONAL_ETAG | {IF_MODIFIED_SINCE},
    check=_not_modified_fields,
    statuses=frozenset({304}),
)

IF_NONE_MATCH_IGNORED = CrossRule(
    id="if-none-match-ignored",
    severity=Severity.ERROR,
    reference=Reference(9110, "13.1.2"),
    summary="A GET or HEAD whose If-None-Match matches the current ETag is answered 304",
    quote="An origin server that evaluates an If-None-Match condition MUST NOT perform the "
    "requested method if the condition evaluates to false; instead, the origin server MUST "
    "respond with either a) the 304 (Not Modified) status code if the request method is GET or "
    "HEAD or b) the 412 (Precondition Failed) status code for all other request methods.",
    first=frozenset({GET}),
    second=_CONDITIONAL_ETAG,
    check=_if_none_match_ignored,
)

IF_MODIFIED_SINCE_IGNORED = CrossRule(
    id="if-modified-since-ignored",
    severity=Severity.WARNING,
    reference=Reference(9110, "13.1.3"),
    summary="A GET whose If-Modified-Since is the current Last-Modified is answered 304",
    quote="An origin server that evaluates an If-Modified-Since condition SHOULD NOT perform "
    "the requested method if the condition evaluates to false; instead, the origin server "
    "SHOULD generate a 304 (Not Modified) response, including only those metadata that are "
    "useful for identifying or updating a previously cached response.",
    first=frozenset({GET}),
    second=frozenset({IF_MODIFIED_SINCE}),
    check=_if_modified_since_ignored,
)

# -- HEAD against GET ---------------------------------------------------------------------------

# The fields that describe the representation or the resource, which a HEAD response
# "SHOULD send" as GET does.  Date, framing and per-response fields (cookies, request ids)
# are left out: they legitimately differ from one response to the next.
_HEAD_FIELDS = (
    b"content-type",
    b"content-encoding",
    b"content-language",
    b"content-location",
    b"etag",
    b"last-modified",
    b"vary",
    b"cache-control",
    b"expires",
    b"accept-ranges",
    b"allow",
    b"location",
    b"www-authenticate",
)


def _head_status(first: Observed, second: Observed) -> str | None:
    if first.status == second.status:
        return None
    return f"GET was answered {first.status} and HEAD {second.status}."


def _head_fields(first: Observed, second: Observed) -> str | None:
    if first.status != second.status:
        return None  # head-status-mismatch says it
    missing = [
        _label(name) for name in _HEAD_FIELDS if name in first.fields and name not in second.fields
    ]
    problems = []
    if missing:
        problems.append(f"HEAD lacks {', '.join(missing)}, which GET sent")
    get_type, head_type = first.get(b"content-type"), second.get(b"content-type")
    if get_type is not None and head_type is not None and get_type != head_type:
        problems.append(
            f"HEAD's Content-Type is {_text(head_type)} where GET's is {_text(get_type)}"
        )
    return "; ".join(problems) + "." if problems else None


def _label(name: bytes) -> str:
    special = {b"etag": "ETag", b"www-authenticate": "WWW-Authenticate"}
    return special.get(name) or "-".join(p.capitalize() for p in name.decode().split("-"))


def _head_content_length(first: Observed, second: Observed) -> str | None:
    declared = second.get(b"content-length")
    if first.status != second.status or declared is None or not declared.strip().isdigit():
        return None
    if int(declared) == len(first.body):
        return None
    return (
        f"HEAD declared Content-Length: {int(declared)}, and GET sent {len(first.body)} "
        "content bytes."
    )


HEAD_STATUS_MISMATCH = CrossRule(
    id="head-status-mismatch",
    severity=Severity.ERROR,
    reference=Reference(9110, "9.3.2"),
    summary="HEAD is answered with the status GET gets",
    quote="The HEAD method is identical to GET except that the server MUST NOT send content "
    "in the response.",
    first=frozenset({GET}),
    second=frozenset({HEAD}),
    check=_head_status,
)

HEAD_FIELDS_MISMATCH = CrossRule(
    id="head-fields-mismatch",
    severity=Severity.WARNING,
    reference=Reference(9110, "9.3.2"),
    summary="HEAD is answered with the header fields GET gets",
    quote="The server SHOULD send the same header fields in response to a HEAD request as it "
    "would have sent if the request method were GET.",
    first=frozenset({GET}),
    second=frozenset({HEAD}),
    check=_head_fields,
)

HEAD_CONTENT_LENGTH_MISMATCH = CrossRule(
    id="head-content-length-mismatch",
    severity=Severity.ERROR,
    reference=Reference(9110, "8.6"),
    summary="A HEAD response's Content-Length is the length GET's content has",
    quote="A server MUST NOT send Content-Length in such a response unless its field value "
    "equals the decimal number of octets that would have been sent in the content of a "
    "response if the same request had used the GET method.",
    first=frozenset({GET}),
    second=frozenset({HEAD}),
    check=_head_content_length,
)

# -- Allow against the methods that answer ------------------------------------------------------


def _allow_disagrees(first: Observed, second: Observed) -> str | None:
    allow = second.get(b"allow")
    if allow is None:
        return None  # allow-missing (a 405) says it; an OPTIONS response need not list them
    methods = parse_methods(allow)
    method = first.method
    where = f"the {second.status} to {second.method} ({second.probe})"
    if first.answered and method not in methods:
        return (
            f"Allow: {_text(allow)} on {where} leaves out {method}, which was answered "
            f"{first.status} ({first.probe})."
        )
    if not first.answered and method in methods:
        return (
            f"Allow: {_text(allow)} on {where} lists {method}, which was answered "
            f"{first.status} ({first.probe})."
        )
    return None


NOT_ALLOWED_ALLOW_MISMATCH = CrossRule(
    id="not-allowed-allow-mismatch",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.5.6"),
    summary="A 405's Allow lists exactly the methods the resource answers",
    quote="The origin server MUST generate an Allow header field in a 405 response containing "
    "a list of the target resource's currently supported methods.",
    first=_METHODS,
    second=_ANY,
    check=_allow_disagrees,
    statuses=frozenset({405}),
)

OPTIONS_ALLOW_MISMATCH = CrossRule(
    id="options-allow-mismatch",
    severity=Severity.INFO,
    reference=Reference(9110, "10.2.1"),
    summary="The Allow of an OPTIONS response lists the methods the resource answers",
    quote='The "Allow" header field lists the set of methods advertised as supported by the '
    "target resource.",
    first=_METHODS,
    second=frozenset({OPTIONS}),
    check=_allow_disagrees,
    statuses=frozenset(range(200, 300)),
)

# -- ranges ------------------------------------------------------------------------------------


def _partial_content(first: Observed, second: Observed) -> str | None:
    if first.status != 200:
        return None
    content_type = (second.get(b"content-type") or b"").lower()
    if content_type.startswith(b"multipart/byteranges"):
        return None  # one part per range; the single-range probes judge the bytes
    parsed = parse_content_range(second.get(b"content-range"))
    if parsed is None or parsed[0] is None or parsed[1] is None:
        return None  # content-range-missing / content-range-invalid say it
    start, end, length = parsed
    assert start is not None and end is not None  # checked above, for mypy
    problems = []
    if length is not None and length != len(first.body):
        problems.append(
            f"its Content-Range ({_text(second.get(b'content-range'))}) gives a length of "
            f"{length} bytes, and the 200 had {len(first.body)}"
        )
    expected = first.body[start : end + 1]
    if second.body != expected:
        problems.append(
            f"its {len(second.body)} content bytes {_preview(second.body)} are not bytes "
            f"{start}-{end} of the 200's content {_preview(expected)}"
        )
    if not problems:
        return None
    return f"the 206 to {second.method} ({second.probe}): {'; '.join(problems)}."


def _preview(data: bytes) -> str:
    return repr(data[:16]) + ("…" if len(data) > 16 else "")


def _not_satisfiable_length(first: Observed, second: Observed) -> str | None:
    if first.status != 200:
        return None
    parsed = parse_content_range(second.get(b"content-range"))
    if parsed is None or parsed[0] is not None or parsed[2] is None:
        return None
    if parsed[2] == len(first.body):
        return None
    return (
        f"the 416 says Content-Range: {_text(second.get(b'content-range'))}, and the 200 had "
        f"{len(first.body)} content bytes."
    )


def _satisfiable_rejected(first: Observed, second: Observed) -> str | None:
    if first.status != 200 or not first.body:
        return None
    asked = second.asked(b"range")
    ranges = parse_ranges(asked, len(first.body))
    if not ranges:
        return None
    return (
        f"Range: {_text(asked)} has {len(ranges)} satisfiable range"
        f"{'s' if len(ranges) != 1 else ''} for the 200's {len(first.body)} bytes, and was "
        "answered 416 (a server that will not send several ranges can send the whole "
        "content with a 200)."
    )


def _if_range_stale(first: Observed, second: Observed) -> str | None:
    if first.status != 200:
        return None
    return (
        f"Range with If-Range: {_text(second.asked(b'if-range'))}, a validator the 200 does "
        "not have, was answered 206 instead of the whole content."
    )


def _if_range_current(first: Observed, second: Observed) -> str | None:
    if first.status != 206 or second.status != 200:
        return None
    return (
        f"Range with If-Range: {_text(second.asked(b'if-range'))}, the current validator, "
        "was answered 200 with the whole content, and the same Range without If-Range 206."
    )


PARTIAL_CONTENT_MISMATCH = CrossRule(
    id="partial-content-mismatch",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.3.7.1"),
    summary="A 206 carries the range of the representation its Content-Range names",
    quote="If a single part is being transferred, the server generating the 206 response MUST "
    "generate a Content-Range header field, describing what range of the selected "
    "representation is enclosed, and a content consisting of the range.",
    first=frozenset({GET}),
    second=frozenset({RANGE, IF_RANGE, IF_RANGE_STALE, RANGE_TWO}),
    check=_partial_content,
    statuses=frozenset({206}),
)

RANGE_NOT_SATISFIABLE_LENGTH = CrossRule(
    id="range-not-satisfiable-length",
    severity=Severity.WARNING,
    reference=Reference(9110, "15.5.17"),
    summary="A 416's Content-Range gives the current length of the representation",
    quote="A server that generates a 416 response to a byte-range request SHOULD generate a "
    "Content-Range header field specifying the current length of the selected "
    "representation.",
    first=frozenset({GET}),
    second=frozenset({RANGE, RANGE_UNSATISFIABLE, RANGE_TWO, IF_RANGE}),
    check=_not_satisfiable_length,
    statuses=frozenset({416}),
)

RANGE_SATISFIABLE_REJECTED = CrossRule(
    id="range-satisfiable-rejected",
    severity=Severity.INFO,
    reference=Reference(9110, "15.5.17"),
    summary="A 416 answers only a range set that cannot be satisfied",
    quote="The 416 (Range Not Satisfiable) status code indicates that the set of ranges in the "
    "request's Range header field has been rejected either because none of the requested "
    "ranges are satisfiable or because the client has requested an excessive number of small "
    "or overlapping ranges.",
    first=frozenset({GET}),
    second=frozenset({RANGE, RANGE_TWO, IF_RANGE}),
    check=_satisfiable_rejected,
    statuses=frozenset({416}),
)

IF_RANGE_STALE_PARTIAL = CrossRule(
    id="if-range-stale-partial",
    severity=Severity.ERROR,
    reference=Reference(9110, "13.1.5"),
    summary="A Range whose If-Range validator does not match is answered with the whole content",
    quote="A recipient of an If-Range header field MUST ignore the Range header field if the "
    "If-Range condition evaluates to false.",
    first=frozenset({GET}),
    second=frozenset({IF_RANGE_STALE}),
    check=_if_range_stale,
    statuses=frozenset({206}),
)

IF_RANGE_CURRENT_IGNORED = CrossRule(
    id="if-range-current-ignored",
    severity=Severity.WARNING,
    reference=Reference(9110, "13.1.5"),
    summary="A Range whose If-Range validator matches is processed as requested",
    quote="Otherwise, the recipient SHOULD process the Range header field as requested.",
    first=frozenset({RANGE}),
    second=frozenset({IF_RANGE}),
    check=_if_range_current,
    statuses=frozenset({200}),
)

CROSS_RULES: tuple[CrossRule, ...] = (
    NOT_MODIFIED_FIELDS,
    IF_NONE_MATCH_IGNORED,
    IF_MODIFIED_SINCE_IGNORED,
    HEAD_STATUS_MISMATCH,
    HEAD_FIELDS_MISMATCH,
    HEAD_CONTENT_LENGTH_MISMATCH,
    NOT_ALLOWED_ALLOW_MISMATCH,
    OPTIONS_ALLOW_MISMATCH,
    PARTIAL_CONTENT_MISMATCH,
    RANGE_NOT_SATISFIABLE_LENGTH,
    RANGE_SATISFIABLE_REJECTED,
    IF_RANGE_STALE_PARTIAL,
    IF_RANGE_CURRENT_IGNORED,
)

CROSS_RULES_BY_ID: Mapping[str, CrossRule] = MappingProxyType({r.id: r for r in CROSS_RULES})
