"""Every rule against table rows: one violating and one clean case at least, exact id sets."""

from __future__ import annotations

import pytest

from statusguard import CATALOGUE, check, repair

DATE = ("Date", "Sun, 06 Nov 1994 08:49:37 GMT")
TEXT = ("Content-Type", "text/plain")
Headers = list[tuple[str, str]]


def row(
    status: int | str,
    headers: Headers,
    body: bytes,
    expected: set[str],
    *,
    method: str = "GET",
    version: str = "1.1",
    request: Headers | None = None,
    id: str,
) -> object:
    """One case; ``request`` (the request's fields) ``None`` checks the response on its own,
    where the rules about the request say nothing."""
    return pytest.param(status, method, version, headers, body, expected, request, id=id)


ROWS = [
    # status line (RFC 9110 §15, RFC 9112 §4)
    row(600, [DATE], b"", {"status-code-invalid"}, id="600 invalid"),
    row(99, [DATE], b"", {"status-code-invalid"}, id="99 invalid"),
    row("abc OK", [DATE], b"", {"status-code-invalid"}, id="non-numeric status line"),
    row(599, [DATE], b"", {"status-code-unregistered"}, id="599 unregistered"),
    row(449, [DATE], b"", {"status-code-unregistered"}, id="449 non-standard"),
    row(509, [DATE], b"", {"status-code-unregistered"}, id="509 non-standard"),
    row(500, [], b"", set(), id="500 without Date is fine"),
    row(305, [DATE, ("Location", "/p")], b"", {"status-code-deprecated"}, id="305 deprecated"),
    row(306, [DATE], b"", {"status-code-deprecated"}, id="306 unused"),
    row(418, [DATE], b"", {"status-code-deprecated"}, id="418 unused"),
    row(510, [], b"", {"status-code-deprecated"}, id="510 obsoleted"),
    row(102, [], b"", {"status-code-deprecated", "status-interim-final"}, id="102 final"),
    row(100, [], b"", {"status-interim-final"}, id="100 as final"),
    row(103, [("Link", "</s.css>; rel=preload")], b"", {"status-interim-final"}, id="103 final"),
    row(101, [("Upgrade", "websocket")], b"", set(), id="101 with Upgrade"),
    # RFC 9110 §7.8: "A server MUST NOT switch to a protocol that was not indicated by the
    # client in the corresponding request's Upgrade header field."
    row(
        101,
        [("Upgrade", "websocket"), ("Connection", "upgrade")],
        b"",
        set(),
        request=[("Upgrade", "websocket"), ("Connection", "Upgrade")],
        id="101 to a websocket upgrade",
    ),
    row(
        101,
        [("Upgrade", "WebSocket")],
        b"",
        set(),
        request=[("Upgrade", "websocket")],
        id="101 protocol names are case-insensitive",
    ),
    row(
        101,
        [("Upgrade", "h2c")],
        b"",
        set(),
        request=[("Upgrade", "websocket, h2c")],
        id="101 to one offered protocol",
    ),
    row(
        101,
        [("Upgrade", "HTTP/2.0")],
        b"",
        set(),
        request=[("Upgrade", "HTTP/2.0, HTTP/3.0")],
        id="101 with a protocol version",
    ),
    row(
        101,
        [("Upgrade", "websocket")],
        b"",
        {"upgrade-unrequested"},
        request=[],
        id="101 to a request without Upgrade",
    ),
    row(
        101,
        [("Upgrade", "h2c")],
        b"",
        {"upgrade-unrequested"},
        request=[("Upgrade", "websocket")],
        id="101 to a protocol not offered",
    ),
    # RFC 9110 §10.1.1, §15.2.1
    row(
        100,
        [],
        b"",
        {"status-interim-final", "continue-unrequested"},
        method="POST",
        request=[("Content-Length", "10")],
        id="100 to a request without Expect",
    ),
    row(
        100,
        [],
        b"",
        {"status-interim-final"},
        method="POST",
        request=[("Expect", "100-Continue")],
        id="100 to Expect: 100-continue",
    ),
    row("200 OK\r\nX: 1", [DATE], b"", {"reason-phrase-invalid"}, id="CRLF in reason"),
    row("200 O\x00K", [DATE], b"", {"reason-phrase-invalid"}, id="NUL in reason"),
    row("200 OK\tfine", [DATE], b"", set(), id="HTAB in reason is fine"),
    row("200 ", [DATE], b"", set(), id="empty reason is fine"),
    # content (RFC 9110 §15.3.5, §15.3.6, §15.4.5, §9.3.2, §15.2)
    row(204, [DATE], b"hello", {"content-forbidden"}, id="204 with content"),
    row(204, [DATE], b"", set(), id="204 without content or length"),
    row(205, [DATE], b"hello", {"content-forbidden"}, id="205 with content"),
    row(205, [DATE, ("Content-Length", "4")], b"", {"content-forbidden"}, id="205 stale CL"),
    row(205, [DATE, ("Content-Length", "0")], b"", set(), id="205 with CL 0"),
    row(304, [DATE], b"hello", {"content-forbidden"}, id="304 with content"),
    row(304, [DATE, ("Content-Length", "5")], b"", set(), id="304 with CL is fine"),
    row(101, [("Upgrade", "h2c")], b"x", {"content-forbidden"}, id="101 with content"),
    row(200, [DATE, TEXT, ("Content-Length", "5")], b"hello", set(), id="clean 200"),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "5")],
        b"hello",
        {"head-content"},
        method="HEAD",
        id="HEAD with content",
    ),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "5")],
        b"",
        set(),
        method="HEAD",
        id="HEAD with the GET length is fine",
    ),
    # Content-Length and Transfer-Encoding (RFC 9110 §8.6, RFC 9112 §6)
    row(204, [DATE, ("Content-Length", "0")], b"", {"content-length-forbidden"}, id="204 CL 0"),
    row(
        200,
        [DATE, ("Content-Length", "0")],
        b"",
        {"content-length-forbidden"},
        method="CONNECT",
        id="2xx to CONNECT with CL",
    ),
    row(
        200,
        [DATE, ("Transfer-Encoding", "chunked")],
        b"",
        {"transfer-encoding-forbidden"},
        method="CONNECT",
        id="2xx to CONNECT with TE",
    ),
    row(
        204,
        [DATE, ("Transfer-Encoding", "chunked")],
        b"",
        {"transfer-encoding-forbidden"},
        id="204 with TE",
    ),
    row(
        200,
        [DATE, TEXT, ("Transfer-Encoding", "chunked")],
        b"hello",
        {"transfer-encoding-forbidden"},
        version="1.0",
        id="TE to HTTP/1.0",
    ),
    row(200, [DATE, TEXT, ("Transfer-Encoding", "chunked")], b"hello", set(), id="TE alone"),
    row(
        200,
        [DATE, TEXT, ("Transfer-Encoding", "gzip, chunked")],
        b"hello",
        set(),
        id="gzip then chunked",
    ),
    row(
        200,
        [DATE, TEXT, ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
        b"hello",
        {"transfer-encoding-invalid"},
        id="chunked on two lines",
    ),
    row(
        200,
        [DATE, TEXT, ("Transfer-Encoding", "chunked, gzip")],
        b"hello",
        {"transfer-encoding-invalid"},
        id="chunked not last",
    ),
    row(
        200,
        [DATE, TEXT, ("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
        b"hello",
        {"transfer-encoding-invalid"},
        id="codings split over lines",
    ),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
        b"hello",
        {"content-length-with-transfer-encoding"},
        id="CL then TE",
    ),
    row(
        200,
        [DATE, TEXT, ("Transfer-Encoding", "chunked"), ("Content-Length", "5")],
        b"hello",
        {"content-length-with-transfer-encoding"},
        id="TE then CL",
    ),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "5"), ("Content-Length", "6")],
        b"hello",
        {"content-length-invalid"},
        id="conflicting CLs",
    ),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "5, 5")],
        b"hello",
        {"content-length-invalid"},
        id="CL list",
    ),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "-1")],
        b"hello",
        {"content-length-invalid"},
        id="negative CL",
    ),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "3")],
        b"hello",
        {"content-length-mismatch"},
        id="CL shorter than content",
    ),
    row(
        200,
        [DATE, TEXT, ("Content-Length", "10")],
        b"hello",
        {"content-length-mismatch"},
        id="CL longer than content",
    ),
    row(200, [DATE], b"hello", {"content-type-missing"}, id="content without type"),
    row(200, [DATE], b"", set(), id="no content, no type is fine"),
    # field syntax (RFC 9110 §5)
    row(200, [DATE, ("X Bad", "1")], b"", {"field-name-invalid"}, id="space in name"),
    row(200, [DATE, ("X:Bad", "1")], b"", {"field-name-invalid"}, id="colon in name"),
    row(200, [DATE, ("X-Ok", "a\r\nX-Injected: 1")], b"", {"field-value-invalid"}, id="CRLF"),
    row(200, [DATE, ("X-Ok", "a\x00b")], b"", {"field-value-invalid"}, id="NUL"),
    row(200, [DATE, ("X-Ok", "a\x7fb")], b"", {"field-value-invalid"}, id="DEL"),
    row(200, [DATE, ("X-Ok", "a\tb")], b"", set(), id="HTAB in value is fine"),
    # Around a value, whitespace is the field line's optional whitespace in HTTP/1.x (RFC 9112
    # §5), as Django's WSGI handler sends every Set-Cookie; HTTP/2 and HTTP/3 forbid it.
    row(200, [DATE, ("Set-Cookie", " csrftoken=abc; Path=/")], b"", set(), id="OWS in 1.1"),
    row(200, [DATE, ("X-Ok", "padded\t")], b"", set(), id="trailing OWS in 1.0", version="1.0"),
    row(
        200,
        [DATE, ("X-Ok", " padded")],
        b"",
        {"field-value-whitespace"},
        id="leading space in HTTP/2",
        version="2",
    ),
    row(
        200,
        [DATE, ("X-Ok", "padded\t")],
        b"",
        {"field-value-whitespace"},
        id="trailing HTAB in HTTP/3",
        version="3",
    ),
    row(200, [DATE, ("X-Ok", "a b")], b"", set(), id="inner space in HTTP/2", version="2"),
    row(200, [DATE, ("X-Ok", "caf\xe9")], b"", set(), id="obs-text is fine"),
    row(200, [DATE, DATE], b"", {"field-duplicate"}, id="two identical Dates"),
    row(
        200,
        [DATE, TEXT, ("Content-Type", "text/html")],
        b"x",
        {"field-duplicate"},
        id="two Content-Types",
    ),
    row(
        200,
        [DATE, ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
        b"",
        set(),
        id="Set-Cookie repeats",
    ),
    row(200, [DATE, ("Vary", "a"), ("Vary", "b")], b"", set(), id="list fields repeat"),
    # Date (RFC 9110 §6.6.1, §5.6.7)
    row(200, [], b"", {"date-missing"}, id="200 without Date"),
    row(404, [TEXT], b"x", {"date-missing"}, id="404 without Date"),
    row(200, [("Date", "yesterday")], b"", {"date-invalid"}, id="Date not a date"),
    row(
        200,
        [("Date", "Sunday, 06-Nov-94 08:49:37 GMT")],
        b"",
        {"date-invalid"},
        id="Date in RFC 850 form",
    ),
    row(200, [("Date", "Sun, 31 Feb 1994 08:49:37 GMT")], b"", {"date-invalid"}, id="31 Feb"),
    # per status (RFC 9110 §15.2-§15.5)
    row(101, [], b"", {"upgrade-missing"}, id="101 without Upgrade"),
    row(426, [DATE], b"", {"upgrade-missing"}, id="426 without Upgrade"),
    row(426, [DATE, ("Upgrade", "HTTP/3.0")], b"", set(), id="426 with Upgrade"),
    row(201, [DATE], b"", {"created-location-missing"}, id="201 without Location"),
    row(201, [DATE, ("Location", "/items/1")], b"", set(), id="201 with Location"),
    row(206, [DATE], b"", {"content-range-missing"}, id="206 without Content-Range"),
    # RFC 9110 §15.3.7: "successfully fulfilling a range request"
    row(
        206,
        [DATE, ("Content-Range", "bytes 0-4/10"), TEXT, ("Content-Length", "5")],
        b"hello",
        {"partial-content-unrequested"},
        request=[],
        id="206 to a request without Range",
    ),
    row(
        206,
        [DATE, ("Content-Range", "bytes 0-4/10"), TEXT, ("Content-Length", "5")],
        b"hello",
        set(),
        request=[("Range", "bytes=0-4")],
        id="206 to its range",
    ),
    row(
        206,
        [DATE, ("Content-Range", "bytes 5-9/10"), TEXT, ("Content-Length", "5")],
        b"world",
        set(),
        request=[("Range", "bytes=-5")],
        id="206 to a suffix range",
    ),
    row(
        206,
        [DATE, ("Content-Range", "bytes 5-9/10"), TEXT, ("Content-Length", "5")],
        b"world",
        set(),
        request=[("Range", "bytes=5-")],
        id="206 to an open range",
    ),
    row(
        206,
        [DATE, ("Content-Range", "bytes 0-4/10"), TEXT, ("Content-Length", "5")],
        b"hello",
        {"content-range-unrequested"},
        request=[("Range", "bytes=5-9")],
        id="206 outside the range asked",
    ),
    row(
        206,
        [DATE, ("Content-Range", "bytes 0-4/10"), TEXT, ("Content-Length", "4")],
        b"hell",
        {"content-range-length-mismatch"},
        request=[("Range", "bytes=0-4")],
        id="206 whose CL is not the range",
    ),
    row(
        206,
        [DATE, ("Content-Type", "multipart/byteranges; boundary=x")],
        b"--x--",
        {"partial-content-multipart-single-range"},
        request=[("Range", "bytes=0-4")],
        id="206 multipart to a single range",
    ),
    row(
        206,
        [DATE, ("Content-Type", "multipart/byteranges; boundary=x")],
        b"--x--",
        set(),
        request=[("Range", "bytes=0-4, 6-8")],
        id="206 multipart to two ranges",
    ),
    # RFC 3229 §10.4.1
    row(226, [DATE, ("IM", "vcdiff")], b"", {"im-used-etag-missing"}, id="226 without ETag"),
    row(226, [DATE, ("IM", "vcdiff"), ("ETag", '"v2"')], b"", set(), id="226 with ETag"),
    # validators (RFC 9110 §8.8.2, §8.8.3)
    row(200, [DATE, ("ETag", "abc")], b"", {"etag-invalid"}, id="unquoted ETag"),
    row(200, [DATE, ("ETag", 'w/"abc"')], b"", {"etag-invalid"}, id="lower-case weak ETag"),
    row(200, [DATE, ("ETag", 'W/"abc"')], b"", set(), id="weak ETag"),
    row(304, [DATE, ("ETag", '"a b"')], b"", {"etag-invalid"}, id="ETag with a space"),
    row(404, [DATE, ("ETag", "abc")], b"", set(), id="ETag on a 404 means nothing"),
    row(
        200,
        [DATE, ("Last-Modified", "2024-01-01")],
        b"",
        {"last-modified-invalid"},
        id="Last-Modified ISO date",
    ),
    row(200, [DATE, ("Last-Modified", DATE[1])], b"", set(), id="Last-Modified IMF-fixdate"),
    row(
        206,
        [DATE, ("Content-Range", "bytes 0-4/10"), TEXT, ("Content-Length", "5")],
        b"hello",
        set(),
        id="206 single part",
    ),
    row(
        206,
        [DATE, ("Content-Type", "multipart/byteranges; boundary=x")],
        b"--x--",
        set(),
        id="206 multipart",
    ),
    row(
        206,
        [DATE, ("Content-Range", "bytes 5-4/10")],
        b"",
        {"content-range-invalid"},
        id="206 last < first",
    ),
    row(
        206,
        [DATE, ("Content-Range", "bytes 0-10/5")],
        b"",
        {"content-range-invalid"},
        id="206 past the length",
    ),
    # RFC 9110 §15.5.17 scopes the SHOULD to "a 416 response to a byte-range request".
    row(
        416,
        [DATE],
        b"",
        {"content-range-recommended"},
        request=[("Range", "bytes=20-30")],
        id="416 to a range request without Content-Range",
    ),
    row(416, [DATE], b"", set(), request=[], id="416 to a request without Range"),
    row(416, [DATE], b"", set(), id="416 checked on its own"),
    row(
        416,
        [DATE],
        b"",
        set(),
        request=[("Range", "pages=1-2")],
        id="416 to a non-byte range",
    ),
    row(
        416,
        [DATE, ("Content-Range", "bytes */10")],
        b"",
        set(),
        request=[("Range", "bytes=20-30")],
        id="416 unsatisfied",
    ),
    row(
        416,
        [DATE, ("Content-Range", "bytes 0-4/10")],
        b"",
        {"range-not-satisfiable-content-range"},
        id="416 with a satisfied range",
    ),
    row(
        416,
        [DATE, ("Content-Range", "bytes */*")],
        b"",
        {"range-not-satisfiable-content-range", "content-range-invalid"},
        id="416 without the length",
    ),
    row(302, [DATE], b"", {"location-missing"}, id="302 without Location"),
    row(308, [DATE, ("Location", "/new")], b"", set(), id="relative Location is fine"),
    row(300, [DATE], b"", set(), id="300 needs no Location"),
    row(
        301,
        [DATE, ("Location", "/a b")],
        b"",
        {"location-invalid"},
        id="space in Location",
    ),
    row(
        301,
        [DATE, ("Location", "https://example.com/a?b=c#d")],
        b"",
        set(),
        id="absolute Location",
    ),
    row(
        304,
        [DATE, ("Content-Type", "text/html"), ("ETag", '"x"')],
        b"",
        {"not-modified-representation-fields"},
        id="304 with Content-Type",
    ),
    row(304, [DATE, ("ETag", '"x"')], b"", set(), id="304 with ETag only"),
    # RFC 9110 §15.4.5: "a conditional GET or HEAD request has been received"
    row(
        304,
        [DATE, ("ETag", '"x"')],
        b"",
        {"not-modified-unconditional"},
        request=[("Accept", "*/*")],
        id="304 to an unconditional GET",
    ),
    row(
        304,
        [DATE, ("ETag", '"x"')],
        b"",
        set(),
        request=[("If-None-Match", '"x"')],
        id="304 to If-None-Match",
    ),
    row(
        304,
        [DATE],
        b"",
        set(),
        method="HEAD",
        request=[("If-Modified-Since", DATE[1])],
        id="304 to a HEAD with If-Modified-Since",
    ),
    row(
        304,
        [DATE],
        b"",
        {"not-modified-unconditional"},
        request=[("If-Match", '"x"')],
        id="304 to If-Match",
    ),
    # RFC 9110 §13.1.2: "For all other request methods, the server MUST respond with a 412"
    row(
        304,
        [DATE, ("ETag", '"x"')],
        b"",
        {"not-modified-method"},
        method="POST",
        request=[("If-None-Match", '"x"')],
        id="304 to a POST",
    ),
    row(401, [DATE], b"", {"www-authenticate-missing"}, id="401 without challenge"),
    row(401, [DATE, ("WWW-Authenticate", "Bearer")], b"", set(), id="401 with challenge"),
    row(407, [DATE], b"", {"proxy-authenticate-missing"}, id="407 without challenge"),
    row(405, [DATE], b"", {"allow-missing"}, id="405 without Allow"),
    row(405, [DATE, ("Allow", "")], b"", set(), id="405 with empty Allow"),
    # RFC 9110 §15.5.6: Allow lists "the target resource's currently supported methods"
    row(
        405,
        [DATE, ("Allow", "GET, POST")],
        b"",
        {"allow-lists-request-method"},
        request=[],
        id="405 to GET listing GET",
    ),
    row(
        405,
        [DATE, ("Allow", "GET"), ("Allow", "PUT")],
        b"",
        {"allow-lists-request-method"},
        method="PUT",
        request=[],
        id="405 listing the method on a second line",
    ),
    row(405, [DATE, ("Allow", "POST")], b"", set(), request=[], id="405 to GET, POST only"),
    row(
        405,
        [DATE, ("Allow", "get")],
        b"",
        set(),
        request=[],
        id="405 methods are case-sensitive",
    ),
    row(405, [DATE, ("Allow", "GET, POST")], b"", set(), id="405 checked on its own"),
    # RFC 9110 §9.1: "All general-purpose servers MUST support the methods GET and HEAD."
    row(
        405,
        [DATE, ("Allow", "GET")],
        b"",
        {"get-head-unsupported"},
        method="HEAD",
        request=[],
        id="405 to HEAD where GET is allowed",
    ),
    row(
        405,
        [DATE, ("Allow", "POST")],
        b"",
        set(),
        method="HEAD",
        request=[],
        id="405 to HEAD, POST only",
    ),
    row(
        405,
        [DATE, ("Allow", "GET, HEAD")],
        b"",
        {"allow-lists-request-method"},
        method="HEAD",
        request=[],
        id="405 to HEAD listing HEAD",
    ),
    row(501, [], b"", {"get-head-unsupported"}, request=[], id="501 to GET"),
    row(501, [], b"", {"get-head-unsupported"}, method="HEAD", request=[], id="501 to HEAD"),
    row(501, [], b"", set(), method="BREW", request=[], id="501 to an unknown method"),
    row(501, [], b"", set(), id="501 checked on its own"),
    # RFC 9110 §15.5.13, §15.5.18
    row(412, [DATE], b"", {"precondition-failed-unrequested"}, request=[], id="412 unasked"),
    row(
        412,
        [DATE],
        b"",
        set(),
        method="PUT",
        request=[("If-Match", '"v1"')],
        id="412 to If-Match",
    ),
    row(
        412,
        [DATE],
        b"",
        set(),
        method="DELETE",
        request=[("If-Unmodified-Since", DATE[1])],
        id="412 to If-Unmodified-Since",
    ),
    row(412, [DATE], b"", set(), id="412 checked on its own"),
    row(417, [DATE], b"", {"expectation-failed-unrequested"}, request=[], id="417 unasked"),
    row(
        417,
        [DATE],
        b"",
        set(),
        method="POST",
        request=[("Expect", "100-continue")],
        id="417 to Expect",
    ),
    row(503, [("Retry-After", "soon")], b"", {"retry-after-invalid"}, id="Retry-After soon"),
    row(503, [("Retry-After", "120")], b"", set(), id="Retry-After seconds"),
    row(429, [DATE, ("Retry-After", DATE[1])], b"", set(), id="Retry-After date"),
    # HTTP/2 and HTTP/3 (RFC 9113 §8.2.2)
    row(
        200,
        [DATE, ("Connection", "keep-alive")],
        b"",
        {"connection-specific-field"},
        version="2",
        id="Connection over h2",
    ),
    row(
        200,
        [DATE, ("Upgrade", "h2c")],
        b"",
        {"connection-specific-field"},
        version="3",
        id="Upgrade over h3",
    ),
    row(200, [DATE, ("Connection", "keep-alive")], b"", set(), id="Connection over 1.1"),
]


PARAMS = ("status", "method", "version", "headers", "body", "expected", "asked")


@pytest.mark.parametrize(PARAMS, ROWS)
def test_rule_rows(
    status: int | str,
    method: str,
    version: str,
    headers: Headers,
    body: bytes,
    expected: set[str],
    asked: Headers | None,
) -> None:
    found = check(
        status, headers, body, method=method, http_version=version, request_headers=asked
    )
    assert {v.rule_id for v in found} == expected


def test_every_rule_is_exercised_by_a_violating_row() -> None:
    exercised = set().union(*(p.values[5] for p in ROWS))  # type: ignore[attr-defined]
    exercised.add("hop-by-hop-field")  # WSGI-only: exercised in tests/rules/test_wsgi_rules.py
    missing = {rule.id for rule in CATALOGUE} - exercised
    assert not missing, f"rules without a violating test row: {sorted(missing)}"


@pytest.mark.parametrize(PARAMS, ROWS)
def test_repair_leaves_no_fixable_violation(
    status: int | str,
    method: str,
    version: str,
    headers: Headers,
    body: bytes,
    expected: set[str],
    asked: Headers | None,
) -> None:
    repaired = repair(
        status, headers, body, method=method, http_version=version, request_headers=asked
    )
    fixed = {v.rule_id for v in repaired.violations if v.fixed}
    unfixed = {v.rule_id for v in repaired.violations if not v.fixed}
    after = check(
        repaired.status_line if repaired.reason is not None else repaired.status,
        repaired.headers,
        repaired.body,
        method=method,
        http_version=version,
        request_headers=asked,
    )
    assert not ({v.rule_id for v in after} & fixed)
    assert {v.rule_id for v in after} <= unfixed
