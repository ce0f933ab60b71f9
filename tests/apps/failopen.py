"""Apps whose guard fails inside, for the fail-open tests on real servers.

The failures are planted through the public configuration only:

* ``check``: an ``extra_rules`` rule whose check raises (a bug in a rule);
* ``fix``: an ``extra_rules`` rule that flags every response and whose fix raises;
* ``callback``: an ``on_violation`` callback that raises on ``content-length-mismatch``,
  which a streamed response only shows while its content goes out (a failure mid-body).

A response asks for one with an ``X-Fault`` header (so the bare app sends the same header and
the bytes can be compared).  Paths are ``/<guard>/<fault>/<shape>``: ``<guard>`` is ``raw``
(unguarded), ``warn``, ``fix`` or ``strict``; ``<shape>`` is one of :data:`SHAPES`.
``/stats`` answers the guards' counters as JSON.  Each guard logs to its own logger,
``statusguard.failopen.<guard>``, on stderr, so the server's log shows who logged what.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statusguard import (
    ASGIStatusGuard,
    Head,
    Reference,
    Rule,
    Severity,
    Stats,
    Violation,
    WSGIStatusGuard,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FAULTS = ("check", "fix", "callback")
GUARDS = ("warn", "fix", "strict")
CHECK_FAILURE = "planted: a rule's check failed"
FIX_FAILURE = "planted: a rule's fix failed"
CALLBACK_FAILURE = "planted: the on_violation callback failed"


class PlantedError(RuntimeError):
    """The bug planted in statusguard's configuration."""


@dataclass(frozen=True)
class Shape:
    """One response the app sends, whatever the fault."""

    status: str
    headers: tuple[tuple[str, str], ...]
    chunks: tuple[bytes, ...]
    streamed: bool = False

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])


TEXT = ("Content-Type", "text/plain")
SHAPES: dict[str, Shape] = {
    # Fix mode would collapse the duplicate: fail open must not.
    "dup-type": Shape("200 OK", (TEXT, TEXT, ("Content-Length", "5")), (b"hello",)),
    # Fix mode would strip the content: fail open must not.
    "204-body": Shape("204 No Content", (), (b"hello",)),
    "stream": Shape(
        "200 OK", (TEXT, ("Content-Length", "13")), (b"one-", b"two-", b"three"), streamed=True
    ),
    # content-length-mismatch shows at the third chunk, once the head is out.
    "stream-long": Shape(
        "200 OK", (TEXT, ("Content-Length", "5")), (b"one-", b"two-", b"three"), streamed=True
    ),
}
NOT_FOUND = Shape("404 Not Found", (TEXT, ("Content-Length", "9")), (b"not found",))


def _check(head: Head) -> str | None:
    if head.get(b"x-fault") == b"check":
        raise PlantedError(CHECK_FAILURE)
    return None


def _flag(head: Head) -> str | None:
    return "the response asked for the planted fix." if head.get(b"x-fault") == b"fix" else None


def _fix(head: Head) -> Head:
    raise PlantedError(FIX_FAILURE)


CHECK_FAILS = Rule(
    id="planted-check-failure",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A rule whose check fails",
    check=_check,
)
FIX_FAILS = Rule(
    id="planted-fix-failure",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A rule whose fix fails",
    check=_flag,
    fix=_fix,
    fix_summary="nothing: the fix fails",
)
EXTRA_RULES = (CHECK_FAILS, FIX_FAILS)


def failing_callback(violation: Violation) -> None:
    if violation.rule_id == "content-length-mismatch":
        raise PlantedError(CALLBACK_FAILURE)


def _logger(guard: str) -> logging.Logger:
    logger = logging.getLogger(f"statusguard.failopen.{guard}")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def options(guard: str) -> dict[str, Any]:
    return {
        "mode": guard,
        "extra_rules": EXTRA_RULES,
        "on_violation": failing_callback,
        "logger": _logger(guard),
    }


def split(path: str) -> tuple[str, str, Shape]:
    """``/<guard>/<fault>/<shape>`` → its parts (an unknown path: the 404 shape, unguarded)."""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] in ("raw", *GUARDS) and parts[1] in FAULTS:
        return parts[0], parts[1], SHAPES.get(parts[2], NOT_FOUND)
    return "raw", "", NOT_FOUND


# --------------------------------------------------------------------------------------------
# WSGI


def _stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    yield from chunks


def wsgi_shape_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    _, fault, shape = split(environ.get("PATH_INFO", ""))
    headers = [*shape.headers, ("X-Fault", fault)] if fault else list(shape.headers)
    start_response(shape.status, headers)
    return _stream(shape.chunks) if shape.streamed else list(shape.chunks)


WSGI_GUARDS = {guard: WSGIStatusGuard(wsgi_shape_app, **options(guard)) for guard in GUARDS}


def stats_json(stats: Mapping[str, Callable[[], Stats]]) -> bytes:
    return json.dumps({name: read().as_dict() for name, read in stats.items()}).encode()


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/stats":
        body = stats_json({name: guard.stats for name, guard in WSGI_GUARDS.items()})
        start_response("200 OK", [("Content-Type", "application/json"), _length(body)])
        return [body]
    guard = split(path)[0]
    app: WSGIApplication = wsgi_shape_app if guard == "raw" else WSGI_GUARDS[guard]
    return app(environ, start_response)


def _length(body: bytes) -> tuple[str, str]:
    return ("Content-Length", str(len(body)))


# --------------------------------------------------------------------------------------------
# ASGI


async def asgi_shape_app(scope: Message, receive: Receive, send: Send) -> None:
    _, fault, shape = split(scope["path"])
    headers = [(n.lower().encode(), v.encode()) for n, v in shape.headers]
    if fault:
        headers.append((b"x-fault", fault.encode()))
    await send({"type": "http.response.start", "status": shape.code, "headers": headers})
    if shape.streamed:
        for chunk in shape.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        await send({"type": "http.response.body", "body": b"".join(shape.chunks)})


ASGI_GUARDS = {guard: ASGIStatusGuard(asgi_shape_app, **options(guard)) for guard in GUARDS}


async def asgi_app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["path"] == "/stats":
        body = stats_json({name: guard.stats for name, guard in ASGI_GUARDS.items()})
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    guard = split(scope["path"])[0]
    await (asgi_shape_app if guard == "raw" else ASGI_GUARDS[guard])(scope, receive, send)
