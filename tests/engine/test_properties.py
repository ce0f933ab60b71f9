"""Property tests over generated responses, and the requests they answer: check never raises,
repair converges and is idempotent, and its output is accepted by h11 (an HTTP/1.1
implementation nobody here wrote) as a server response."""

from __future__ import annotations

from typing import Any

import h11
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusguard import CATALOGUE, check, repair

NAMES = [
    "Content-Type",
    "Content-Length",
    "Transfer-Encoding",
    "Date",
    "Location",
    "ETag",
    "Retry-After",
    "Content-Range",
    "WWW-Authenticate",
    "Allow",
    "Upgrade",
    "Connection",
    "Set-Cookie",
    "X-Custom",
    "X Bad",
    "X:Colon",
    "Ünicode",
    "",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "text/plain",
            "0",
            "5",
            "5, 5",
            "-3",
            "chunked",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "yesterday",
            "/relative",
            "bytes 0-4/10",
            "bytes */10",
            "bytes 0-4/*",
            "multipart/byteranges; boundary=x",
            '"v1"',
            'W/"v1"',
            "GET, HEAD",
            "websocket",
            "120",
            "ok\r\nX-Injected: 1",
            "a\x00b",
            "",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=12),
)
HEADERS = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=8)
STATUSES = st.one_of(
    st.sampled_from(
        [100, 101, 200, 201, 204, 205, 206, 226, 301, 304, 401, 405, 412, 416, 417, 449, 501, 599]
    ),
    st.integers(min_value=0, max_value=1000),
)
METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "CONNECT"])
# The request fields the rules read, with and without: ranges (satisfiable, suffix, multiple,
# malformed), conditionals, Expect, Upgrade; ``None`` is a response checked on its own.
REQUEST_FIELDS = st.sampled_from(
    [
        ("Range", "bytes=0-4"),
        ("Range", "bytes=-5"),
        ("Range", "bytes=5-"),
        ("Range", "bytes=0-1, 4-6"),
        ("Range", "bytes=9-2"),
        ("Range", "pages=1"),
        ("Range", "bytes="),
        ("If-Range", '"v1"'),
        ("If-None-Match", '"v1"'),
        ("If-None-Match", "*"),
        ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ("If-Match", '"v1"'),
        ("If-Unmodified-Since", "yesterday"),
        ("Expect", "100-continue"),
        ("Expect", "something"),
        ("Upgrade", "websocket"),
        ("Upgrade", "h2c, HTTP/2.0"),
        ("Upgrade", ""),
    ]
)
REQUESTS = st.one_of(st.none(), st.lists(REQUEST_FIELDS, max_size=4))
VERSIONS = st.sampled_from(["1.0", "1.1", "2"])
BODIES = st.binary(max_size=20)

FIXABLE = {rule.id for rule in CATALOGUE if rule.fix is not None}


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(STATUSES, HEADERS, BODIES, METHODS, VERSIONS, REQUESTS)
def test_check_never_raises_and_repair_converges(
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    method: str,
    version: str,
    asked: list[tuple[str, str]] | None,
) -> None:
    options: dict[str, Any] = {"method": method, "http_version": version, "request_headers": asked}
    violations = check(status, headers, body, **options)
    assert all(v.message.startswith(f"[{v.rule_id}]") for v in violations)
    repaired = repair(status, headers, body, **options)
    unfixed = {v.rule_id for v in repaired.violations if not v.fixed}
    after = check(repaired.status, repaired.headers, repaired.body, **options)
    # Whatever repair says it fixed stays fixed; what is left was reported as unfixable.
    assert {v.rule_id for v in after} <= unfixed
    # Idempotent: repairing the repaired response changes nothing.
    again = repair(repaired.status, repaired.headers, repaired.body, **options)
    assert (again.status, again.headers, again.body) == (
        repaired.status,
        repaired.headers,
        repaired.body,
    )


def _send_with_h11(
    status: int, headers: list[tuple[bytes, bytes]], body: bytes, method: str, version: str
) -> bytes:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(f"{method} / HTTP/{version}\r\nHost: x\r\n\r\n".encode())
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    # h11 takes the field value itself: the optional whitespace an HTTP/1.1 sender may put
    # around it (RFC 9112 §5) is not part of it, and every recipient strips it.
    values = [(name, value.strip(b" \t")) for name, value in headers]
    out = conn.send(h11.Response(status_code=status, headers=values)) or b""
    if body:
        out += conn.send(h11.Data(data=body)) or b""
    out += conn.send(h11.EndOfMessage()) or b""
    return out


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.integers(min_value=200, max_value=599),
    HEADERS,
    BODIES,
    st.sampled_from(["GET", "HEAD", "POST"]),
    st.sampled_from(["1.0", "1.1"]),
    REQUESTS,
)
def test_repaired_responses_are_accepted_by_h11(
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    method: str,
    version: str,
    asked: list[tuple[str, str]] | None,
) -> None:
    # h11 supports no transfer-coding but chunked; other codings are the server's business.
    headers = [(n, v) for n, v in headers if n != "Transfer-Encoding" or v == "chunked"]
    repaired = repair(
        status, headers, body, method=method, http_version=version, request_headers=asked
    )
    wire = _send_with_h11(repaired.status, repaired.headers, repaired.body, method, version)
    assert wire.startswith(f"HTTP/1.1 {status}".encode())
    assert b"X-Injected" not in wire.split(b"\r\n\r\n", 1)[0]
