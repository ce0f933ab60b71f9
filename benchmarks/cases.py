"""The responses every comparison produces, as data (issue #5).

The header sets are what an application sends: no ``Date``, which every supported server adds
(the full-check comparison, which sees a response as it goes on the wire, adds one).  The
applications build their header list on every response and compute ``Content-Length``, as real
ones do; ``clean-200-unique`` also stamps a new ``X-Request-Id`` on every response, so that no
memo of header lines can serve all of it.
"""

from __future__ import annotations

import itertools
import random
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import AnyStr

__all__ = ["CASES", "DATE", "PAGE", "SCENARIOS", "SWEEP", "Case", "Scenario", "Value", "Variant"]

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
    # The request's own fields (str pairs) that the response answers, for the rules that
    # read the request: a 304 answers a conditional GET.
    request: tuple[tuple[str, str], ...] = ()

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
        "304 Not Modified, to a conditional GET",
        304,
        "Not Modified",
        (("ETag", '"v1"'), ("Cache-Control", "max-age=60")),
        (),
        expect="clean",
        request=(("If-None-Match", '"v1"'),),
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


# Scenarios (issue #11): what real pages do to the per-response cost.  A scenario is one
# comparison of several response streams (its variants), each measured with and without the
# guard in the same run, so that the ratio of their overheads is read from paired rounds.


@dataclass(frozen=True)
class Value:
    """A header value (or a request method) that may change from one response to the next:
    ``template % token(i)`` for response ``i``, or ``template`` itself when ``token`` is None.
    ``%`` formatting works on ``str`` and ``bytes`` alike, so each flavour formats its own."""

    template: str
    token: Callable[[int], int] | None = None

    def as_str(self) -> Callable[[int], str]:
        template, token = self.template, self.token
        if token is None:
            return lambda i: template
        return lambda i: template % token(i)

    def as_bytes(self) -> Callable[[int], bytes]:
        template, token = self.template.encode("latin-1"), self.token
        if token is None:
            return lambda i: template
        return lambda i: template % token(i)


@dataclass(frozen=True)
class Variant:
    """One response stream of a scenario.  ``headers`` are the lines in order; a ``Value``
    changes per response.  ``Content-Length`` is always computed from the content, which is
    ``body`` or, when ``lengths`` is given, ``body[: lengths(i)]`` (a new bytes object each
    time, as a page rendered anew).  ``period``: after how many responses the values come
    round again (1 when they never change or never repeat); the benchmarks run that many
    responses before timing, so that a rotation is timed once it has been seen whole."""

    label: str
    status: int
    reason: str
    headers: tuple[tuple[str, str | Value], ...]
    body: bytes
    lengths: Callable[[int], int] | None = None
    method: Value = Value("GET")
    period: int = 1

    @property
    def status_line(self) -> str:
        return f"{self.status} {self.reason}"

    def methods(self) -> Callable[[], str]:
        """The request method of each response in turn (its own counter)."""
        value = self.method.as_str()
        counter = itertools.count()
        return lambda: value(next(counter))

    def str_responses(self) -> Callable[[], tuple[list[tuple[str, str]], bytes]]:
        """A function building each response in turn as a WSGI app does: a new header list
        (str pairs) and the content.  Every call of ``str_responses`` starts a new sequence."""
        return self._responses(str, Value.as_str, "%d")

    def byte_responses(
        self, *, lower: bool = True
    ) -> Callable[[], tuple[list[tuple[bytes, bytes]], bytes]]:
        """The same in bytes; ``lower`` names as ASGI apps send them."""

        def name(n: str) -> bytes:
            return (n.lower() if lower else n).encode("latin-1")

        return self._responses(name, Value.as_bytes, b"%d")

    def _responses(
        self,
        name: Callable[[str], AnyStr],
        value: Callable[[Value], Callable[[int], AnyStr]],
        length_format: AnyStr,
    ) -> Callable[[], tuple[list[tuple[AnyStr, AnyStr]], bytes]]:
        template: list[tuple[AnyStr, AnyStr]] = []
        dynamic: list[tuple[int, AnyStr, Callable[[int], AnyStr]]] = []
        length_at = -1
        for at, (field, field_value) in enumerate(self.headers):
            fixed = field_value if isinstance(field_value, Value) else Value(field_value)
            template.append((name(field), value(fixed)(0) if fixed.token is None else name("")))
            if field.lower() == "content-length":
                length_at = at
            elif fixed.token is not None:
                dynamic.append((at, name(field), value(fixed)))
        length_name = template[length_at][0] if length_at >= 0 else name("")
        body, lengths = self.body, self.lengths
        counter = itertools.count()

        def build() -> tuple[list[tuple[AnyStr, AnyStr]], bytes]:
            i = next(counter)
            content = body if lengths is None else body[: lengths(i)]
            headers = template.copy()
            if length_at >= 0:
                headers[length_at] = (length_name, length_format % len(content))
            for at, field, make in dynamic:
                headers[at] = (field, make(i))
            return headers, content

        return build


@dataclass(frozen=True)
class Scenario:
    """One comparison of variants.  The target divides the overhead of each of ``measured``
    by that of ``reference`` (``flat``: the largest overhead of all variants by the
    smallest); ``goal`` is the issue's bound on that ratio."""

    key: str
    title: str
    variants: tuple[Variant, ...]
    reference: str
    measured: tuple[str, ...] = ()
    flat: bool = False
    goal: float = 1.0
    note: str = ""

    def variant(self, label: str) -> Variant:
        return next(v for v in self.variants if v.label == label)


def rotation(values: Sequence[int]) -> Callable[[int], int]:
    """Response ``i`` gets ``values[i % len(values)]``: that many distinct values in turn."""
    table = tuple(values)
    size = len(table)
    return lambda i: table[i % size]


def fresh(seed: int, bits: int = 128) -> Callable[[int], int]:
    """A token of ``bits`` bits new on every response (an odd multiplier makes it a
    bijection of ``i`` modulo ``2**bits``, so it does not repeat within that many responses),
    scattered like the hashes and random ids real values are made of."""
    mask = (1 << bits) - 1
    return lambda i: ((i + seed) * 0x9E3779B97F4A7C15F39CC0605CEDC835) & mask


def _random_tokens(count: int, seed: int) -> list[int]:
    draw = random.Random(seed).getrandbits
    return [draw(128) for _ in range(count)]


def spread_lengths(count: int, low: int = 1_000, span: int = 20_000) -> list[int]:
    """``count`` distinct body lengths spread over ``[low, low + span)``, in a shuffled
    order; their mean is the same for every count (about ``low + span / 2``), so the pages
    cost the application the same whatever the count."""
    lengths = [low + (2 * j + 1) * span // (2 * count) for j in range(count)]
    random.Random(count).shuffle(lengths)
    return lengths


# A rendered page the bodies are cut from (any bytes will do: the guard reads lengths).
PAGE = (b"<!doctype html><title>Orders</title><ul>" + b"<li>order 0000000 shipped</li>" * 800)[
    :24_000
]
SWEEP = (1, 10, 100, 1_000, 5_000, 20_000)
_PAGE_PERIOD = 20_000
_PAGE_LENGTHS = rotation(spread_lengths(_PAGE_PERIOD))

_CLEAN_200 = Variant(
    "clean 200, repeated",
    200,
    "OK",
    tuple((n, v) for n, v in CASES[0].headers),
    CASES[0].body,
)


def _page(label: str, new: bool) -> Variant:
    """A dynamic HTML page as a framework answers it; ``new``: its Content-Length, ETag,
    X-Request-Id and Set-Cookie change on every response."""

    def token(seed: int) -> Callable[[int], int]:
        return fresh(seed) if new else rotation(_random_tokens(1, seed))

    return Variant(
        label,
        200,
        "OK",
        (
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", ""),
            ("Cache-Control", "private, no-cache"),
            ("ETag", Value('"%032x"', token(1))),
            ("Vary", "Accept-Encoding, Cookie"),
            ("X-Request-Id", Value("%032x", token(2))),
            ("Set-Cookie", Value("sid=%032x; Path=/; Secure; HttpOnly; SameSite=Lax", token(3))),
        ),
        PAGE,
        lengths=_PAGE_LENGTHS if new else rotation([11_000]),
        period=_PAGE_PERIOD if new else 1,
    )


def _length_sweep(count: int) -> Variant:
    return Variant(
        f"{count:,} distinct",
        200,
        "OK",
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", ""),
            ("Cache-Control", "no-cache"),
            ("ETag", '"v1"'),
            ("Vary", "Accept-Encoding"),
        ),
        PAGE,
        lengths=rotation(spread_lengths(count)),
        period=count,
    )


def _id_sweep(count: int) -> Variant:
    return Variant(
        f"{count:,} distinct",
        200,
        "OK",
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", ""),
            ("Cache-Control", "no-cache"),
            ("ETag", '"v1"'),
            ("X-Request-Id", Value("%032x", rotation(_random_tokens(count, count)))),
        ),
        _HELLO,
        period=count,
    )


def _method(label: str, method: Value) -> Variant:
    return Variant(label, 200, "OK", _CLEAN_200.headers, _CLEAN_200.body, method=method)


def _url_of(length: int) -> str:
    """A login redirect reflecting a long ``next``: an absolute URL of exactly ``length``
    characters whose last 8 are left for a per-response token (``%08x``)."""
    start = "https://shop.example.com/account/login?next="
    target = "/search?q=" + "+".join(f"winter+jacket+size+{n}" for n in range(400))
    target += "&sort=price-asc&page=2&filters=" + ",".join(f"brand:{n:04d}" for n in range(400))
    encoded = urllib.parse.quote(target, safe="")
    room = length - len(start) - len("&t=") - 8
    cut = encoded[:room]
    while "%" in cut[-2:]:  # never cut inside a %XX escape
        cut = cut[:-1]
    cut += "a" * (room - len(cut))
    return start + cut + "&t="


def _redirect(label: str, location: str, new: bool) -> Variant:
    value = (
        Value(location.replace("%", "%%") + "%08x", fresh(7, bits=32)) if new else Value(location)
    )
    return Variant(
        label,
        302,
        "Found",
        (
            ("Location", value),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", ""),
            ("Cache-Control", "no-store"),
        ),
        b"<a href='/account'>Redirecting</a>",
    )


# A Location whose every byte is in the scheme's alphabet (ALPHA *( ALPHA / DIGIT / + - . )):
# URI_REFERENCE's optional scheme scans the whole value for a ":" it never finds, then gives
# the bytes back one by one before matching them again as a path.
_LETTERS = "next" + "a" * (4096 - 4 - 8)
_SHORT = "/account/login?next=%2Forders%2F"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "dynamic-200",
        "a dynamic page: Content-Length, ETag, X-Request-Id and Set-Cookie new on every "
        "response, against the repeated clean 200",
        (_CLEAN_200, _page("page, repeated", new=False), _page("page, new values", new=True)),
        reference="clean 200, repeated",
        measured=("page, new values",),
        goal=2,
        note="The page is 7 header lines and 1,000–21,000 bytes of content: 20,000 lengths in "
        "rotation; the ETag, X-Request-Id and session cookie are new on every response.",
    ),
    Scenario(
        "sweep-length",
        "cardinality sweep: n distinct Content-Length values in rotation (content to match)",
        tuple(_length_sweep(n) for n in SWEEP),
        reference=f"{SWEEP[0]:,} distinct",
        flat=True,
        goal=1.5,
        note="The lengths are spread over 1,000–21,000 bytes with the same mean for every n, "
        "so the application's own cost does not grow with n.",
    ),
    Scenario(
        "sweep-request-id",
        "cardinality sweep: n distinct X-Request-Id values in rotation",
        tuple(_id_sweep(n) for n in SWEEP),
        reference=f"{SWEEP[0]:,} distinct",
        flat=True,
        goal=1.5,
        note="The clean-200-unique response, its X-Request-Id (32 hex digits) drawn from n "
        "values in turn.",
    ),
    Scenario(
        "new-method",
        "a new request method on every response (M0000, M0001, …) against a repeated one",
        (
            _method("GET, repeated", Value("GET")),
            _method("M0001, repeated", Value("M%04d", rotation([1]))),
            _method("new method each time", Value("M%04d", lambda i: i)),
        ),
        reference="M0001, repeated",
        measured=("new method each time",),
        goal=1.5,
        note="The clean 200; only the request method changes.",
    ),
    Scenario(
        "location-4k",
        "a 302 with a 4 KB Location (a reflected login ?next=) against a short one",
        (
            _redirect("short, repeated", _SHORT + "00000000", new=False),
            _redirect("short, new each time", _SHORT, new=True),
            _redirect("4 KB URL, new each time", _url_of(4096), new=True),
            _redirect("4 KB of letters, new each time", _LETTERS, new=True),
        ),
        reference="short, new each time",
        measured=("4 KB URL, new each time", "4 KB of letters, new each time"),
        goal=5,
        note="Each Location ends with 8 hex digits that change on every response (the "
        "reflected value differs per request); the URL is percent-encoded, the letters "
        "are the optional scheme's alphabet, which the URI-reference regex backtracks over.",
    ),
)
