"""Rules of the 2xx (Successful) class (RFC 9110 §15.3), and the ranges the request asked for.

The content rules of 204 and 205 are framing rules (framing.py).  Only the rules that parse a
range (``werkzeug.http``) load it, and only when the fields are there.
"""

from __future__ import annotations

from ..model import SHAPE_ONLY, Head, Reference, RequestHeaders, Rule, Severity
from ._common import asked, on_request, request_known, requires


def _multipart(head: Head) -> bool:
    content_type = head.fields.get(b"content-type", [b""])[0].lower()
    return content_type.lstrip(b" \t").startswith(b"multipart/byteranges")


def _requested(head: Head) -> list[tuple[int, int | None]] | None:
    """The byte ranges the request asked for (``(start, stop)``, stop exclusive, a suffix
    range as ``(-n, None)``), or ``None`` when it asked for none a server could honour."""
    value = asked(head, b"range")
    if value is None:
        return None
    from werkzeug.http import parse_range_header

    parsed = parse_range_header(value.decode("latin-1"))
    if parsed is None or parsed.units != "bytes" or not parsed.ranges:
        return None
    return list(parsed.ranges)


def _content_range(head: Head) -> tuple[int, int, int | None] | None:
    """The single-part 206's ``Content-Range: bytes first-last/length`` as
    ``(first, last, length)`` (last inclusive), or ``None``."""
    values = head.fields.get(b"content-range")
    if not values or len(values) != 1:
        return None
    from werkzeug.http import parse_content_range_header

    parsed = parse_content_range_header(values[0].decode("latin-1"))
    if parsed is None or parsed.units != "bytes" or parsed.start is None or parsed.stop is None:
        return None
    return parsed.start, parsed.stop - 1, parsed.length


def _partial_unrequested(method: str, request: RequestHeaders) -> str | None:
    # "The 206 (Partial Content) status code indicates that the server is successfully
    # fulfilling a range request for the target resource" (RFC 9110 §15.3.7)
    if not request.known or request.get(b"range") is not None:
        return None
    return "a 206 response answers a request that had no Range header."


def _multipart_single(head: Head) -> str | None:
    # "A server MUST NOT generate a multipart response to a request for a single range"
    # (RFC 9110 §15.3.7.2)
    if not request_known(head) or not _multipart(head):
        return None
    requested = _requested(head)
    if requested is None or len(requested) != 1:
        return None
    value = asked(head, b"range") or b""
    return (
        "a 206 response is multipart/byteranges, but the request asked for a single range "
        f"({value.decode('latin-1')})."
    )


def _range_length_mismatch(head: Head) -> str | None:
    # The content of a single-part 206 is the range Content-Range describes (RFC 9110 §14.4),
    # and "a sender MUST NOT forward a message with a Content-Length header field value that is
    # known to be incorrect" (RFC 9110 §8.6).
    if _multipart(head):
        return None
    enclosed = _content_range(head)
    lengths = head.fields.get(b"content-length")
    if enclosed is None or not lengths or len(set(lengths)) != 1:
        return None
    value = lengths[0].strip(b" \t")
    if not value.isdigit():
        return None  # content-length-invalid's
    first, last, _ = enclosed
    if int(value) == last - first + 1:
        return None
    return (
        f"Content-Range says bytes {first}-{last} ({last - first + 1} bytes) but "
        f"Content-Length says {int(value)}."
    )


def _range_unrequested(head: Head) -> str | None:
    # A 206 transfers "one or more parts of the selected representation that correspond to
    # the satisfiable ranges found in the request's Range header field" (RFC 9110 §15.3.7)
    if not request_known(head) or _multipart(head):
        return None
    requested = _requested(head)
    enclosed = _content_range(head)
    if requested is None or enclosed is None:
        return None
    first, last, length = enclosed
    spans = []
    for start, stop in requested:
        if start < 0:  # a suffix range: the last -start bytes
            if length is None:
                return None
            spans.append((max(length + start, 0), length - 1))
        else:
            end = (length if stop is None else stop) if length is not None else stop
            if end is None:
                return None
            spans.append((start, end - 1))
    low = min(span[0] for span in spans)
    high = max(span[1] for span in spans)
    if low <= first and last <= high:
        return None
    value = (asked(head, b"range") or b"").decode("latin-1")
    return (
        f"Content-Range encloses bytes {first}-{last}, outside what the request asked for "
        f"(Range: {value})."
    )


def _content_range_missing(head: Head) -> str | None:
    if b"content-range" in head.fields:
        return None
    content_type = head.fields.get(b"content-type", [b""])[0].lower()
    if content_type.startswith(b"multipart/byteranges"):
        return None
    return "a 206 response has neither Content-Range nor a multipart/byteranges body."


PARTIAL_CONTENT_UNREQUESTED = Rule(
    id="partial-content-unrequested",
    severity=Severity.INFO,
    reference=Reference(9110, "15.3.7"),
    summary="A 206 response answers a range request",
    quote=(
        "The 206 (Partial Content) status code indicates that the server is successfully "
        "fulfilling a range request for the target resource by transferring one or more parts "
        "of the selected representation."
    ),
    check=on_request(_partial_unrequested),
    request_check=_partial_unrequested,
    statuses=frozenset({206}),
)

MULTIPART_SINGLE_RANGE = Rule(
    id="partial-content-multipart-single-range",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.3.7.2"),
    summary="A request for a single range gets a single-part 206, not multipart/byteranges",
    quote=(
        "A server MUST NOT generate a multipart response to a request for a single range, since "
        "a client that does not request multiple parts might not support multipart responses."
    ),
    check=_multipart_single,
    statuses=frozenset({206}),
)

CONTENT_RANGE_LENGTH_MISMATCH = Rule(
    id="content-range-length-mismatch",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.3.7.1"),
    summary="A single-part 206's Content-Length is the length of the range it encloses",
    quote=(
        "If a single part is being transferred, the server generating the 206 response MUST "
        "generate a Content-Range header field, describing what range of the selected "
        "representation is enclosed, and a content consisting of the range. | a sender MUST "
        "NOT forward a message with a Content-Length header field value that is known to be "
        "incorrect. (RFC 9110 §8.6)"
    ),
    check=_range_length_mismatch,
    statuses=frozenset({206}),
)

CONTENT_RANGE_UNREQUESTED = Rule(
    id="content-range-unrequested",
    severity=Severity.INFO,
    reference=Reference(9110, "15.3.7"),
    summary="A 206 encloses a range the request asked for",
    quote=(
        "The 206 (Partial Content) status code indicates that the server is successfully "
        "fulfilling a range request for the target resource by transferring one or more parts "
        "of the selected representation."
    ),
    check=_range_unrequested,
    statuses=frozenset({206}),
)

# "The response MUST include an Etag header field giving the entity tag of the current
# instance." (RFC 3229 §10.4.1)
IM_USED_ETAG_MISSING = Rule(
    id="im-used-etag-missing",
    severity=Severity.ERROR,
    reference=Reference(3229, "10.4.1"),
    summary="A 226 response carries the ETag of the current instance",
    quote=(
        "The response MUST include an Etag header field giving the entity tag of the current "
        "instance."
    ),
    check=requires(b"etag", "ETag"),
    statuses=frozenset({226}),
    reads=SHAPE_ONLY,
    requires=b"etag",
)

CREATED_LOCATION_MISSING = Rule(
    id="created-location-missing",
    severity=Severity.INFO,
    reference=Reference(9110, "15.3.2"),
    summary="A 201 response usually names the created resource in Location",
    quote=(
        "The primary resource created by the request is identified by either a Location "
        "header field in the response or, if no Location header field is received, by the "
        "target URI."
    ),
    check=requires(b"location", "Location (the target URI is taken as the new resource)"),
    statuses=frozenset({201}),
    reads=SHAPE_ONLY,
    requires=b"location",
)

CONTENT_RANGE_MISSING = Rule(
    id="content-range-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.3.7.1"),
    summary="A single-part 206 response carries Content-Range",
    quote=(
        "If a single part is being transferred, the server generating the 206 response MUST "
        "generate a Content-Range header field, describing what range of the selected "
        "representation is enclosed, and a content consisting of the range."
    ),
    check=_content_range_missing,
    statuses=frozenset({206}),
    requires=b"content-range",
)

RULES = (
    CREATED_LOCATION_MISSING,
    CONTENT_RANGE_MISSING,
    CONTENT_RANGE_LENGTH_MISMATCH,
    PARTIAL_CONTENT_UNREQUESTED,
    MULTIPART_SINGLE_RANGE,
    CONTENT_RANGE_UNREQUESTED,
    IM_USED_ETAG_MISSING,
)
