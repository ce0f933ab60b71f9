"""The responses every comparison produces, as data (issue #5).

The header sets are what an application sends: no ``Date``, which every supported server adds
(the full-check comparison, which sees a response as it goes on the wire, adds one).  The
applications build their header list on every response and compute ``Content-Length``, as real
ones do; ``clean-200-unique`` also stamps a new ``X-Request-Id`` on every response, so that no
memo of header lines can serve all of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CASES", "DATE", "Case"]

DATE = ("Date", "Wed, 26 Nov 2025 03:00:00 GMT")


@dataclass(frozen=True)
class Case:
    """One response: status line, headers (str pairs, as WSGI has them), content, method."""

    key: str
    title: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    chunks: tuple[bytes, ...]
    method: str = "GET"
    streamed: bool = False
    # What statusguard does with it in fix mode, for the tables.
    expect: str = "clean"

    @property
    def status_line(self) -> str:
        return f"{self.status} {self.reason}"

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def str_headers(self) -> Callable[[], list[tuple[str, str]]]:
        """A function building the header list of one response, as a WSGI app does: a new
        list, ``Content-Length`` computed, a new ``X-Request-Id`` when the case has one."""
        template = list(self.headers)
        names = [name.lower() for name, _ in template]
        length_at = names.index("content-length") if "content-length" in names else -1
        id_at = names.index("x-request-id") if "x-request-id" in names else -1
        length = len(self.body)
        ids = itertools.count(0x7F3A9C1E)

        def build() -> list[tuple[str, str]]:
            headers = template.copy()
            if length_at >= 0:
                headers[length_at] = ("Content-Length", str(length))
            if id_at >= 0:
                headers[id_at] = ("X-Request-Id", f"{next(ids):08x}")
            return headers

        return build

    def byte_headers(self, *, lower: bool = True) -> Callable[[], list[tuple[bytes, bytes]]]:
        """The same for bytes headers; ``lower`` names as ASGI apps send them."""
        template = [
            ((n.lower() if lower else n).encode("latin-1"), v.encode("latin-1"))
            for n, v in self.headers
        ]
        names = [name.lower() for name, _ in template]
        length_at = names.index(b"content-length") if b"content-length" in names else -1
        id_at = names.index(b"x-request-id") if b"x-request-id" in names else -1
        length = len(self.body)
        ids = itertools.count(0x7F3A9C1E)
        length_name = template[length_at][0] if length_at >= 0 else b""
        id_name = template[id_at][0] if id_at >= 0 else b""

        def build() -> list[tuple[bytes, bytes]]:
            headers = template.copy()
            if length_at >= 0:
                headers[length_at] = (length_name, b"%d" % length)
            if id_at >= 0:
                headers[id_at] = (id_name, b"%08x" % next(ids))
            return headers

        return build


_HELLO = b"Hello, world!"
_STREAM = tuple(bytes([0x61 + i]) * 10 for i in range(10))

CASES: tuple[Case, ...] = (
    Case(
        "clean-200",
        "200, 5 headers, small body",
        200,
        "OK",
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_HELLO))),
            ("Cache-Control", "no-cache"),
            ("ETag", '"v1"'),
            ("Vary", "Accept-Encoding"),
        ),
        (_HELLO,),
    ),
    Case(
        "clean-200-unique",
        "200, 5 headers, one of them new on every response",
        200,
        "OK",
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_HELLO))),
            ("Cache-Control", "no-cache"),
            ("ETag", '"v1"'),
            ("X-Request-Id", "7f3a9c1e"),
        ),
        (_HELLO,),
    ),
    Case(
        "stream-200",
        "200 streamed in 10 chunks, with Content-Length",
        200,
        "OK",
        (
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", str(sum(map(len, _STREAM)))),
        ),
        _STREAM,
        streamed=True,
    ),
    Case(
        "204-body",
        "204 with a body",
        204,
        "No Content",
        (("Cache-Control", "no-store"),),
        (b"null",),
        expect="fixed: content discarded",
    ),
    Case(
        "304",
        "304 Not Modified",
        304,
        "Not Modified",
        (("ETag", '"v1"'), ("Cache-Control", "max-age=60")),
        (),
        expect="clean",
    ),
    Case(
        "401-no-challenge",
        "401 without WWW-Authenticate",
        401,
        "Unauthorized",
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "12"),
        ),
        (b"Unauthorized",),
        expect="reported (cannot be fixed); strict raises",
    ),
    Case(
        "head",
        "HEAD answered with the GET body",
        200,
        "OK",
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_HELLO))),
        ),
        (_HELLO,),
        method="HEAD",
        expect="fixed: content discarded",
    ),
)
