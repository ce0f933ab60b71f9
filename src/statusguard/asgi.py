"""The ASGI adapter: :class:`ASGIStatusGuard`, a pure ASGI middleware.

Invariants: the middleware object holds immutable configuration only; each HTTP response gets
its own :class:`_Responder`, which translates ASGI messages into the engine's
:class:`~statusguard.engine.Exchange` and applies what it answers (no rule, mode or verdict is
read here).  The server always receives a well-ordered sequence (one ``http.response.start``,
then content ending with ``more_body=False``, then the trailers it was promised).

How messages are translated:

* ``websocket`` and ``lifespan`` scopes (and any other non-HTTP scope) go straight to the app.
* ``http.response.start`` is held only when the engine asks for it, and only until the first
  content message, whatever that holds: a single ``more_body=False`` message makes the length
  known (so a correct ``Content-Length`` can still go out); a stream's first message, even an
  empty one, sends the head with it.  No stream waits for its content to begin.
* Streams stay streams: each chunk is forwarded as it comes (possibly truncated or emptied);
  nothing is buffered.  Discarded content still ends with a final empty ``http.response.body``,
  and loses its trailers (a 204, 304 or HEAD response has neither content nor trailers).
* ``http.response.pathsend`` / ``http.response.zerocopysend`` are measured from the file
  (``os.stat``/``count``), never read, and pass unchanged unless the content is discarded.
* Strict mode raises :class:`~statusguard.StatusGuardError` from ``send`` before the start reaches
  the server (the server answers 500).  An exception from the app passes through unchanged; a
  start still held then is not sent.
"""

from __future__ import annotations

import enum
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, cast

from . import exemptions as _exempt
from ._asgi_types import (
    AnyASGIApp,
    HTTPResponsePathsendEvent,
    HTTPResponseZerocopysendEvent,
    Message,
    Receive,
    Scope,
    Send,
)
from .engine import HOLD, SAME, Config, Engine, Extended, Guard, Phase, Unjudged
from .model import Head, Rule, Violation
from .servers import ServerProfile, asgi_profile, profile_named, with_date

__all__ = ["ASGIStatusGuard"]

START: Final = "http.response.start"
BODY: Final = "http.response.body"
TRAILERS: Final = "http.response.trailers"
PATHSEND: Final = "http.response.pathsend"
ZEROCOPYSEND: Final = "http.response.zerocopysend"
_FILE_BODIES: Final = frozenset({PATHSEND, ZEROCOPYSEND})


class ASGIStatusGuard(Guard):
    """Check every HTTP response of ``app`` against the rules of its status code.

    ``app.add_middleware(ASGIStatusGuard, mode="fix")`` (FastAPI, Starlette) or
    ``ASGIStatusGuard(app, mode="warn")`` (any ASGI 3 app, Django's ``get_asgi_application()``).
    The keyword options are the WSGI guard's; see :class:`statusguard.engine.Config`.

    The server in front is detected per request (``docs/servers.md``): ``server="uvicorn-h11"``
    (or another name of :data:`statusguard.servers.PROFILES`) says it where detection cannot
    see it (behind a framework that hides ``receive``, a custom server), and ``server_date``
    says what it does with ``Date``.
    """

    __slots__ = ()
    protocol = "asgi"
    app: AnyASGIApp

    def __init__(
        self,
        app: AnyASGIApp,
        *,
        mode: str | None = None,
        rules: Mapping[str, str] | None = None,
        on_violation: Callable[[Violation], None] | None = None,
        server_date: str = "auto",
        log_interval: float = 60.0,
        logger: logging.Logger | str | None = None,
        extra_rules: Iterable[Rule] = (),
        request_id_header: str | None = "X-Request-Id",
        server: str = "auto",
        exclude_paths: Iterable[str | re.Pattern[str]] = (),
    ) -> None:
        config = Config.from_options(
            mode=mode,
            rules=rules,
            on_violation=on_violation,
            server_date=server_date,
            log_interval=log_interval,
            logger=logger,
            extra_rules=extra_rules,
            request_id_header=request_id_header,
            server=server,
            exclude_paths=exclude_paths,
        )
        self._install(app, config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        excluded = self.engine.config.exclude_paths
        if excluded is not None and scope.get("path") in excluded:
            self.engine.reporter.exclude()
            await self.app(scope, receive, send)
            return
        responder = _Responder(self.engine, scope, receive, send)
        await self.app(scope, receive, responder.send)
        if responder.held is not None:
            await responder.close()


def _profile(engine: Engine, scope: Scope, receive: Receive, version: object) -> ServerProfile:
    """The profile of the server of this request (the ``server`` and ``server_date`` options
    win over detection)."""
    config = engine.config
    if config.server == "auto":
        profile = asgi_profile(scope, receive)
    else:
        profile = profile_named(config.server, str(version))
    return with_date(profile, config.server_date)


class _State(enum.Enum):
    """Where the translation of one response is."""

    START = "start"  # no start forwarded yet (none given, or one held)
    CONTENT = "content"  # the start is out; content messages go through the exchange
    TRAILERS = "trailers"  # the content was discarded, and so are the trailers announced for it
    PASS = "pass"  # nothing left to translate: every message goes to the server untouched


class _ScopeReader:
    """What the engine may ask about an ASGI request, read from its scope."""

    __slots__ = ()

    def route(self, scope: Scope, /) -> str:
        """The route template when the framework put the matched route in the scope
        (Starlette, FastAPI), else the path: labels of the aggregated logs stay few."""
        template = getattr(scope.get("route"), "path", None)
        if isinstance(template, str) and template:
            return str(scope.get("root_path", "")) + template
        return str(scope.get("path", ""))

    def header(self, scope: Scope, name: bytes, /) -> bytes | None:
        values = [v for n, v in scope.get("headers", ()) if bytes(n).lower() == name]
        return b", ".join(map(bytes, values)) if values else None


_READER = _ScopeReader()


class _Responder:
    """One HTTP response on its way from the application to the server: the ``send`` the
    application gets."""

    __slots__ = ("exchange", "held", "scope", "server_send", "state", "trailers")

    def __init__(self, engine: Engine, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self.server_send = send
        self.state = _State.START
        self.held: Message | None = None  # a start the engine holds
        self.trailers = False  # the start announced trailers
        method = scope.get("method")
        version = scope.get("http_version", "1.1")
        self.exchange = engine.exchange(
            method if type(method) is str else "GET",
            version,
            _profile(engine, scope, receive, version),
            _READER,
            scope,
        )

    # -- the application's side ----------------------------------------------------------------

    async def send(self, message: Message) -> None:
        if self.state is _State.PASS:
            await self.server_send(message)
            return
        try:
            messages = self._translate(message)
        except BaseException:
            # Strict mode's error (or a warning made an error): nothing of this call reached
            # the server.  Before the head went out the app may still send another start.
            if self.state is _State.START:
                self.held = None
            else:
                self.state = _State.PASS
            raise
        # What the server's send raises (a client that went away) is the server's business.
        for out in messages:
            await self.server_send(out)

    async def close(self) -> None:
        """The app returned with its start held: it goes out as the app sent it (the response
        never ended, which the server reports as it would without the middleware)."""
        held, self.held = self.held, None
        if held is not None:
            self.state = _State.PASS
            await self.server_send(held)

    # -- translation (no I/O: returns the messages to send) ------------------------------------

    def _translate(self, message: Message) -> tuple[Message, ...]:
        kind = message.get("type")
        state = self.state
        if state is _State.CONTENT:
            if kind == BODY:
                return self._body(message)
            if kind in _FILE_BODIES:
                return self._file(message)
        elif state is _State.START:
            if kind == START:
                if _exempt.used and _exempt.scope_is_exempt(self.scope):
                    # An exempt Starlette/FastAPI endpoint (routed by now): left alone.
                    self.exchange.exempt()
                    self.state = _State.PASS
                    return (message,)
                return self._start(message)
            if self.held is not None:
                if kind == BODY:
                    return self._first_body(message)
                if kind in _FILE_BODIES:
                    return self._first_file(message)
        elif kind == TRAILERS:  # _State.TRAILERS: the content was discarded
            if not message.get("more_trailers", False):
                self.state = _State.PASS
            return ()
        # Anything else (a debug, push or early-hint message, or a protocol error the server
        # will report) is not ours to judge and goes through in order.
        return (message,)

    def _start(self, message: Message) -> tuple[Message, ...]:
        headers = message.get("headers", ())
        if not isinstance(headers, (list, tuple)):
            # ASGI allows any iterable: read a one-shot one (a generator, a map) once, and
            # forward a copy of the message that carries the list.
            try:
                headers = list(headers)
            except TypeError:  # not iterable at all: the engine fails open, the server decides
                pass
            else:
                message = {**message, "headers": headers}
        self.trailers = bool(message.get("trailers", False))
        out = self.exchange.start(_status(message.get("status")), headers)
        if out is HOLD:
            self.held = message
            return ()
        return (self._released(message, out),)

    def _first_body(self, message: Message) -> tuple[Message, ...]:
        held = self.held
        assert held is not None  # checked by _translate (internal invariant)
        body = message.get("body", b"")
        if message.get("more_body", False):
            out = self.exchange.commit(None, True if body else None)
        else:
            out = self.exchange.commit(_length(body), None)
        self.held = None
        return (self._released(held, out), *self._body(message))

    def _first_file(self, message: Message) -> tuple[Message, ...]:
        held = self.held
        assert held is not None  # checked by _translate (internal invariant)
        size = _file_size(message)
        if size is None:
            out = self.exchange.commit(None, True)  # a file was sent; only its size is unknown
        elif _file_more(message):
            out = self.exchange.commit(None, True if size else None)
        else:
            out = self.exchange.commit(size)
        self.held = None
        return (self._released(held, out), *self._file(message, size))

    def _released(self, start: Message, out: Any) -> Message:
        """The start message to forward for the engine's answer ``out``."""
        exchange = self.exchange
        drop_trailers = self.trailers and not exchange.trailers
        self.state = _State.PASS if exchange.phase is Phase.PASS else _State.CONTENT
        if out is SAME and not drop_trailers:
            return start
        forwarded = dict(start)
        if isinstance(out, Unjudged):  # statusguard failed: the app's own lines, made safe
            forwarded["headers"] = out.headers
        elif isinstance(out, Extended):  # the app's own head, and what the server needs
            added = [(name.lower(), value) for name, value in out.lines]
            forwarded["headers"] = [*forwarded.get("headers", ()), *added]
        elif out is not SAME:
            head = cast(Head, out)
            if head.status != _code(start.get("status")):
                forwarded["status"] = head.status  # else keep the app's own object (IntEnum)
            # ASGI response header names are lower-case (HTTP/2 servers refuse others); the
            # engine writes the fields it adds in their usual case ("Content-Length").
            forwarded["headers"] = [(name.lower(), value) for name, value in head.headers]
        if drop_trailers:
            forwarded.pop("trailers", None)
        return forwarded

    # -- content ---------------------------------------------------------------------------------

    def _body(self, message: Message) -> tuple[Message, ...]:
        exchange = self.exchange
        body = message.get("body", b"")
        more = message.get("more_body", False)
        out = exchange.chunk(body, last=not more) if body else body
        if more:
            if out is body:
                return (message,)  # as it came (the app's own empty chunks too)
            if not out:
                return ()  # emptied here: nothing to send
            return ({"type": BODY, "body": out, "more_body": True},)
        exchange.end()
        self._ended()
        if out is body:
            return (message,)
        return ({"type": BODY, "body": out, "more_body": False},)

    def _file(self, message: Message, size: int | None = None) -> tuple[Message, ...]:
        exchange = self.exchange
        if self.state is _State.CONTENT and size is None:
            size = _file_size(message)
        more = _file_more(message)
        if exchange.file(size):
            # The server sends the file as the app asked (one whose size cannot be told is
            # not streamed through the engine here: it goes as it is).
            if not more:
                exchange.end()
                self.state = _State.PASS
            return (message,)
        if more:
            return ()
        exchange.end()
        self._ended()
        return ({"type": BODY, "body": b"", "more_body": False},)

    def _ended(self) -> None:
        discarded = self.trailers and not self.exchange.trailers
        self.state = _State.TRAILERS if discarded else _State.PASS


def _code(status: object) -> object:
    return int(status) if isinstance(status, int) and not isinstance(status, bool) else status


def _status(status: object) -> object:
    """The ASGI status as the engine reads it: an ``int`` (an ``IntEnum`` such as
    ``HTTPStatus`` counts as its value); anything else ("200", 200.0, None) is no status
    (0, reported as status-code-invalid; the app's message goes to the server as it is)."""
    if type(status) is int:
        return status
    return int(status) if isinstance(status, int) and not isinstance(status, bool) else 0


def _length(body: object) -> int | None:
    try:
        return len(body)  # type: ignore[arg-type]
    except TypeError:  # not bytes at all: the server says what it thinks of it
        return None


def _file_more(message: Message) -> bool:
    return message.get("type") == ZEROCOPYSEND and bool(message.get("more_body", False))


def _file_size(message: Message) -> int | None:
    """How many content bytes a file message sends, or ``None`` when that cannot be told."""
    try:
        if message.get("type") == PATHSEND:
            return os.stat(cast(HTTPResponsePathsendEvent, message)["path"]).st_size
        event = cast(HTTPResponseZerocopysendEvent, message)
        count = event.get("count")
        if count is not None:
            return max(int(count), 0)
        file = event["file"]
        fd = file if isinstance(file, int) else file.fileno()
        offset = event.get("offset")
        if offset is None:
            offset = os.lseek(fd, 0, os.SEEK_CUR)
        return max(os.fstat(fd).st_size - offset, 0)
    except (OSError, TypeError, ValueError, KeyError, AttributeError):
        return None
