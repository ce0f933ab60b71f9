"""Message framing: content, Content-Length and Transfer-Encoding (RFC 9110 §6.4.1, §8.6,
RFC 9112 §6).

Head rules look at the head only.  The two content rules and content-length-mismatch are body
rules: their checks decide a complete response (``Head.content_length`` known); while a body
streams, the engine applies them chunk by chunk.
"""

from __future__ import annotations

from ..model import SHAPE_ONLY, ContentUse, Fix, Head, Reference, Rule, Severity
from ._syntax import show

NO_CONTENT_STATUSES = frozenset({*range(100, 200), 204, 205, 304})
NO_LENGTH_STATUSES = frozenset({*range(100, 200), 204})


def _content_bytes(head: Head) -> str:
    n = head.content_length
    return f"{n} content byte{'s' if n != 1 else ''}" if n is not None else "content"


def _forbidden(head: Head) -> str | None:
    if head.has_content:
        return f"a {head.status} response carried {_content_bytes(head)}."
    if head.status == 205:
        # A stale Content-Length announces content a 205 cannot have (FastAPI keeps one).
        for value in head.fields.get(b"content-length", ()):
            if value.strip(b" \t") != b"0":
                return f"a 205 response declares Content-Length: {value.decode('latin-1')}."
    return None


def _forbidden_fix(head: Head) -> Head:
    # A 205 needs explicit zero-length framing (RFC 7231 §6.3.6 a); the others end at the head.
    if head.status != 205:
        return head
    headers = head.without(b"content-length", b"transfer-encoding")
    if not head.is_connect_success:  # a 2xx to CONNECT has no framing fields at all
        headers.append((b"Content-Length", b"0"))
    return head.with_headers(headers)


def _head_content(head: Head) -> str | None:
    if head.method != "HEAD" or not head.has_content:
        return None
    return f"the response to HEAD carried {_content_bytes(head)}."


def _keep(head: Head) -> Head:
    return head


def _connect_or_no_length(head: Head) -> bool:
    return head.status in NO_LENGTH_STATUSES or head.is_connect_success


def _length_forbidden(head: Head) -> str | None:
    if b"content-length" not in head.fields or not _connect_or_no_length(head):
        return None
    what = "a 2xx response to CONNECT" if head.is_connect_success else f"a {head.status} response"
    return f"{what} has Content-Length: {head.fields[b'content-length'][0].decode('latin-1')}."


def _drop(*names: bytes) -> Fix:
    def fix(head: Head) -> Head:
        return head.with_headers(head.without(*names))

    return fix


def _te_forbidden(head: Head) -> str | None:
    if b"transfer-encoding" not in head.fields:
        return None
    if _connect_or_no_length(head):
        return f"a {head.status} response to {head.method} has Transfer-Encoding."
    if head.http_version == "1.0":
        return "the request was HTTP/1.0, which does not know Transfer-Encoding."
    return None


def _codings(value: bytes) -> list[bytes]:
    return [c.strip(b" \t").lower() for c in value.split(b",") if c.strip(b" \t")]


def _te_line_invalid(value: bytes) -> bool:
    codings = _codings(value)
    chunked = codings.count(b"chunked")
    return chunked > 1 or (chunked == 1 and codings[-1] != b"chunked")


def _te_line_ok(value: bytes) -> bool:
    return not _te_line_invalid(value)


def _te_invalid(head: Head) -> str | None:
    # "A sender MUST NOT apply the chunked transfer coding more than once to a message body
    # (i.e., chunking an already chunked message is not allowed)." (RFC 9112 §6.1)  Each line
    # is judged alone, and a list split over several lines is reported too: h11 (so uvicorn's
    # h11 protocol and hypercorn) refuses "multiple Transfer-Encoding headers".
    values = head.fields.get(b"transfer-encoding")
    if not values:
        return None
    for value in values:
        if _te_line_invalid(value):
            return (
                f"Transfer-Encoding {value.decode('latin-1')!r} applies chunked twice or not last."
            )
    if len(values) > 1:
        shown = ", ".join(repr(v.decode("latin-1")) for v in values)
        return f"Transfer-Encoding is split over {len(values)} field lines: {shown}."
    return None


def _te_invalid_fix(head: Head) -> Head:
    # Only the framing is repaired: extra "chunked" entries go and the lines are merged, in
    # order.  The other codings were applied by the app and stay as they are; a "chunked"
    # that is not last cannot be repaired without changing how the content is decoded.
    codings = [c for value in head.fields.get(b"transfer-encoding", ()) for c in _codings(value)]
    if b"chunked" in codings and codings[-1] != b"chunked":
        return head
    if b"chunked" in codings:
        codings = [c for c in codings[:-1] if c != b"chunked"] + [b"chunked"]
    headers = head.without(b"transfer-encoding")
    if codings:
        headers.append((b"Transfer-Encoding", b", ".join(codings)))
    return head.with_headers(headers)


def _cl_with_te(head: Head) -> str | None:
    if b"content-length" in head.fields and b"transfer-encoding" in head.fields:
        te = b", ".join(head.fields[b"transfer-encoding"])
        return f"Content-Length stands beside Transfer-Encoding: {show(te)}."
    return None


# "A recipient MUST anticipate potentially large decimal numerals and prevent parsing errors due
# to integer conversion overflows" (RFC 9110 §8.6).  Python's int does not overflow, but it
# refuses numerals of more than 4300 digits (leading zeros included) and converts long ones in
# quadratic time, and h11 refuses more than 20 digits; no content is 10**18 bytes long, so a
# longer numeral is reported as invalid instead of converted.
_MAX_LENGTH_DIGITS = 18


def _is_length(value: bytes) -> bool:
    """Whether ``value`` (without surrounding whitespace) is a usable Content-Length."""
    # bytes.isdigit is ASCII digits only, and false on b"": DIGITS.fullmatch, at C speed.
    return len(value) <= _MAX_LENGTH_DIGITS and value.isdigit()


def declared_length(head: Head) -> int | None:
    """The Content-Length when it is one valid value (repeated identical lines count as one)."""
    values = head.fields.get(b"content-length")
    if not values:
        return None
    first = values[0].strip(b" \t")
    for value in values:
        if value.strip(b" \t") != first:
            return None
    if not _is_length(first):
        return None
    return int(first)


def _length_line_ok(value: bytes) -> bool:
    value = value.strip(b" \t")
    return len(value) <= _MAX_LENGTH_DIGITS and value.isdigit()


def _length_invalid(head: Head) -> str | None:
    values = head.fields.get(b"content-length")
    if not values:
        return None
    bad = [v for v in values if not _is_length(v.strip(b" \t"))]
    if bad:
        return (
            f"Content-Length {show(bad[0])} is not a non-negative decimal integer "
            f"of at most {_MAX_LENGTH_DIGITS} digits."
        )
    distinct = {int(v) for v in values}
    if len(distinct) > 1:
        return f"Content-Length is repeated with different values {sorted(distinct)}."
    if len(values) > 1:
        return f"Content-Length is repeated {len(values)} times."
    return None


def _length_invalid_fix(head: Head) -> Head:
    headers = head.without(b"content-length")
    values = head.fields.get(b"content-length", [])
    may_count = head.content_length is not None and head.method != "HEAD" and head.status != 304
    if may_count:
        headers.append((b"Content-Length", str(head.content_length).encode()))
    else:
        stripped = {v.strip(b" \t") for v in values}
        if len(stripped) == 1:
            (only,) = stripped
            if _is_length(only):
                headers.append((b"Content-Length", only))
    return head.with_headers(headers)


def _framed_by_length(head: Head) -> bool:
    """Whether the Content-Length on this response frames content that is actually sent."""
    return (
        head.status not in NO_CONTENT_STATUSES
        and head.method != "HEAD"
        and not head.is_connect_success
        and b"transfer-encoding" not in head.fields
    )


def _length_limit(value: bytes) -> int | None:
    """The length a single Content-Length value declares, or ``None`` when it is not one."""
    value = value.strip(b" \t")
    return int(value) if len(value) <= _MAX_LENGTH_DIGITS and value.isdigit() else None


def _length_watched(head: Head) -> bool:
    return b"content-length" in head.fields and _framed_by_length(head)


def _head_on_the_wire(head: Head) -> bool:
    return head.method == "HEAD" and head.server_date == "never"


def _length_mismatch(head: Head) -> str | None:
    if head.content_length is None or not _framed_by_length(head):
        return None
    declared = declared_length(head)
    if declared is None or declared == head.content_length:
        return None
    return f"Content-Length says {declared} but {head.content_length} content bytes were sent."


def _length_mismatch_fix(head: Head) -> Head:
    headers = head.without(b"content-length")
    headers.append((b"Content-Length", str(head.content_length).encode()))
    return head.with_headers(headers)


CONTENT_FORBIDDEN = Rule(
    id="content-forbidden",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.3.5"),
    summary="1xx, 204, 205 and 304 responses cannot contain content",
    quote=(
        "A 204 response is terminated by the end of the header section; it cannot contain "
        "content or trailers. | a server MUST NOT generate content in a 205 response. (RFC "
        "9110 §15.3.6) | A 1xx response is terminated by the end of the header section; it "
        "cannot contain content or trailers. (RFC 9110 §15.2)"
    ),
    check=_forbidden,
    fix=_forbidden_fix,
    fix_summary="discard the content; a 205 gets Content-Length: 0",
    statuses=NO_CONTENT_STATUSES,
    phase="body",
    content=ContentUse(reads="presence", action="discard"),
    # The check reads the value of Content-Length, for a 205 (a stale one announces content).
    reads=frozenset({b"content-length"}),
)

HEAD_CONTENT = Rule(
    id="head-content",
    severity=Severity.ERROR,
    reference=Reference(9110, "9.3.2"),
    summary="A response to HEAD cannot contain content",
    quote=(
        "The HEAD method is identical to GET except that the server MUST NOT send content in "
        "the response."
    ),
    check=_head_content,
    fix=_keep,
    fix_summary="discard the content and keep the Content-Length",
    phase="body",
    content=ContentUse(reads="presence", action="discard", when=_head_on_the_wire),
    reads=SHAPE_ONLY,
    # Frameworks (Django, Starlette) send the GET content to HEAD on purpose and leave it to
    # the server, as RFC 9110 §9.3.2 says ("the server MUST NOT send content"): behind a
    # server, dropping it is the server's job, or fix and strict mode's (the compatibility
    # step server-head-content, statusguard.servers).  Only a response that is what goes on
    # the wire (server_date "never": check(), a captured response, server="wire") breaks it.
)

CONTENT_LENGTH_FORBIDDEN = Rule(
    id="content-length-forbidden",
    severity=Severity.ERROR,
    reference=Reference(9110, "8.6"),
    summary="1xx, 204 and 2xx-to-CONNECT responses cannot have Content-Length",
    quote=(
        "A server MUST NOT send a Content-Length header field in any response with a status "
        "code of 1xx (Informational) or 204 (No Content). A server MUST NOT send a "
        "Content-Length header field in any 2xx (Successful) response to a CONNECT request "
        "(Section 9.3.6)."
    ),
    check=_length_forbidden,
    fix=_drop(b"content-length"),
    fix_summary="remove Content-Length",
    reads=SHAPE_ONLY,
)

TRANSFER_ENCODING_FORBIDDEN = Rule(
    id="transfer-encoding-forbidden",
    severity=Severity.ERROR,
    reference=Reference(9112, "6.1"),
    summary=("1xx, 204, 2xx-to-CONNECT and HTTP/1.0 responses cannot have Transfer-Encoding"),
    quote=(
        "A server MUST NOT send a Transfer-Encoding header field in any response with a "
        "status code of 1xx (Informational) or 204 (No Content). A server MUST NOT send a "
        "Transfer-Encoding header field in any 2xx (Successful) response to a CONNECT request "
        "(Section 9.3.6 of [HTTP])."
    ),
    check=_te_forbidden,
    fix=_drop(b"transfer-encoding"),
    fix_summary="remove Transfer-Encoding",
    reads=SHAPE_ONLY,
)

TRANSFER_ENCODING_INVALID = Rule(
    id="transfer-encoding-invalid",
    severity=Severity.ERROR,
    reference=Reference(9112, "6.1"),
    summary="Transfer-Encoding applies chunked once, last, in one field line",
    quote=(
        "If any transfer coding other than chunked is applied to a response's content, the "
        "sender MUST either apply chunked as the final transfer coding or terminate the "
        "message by closing the connection."
    ),
    check=_te_invalid,
    fix=_te_invalid_fix,
    fix_summary="drop the extra chunked and merge the lines; a chunked not last is only reported",
    reads=frozenset({b"transfer-encoding"}),
    accepts=_te_line_ok,
)

CONTENT_LENGTH_WITH_TRANSFER_ENCODING = Rule(
    id="content-length-with-transfer-encoding",
    severity=Severity.ERROR,
    reference=Reference(9112, "6.2"),
    summary="A message with Transfer-Encoding cannot have Content-Length",
    quote=(
        "A sender MUST NOT send a Content-Length header field in any message that contains a "
        "Transfer-Encoding header field."
    ),
    check=_cl_with_te,
    fix=_drop(b"content-length"),
    fix_summary="remove Content-Length (Transfer-Encoding overrides it)",
    reads=SHAPE_ONLY,
)

CONTENT_LENGTH_INVALID = Rule(
    id="content-length-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "8.6"),
    summary="Content-Length is one non-negative decimal integer",
    quote="Content-Length = 1*DIGIT",
    check=_length_invalid,
    fix=_length_invalid_fix,
    fix_summary="set the real length when it is known, else collapse or remove",
    reads=frozenset({b"content-length"}),
    accepts=_length_line_ok,
)

CONTENT_LENGTH_MISMATCH = Rule(
    id="content-length-mismatch",
    severity=Severity.ERROR,
    reference=Reference(9112, "6.3"),
    summary="Content-Length must equal the number of content bytes sent",
    quote=(
        "a sender MUST NOT forward a message with a Content-Length header field value that is "
        "known to be incorrect."
    ),
    check=_length_mismatch,
    fix=_length_mismatch_fix,
    fix_summary=(
        "correct it before the head is sent; truncate a longer stream; report a shorter one"
    ),
    phase="body",
    content=ContentUse(
        reads="length",
        action="truncate",
        when=_length_watched,
        limit=(b"content-length", _length_limit),
    ),
    reads=frozenset({b"content-length"}),
)

# PEP 3333: "applications and middleware are forbidden from using HTTP/1.1 'hop-by-hop'
# features or headers".  The list is wsgiref's (wsgiref.util._hoppish) plus the real "trailer".
HOP_BY_HOP = (
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"trailers",
    b"transfer-encoding",
    b"upgrade",
)


def _hop_by_hop(head: Head) -> str | None:
    found = [n.decode("latin-1") for n in HOP_BY_HOP if n in head.fields]
    if not found:
        return None
    return f"the WSGI application sent {', '.join(found)}."


HOP_BY_HOP_FIELD = Rule(
    id="hop-by-hop-field",
    severity=Severity.ERROR,
    reference=Reference(3333, "other-http-features", document="PEP"),
    summary="A WSGI application cannot send hop-by-hop header fields",
    quote=(
        'WSGI applications must not generate any "hop-by-hop" headers, attempt to use HTTP '
        "features that would require them to generate such headers, or rely on the content of "
        'any incoming "hop-by-hop" headers in the environ dictionary.'
    ),
    check=_hop_by_hop,
    fix=_drop(*HOP_BY_HOP),
    fix_summary="remove the hop-by-hop fields",
    protocols=frozenset({"wsgi"}),
    reads=SHAPE_ONLY,
)

# "This includes the Connection header field and those listed as having connection-specific
# semantics in Section 7.6.1 of [HTTP] (that is, Proxy-Connection, Keep-Alive,
# Transfer-Encoding, and Upgrade)." (RFC 9113 §8.2.2)
CONNECTION_SPECIFIC = (
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"upgrade",
)


def _connection_specific(head: Head) -> str | None:
    if head.http_version not in ("2", "2.0", "3", "3.0"):
        return None
    found = [n.decode("latin-1") for n in CONNECTION_SPECIFIC if n in head.fields]
    if not found:
        return None
    return f"an HTTP/{head.http_version} response has {', '.join(found)}."


CONNECTION_SPECIFIC_FIELD = Rule(
    id="connection-specific-field",
    severity=Severity.ERROR,
    reference=Reference(9113, "8.2.2"),
    summary="HTTP/2 and HTTP/3 responses cannot carry connection-specific fields",
    quote=(
        "An endpoint MUST NOT generate an HTTP/2 message containing connection-specific "
        "header fields."
    ),
    check=_connection_specific,
    fix=_drop(*CONNECTION_SPECIFIC),
    fix_summary="remove the connection-specific fields",
    reads=SHAPE_ONLY,
)

RULES = (
    HOP_BY_HOP_FIELD,
    CONNECTION_SPECIFIC_FIELD,
    CONTENT_LENGTH_FORBIDDEN,
    TRANSFER_ENCODING_FORBIDDEN,
    CONTENT_LENGTH_WITH_TRANSFER_ENCODING,
    CONTENT_LENGTH_INVALID,
    CONTENT_FORBIDDEN,
    HEAD_CONTENT,
    CONTENT_LENGTH_MISMATCH,
)
