"""The screen changes nothing a server or a user can see.

Each generated response goes through two guards of the same configuration: one that uses
``Engine.screen`` (the fast path, kept for the whole run so that its memos fill up, and fed the
response three times), and one whose screen is switched off, so that every response takes the
full path.  The server must be handed the same status, header lines and content, and the same
violations must be reported, for WSGI and ASGI, in every mode.  (No invalid Date here: its fix
writes the current time, which two runs may not share.)
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.drive import Message, Output, call_asgi, call_wsgi, wsgi_environ

from statusguard import (
    ASGIStatusGuard,
    StatusGuardError,
    StatusGuardWarning,
    Violation,
    WSGIStatusGuard,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

QUIET = logging.getLogger("statusguard.test_screen_differential")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False

MODES = ("fix", "warn", "strict")
LINES = st.one_of(
    st.sampled_from(
        [
            ("Content-Type", "text/plain"),
            ("content-type", "text/html"),
            ("Content-Length", "5"),
            ("Content-Length", "0"),
            ("Content-Length", "x"),
            ("Transfer-Encoding", "chunked"),
            ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("ETag", '"v1"'),
            ("Location", "/next"),
            ("WWW-Authenticate", "Basic"),
            ("Allow", "GET"),
            ("Cache-Control", "no-cache"),
            ("X-Bad", "a\r\nb"),
            ("X-Pad", " padded "),
        ]
    ),
    st.tuples(st.just("X-Request-Id"), st.text("abc123", min_size=1, max_size=3)),
)
STATUSES = st.sampled_from(
    [
        "200 OK",
        "200 Fine",
        "201 Created",
        "204 No Content",
        "206 Partial Content",
        "301 Moved Permanently",
        "304 Not Modified",
        "401 Unauthorized",
        "404 Not Found",
    ]
)
BODIES = st.sampled_from([(), (b"hello",), (b"he", b"llo"), (b"",), (b"", b"hello")])
METHODS = st.sampled_from(["GET", "HEAD", "POST"])


class Pair:
    """Two guards of one configuration: with the screen, and with it switched off."""

    def __init__(self, make: Any, mode: str) -> None:
        self.app: Any = None
        self.seen: dict[str, list[tuple[str, int, bool, str]]] = {"screened": [], "full": []}
        self.screened = make(self._app, mode=mode, logger=QUIET, on_violation=self._on("screened"))
        self.full = make(self._app, mode=mode, logger=QUIET, on_violation=self._on("full"))
        self.full.engine.screen = lambda *args: None

    def _on(self, name: str) -> Any:
        def collect(violation: Violation) -> None:
            self.seen[name].append(
                (violation.rule_id, violation.status, violation.fixed, str(violation.action))
            )

        return collect

    def _app(self, *args: Any) -> Any:
        return self.app(*args)


WSGI_PAIRS = {mode: Pair(WSGIStatusGuard, mode) for mode in MODES}
ASGI_PAIRS = {mode: Pair(ASGIStatusGuard, mode) for mode in MODES}


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        out: Output = call()
    except StatusGuardError as error:
        return "raised", sorted(v.rule_id for v in error.violations)
    messages = [
        {k: v for k, v in m.items() if k != "headers"} | {"headers": list(m.get("headers", []))}
        for m in out.messages
    ]
    return "sent", (out.status, out.headers, out.chunks, messages)


def _compare(pair: Pair, run: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatusGuardWarning)  # warn mode: reported, compared
        _compare_quietly(pair, run)


def _compare_quietly(pair: Pair, run: Any) -> None:
    for _ in range(3):
        pair.seen["screened"].clear()
        pair.seen["full"].clear()
        screened = _outcome(lambda: run(pair.screened))
        full = _outcome(lambda: run(pair.full))
        assert screened == full
        assert pair.seen["screened"] == pair.seen["full"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(MODES),
    STATUSES,
    st.lists(LINES, max_size=5),
    BODIES,
    st.booleans(),
    METHODS,
)
def test_wsgi_the_screen_changes_nothing(
    mode: str,
    status: str,
    headers: list[tuple[str, str]],
    chunks: tuple[bytes, ...],
    streamed: bool,
    method: str,
) -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, list(headers))

        def stream() -> Iterator[bytes]:
            yield from chunks

        return stream() if streamed else list(chunks)

    pair = WSGI_PAIRS[mode]
    pair.app = app
    _compare(pair, lambda guard: call_wsgi(guard, environ=wsgi_environ("/", method)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(MODES),
    STATUSES,
    st.lists(LINES, max_size=5),
    BODIES,
    METHODS,
)
def test_asgi_the_screen_changes_nothing(
    mode: str,
    status: str,
    headers: list[tuple[str, str]],
    chunks: tuple[bytes, ...],
    method: str,
) -> None:
    code = int(status[:3])
    lines = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    parts = chunks or (b"",)

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": code, "headers": list(lines)})
        for i, chunk in enumerate(parts):
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": i < len(parts) - 1}
            )

    pair = ASGI_PAIRS[mode]
    pair.app = app
    _compare(pair, lambda guard: call_asgi(guard, "/", method))


def test_a_clean_response_takes_the_fast_path() -> None:
    """Guard against a vacuous comparison: the screened guard does remember the head."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hello"]

    pair = Pair(WSGIStatusGuard, "fix")
    pair.app = app
    _compare(pair, lambda guard: call_wsgi(guard))
    assert pair.screened.engine.heads
    assert not pair.full.engine.heads
