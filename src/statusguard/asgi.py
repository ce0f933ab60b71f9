"""The ASGI adapter: :class:`ASGIStatusGuard`, a pure ASGI middleware.

Invariants: the middleware object holds immutable configuration only; each HTTP response gets
its own :class:`_Responder`.  The server always receives a well-ordered sequence (one
``http.response.start``, then content ending with ``more_body=False``, then the trailers it was
promised), and the head is changed only before it is forwarded; afterwards content can only be
discarded or truncated.  In warn and fix mode a failure inside statusguard lets the original
messages through.

How messages are translated:

* ``websocket`` and ``lifespan`` scopes (and any other non-HTTP scope) go straight to the app.
* ``http.response.start`` is held until the first content message when the engine wants to see
  the content (``ResponseCheck.wants_content``): a single ``more_body=False`` message makes the
  length known, so a correct ``Content-Length`` goes out; an empty first message with
  ``more_body=True`` carries nothing and the head stays held.  Otherwise the start is checked
  and forwarded at once, and the content passes untouched (the fast path).
* Streams stay streams: each chunk is checked and forwarded (or truncated, or discarded) as it
  comes; nothing is buffered.  When content is discarded the server still gets a final empty
  ``http.response.body``; a discarded response also loses its ``trailers`` (a 204, 304 or HEAD
  response has neither content nor trailers, RFC 9110 §6.5, §15.3.5) and the app's
  ``http.response.trailers`` messages are swallowed.
* ``http.response.pathsend`` / ``http.response.zerocopysend`` are measured from the file
  (``os.stat``/``count``), never read; they pass unchanged unless the content must be discarded,
  in which case a final empty ``http.response.body`` goes in their place.
* Strict mode raises :class:`~statusguard.StatusGuardError` from ``send`` before the start reaches
  the server (the server answers 500).  An exception from the app passes through unchanged; a
  start still held then is not sent, so the server answers 500 as if the app had failed before
  starting, instead of a half-sent response.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Final, cast

from ._asgi_types import (
    AnyASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponsePathsendEvent,
    HTTPResponseStartEvent,
    HTTPResponseTrailersEvent,
    HTTPResponseZerocopysendEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
    as_message,
)
from .engine import QUIET_ALWAYS, Config, Engine, Guard, ResponseCheck, Verdict
from .errors import StatusGuardError, StatusGuardWarning
from .model import Head, Mode, Rule, Violation

__all__ = ["ASGIStatusGuard"]

START: Final = "http.response.start"
BODY: Final = "http.response.body"
TRAILERS: Final = "http.response.trailers"
PATHSEND: Final = "http.response.pathsend"
ZEROCOPYSEND: Final = "http.response.zerocopysend"
_FILE_BODIES: Final = frozenset({PATHSEND, ZEROCOPYSEND})

# Where one response is; every message is handled according to it.
_IDLE: Final = 0  # no start yet
_HOLDING: Final = 1  # the start is held until the content is known
_STREAMING: Final = 2  # the head went out; content goes through the engine
_TRAILERS: Final = 3  # the content was discarded, and so are the trailers announced for it
_PASS: Final = 4  # nothing left to check: every message goes to the server untouched


class ASGIStatusGuard(Guard):
    """Check every HTTP response of ``app`` against the rules of its status code.

    ``app.add_middleware(ASGIStatusGuard, mode="fix")`` (FastAPI, Starlette) or
    ``ASGIStatusGuard(app, mode="warn")`` (any ASGI 3 app, Django's ``get_asgi_application()``).
    The keyword options are the WSGI guard's; see :class:`statusguard.engine.Config`.

    ``server_date="auto"`` means ``"always"`` here: an ASGI scope does not name its server, and
    uvicorn and hypercorn always add their own ``Date``, so an application's ``Date`` would be a
    second one (fix mode removes it).  Behind a server that adds ``Date`` only when the app sent
    none (gunicorn's ASGI worker, granian), pass ``server_date="if-absent"``.
    """

    __slots__ = ("_known_head", "_last", "app", "engine", "server_date")

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
    ) -> None:
        config = Config.from_options(
            mode=mode,
            rules=rules,
            on_violation=on_violation,
            server_date=server_date,
            log_interval=log_interval,
            logger=logger,
            extra_rules=extra_rules,
        )
        self.app = app
        self.engine = Engine("asgi", config)
        self.server_date = "always" if config.server_date == "auto" else config.server_date
        self._known_head = self.engine.heads.get  # the screen's memo of heads that passed
        self._last = self.engine.last  # and the one-entry cache in front of it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sender = _Sender()
        sender.guard = self
        sender.scope = scope
        sender.server_send = send
        sender.held = _NOTHING_HELD
        sender.responder = None
        await self.app(scope, receive, sender.send)
        if sender.held is not _PASSED:
            await sender.close()


class _Done:
    """An awaitable that is done at once: what ``send`` returns for a start it holds."""

    __slots__ = ()

    if TYPE_CHECKING:

        def __await__(self) -> Generator[None, None, None]: ...

    else:
        # An empty iterator made in C: awaiting it costs no Python call.
        __await__ = ().__iter__


_DONE: Final = _Done()

# _Sender.held before the start, and once the fast path is done.  (The first is typed as any
# value it can take: the app's calls change it, which a type checker reading
# ASGIStatusGuard.__call__ would not see.)
_NOTHING_HELD: Message | None = None
_PASSED: Final[Message] = {"type": "statusguard.passed"}
_COUNTING: Final[Message] = {"type": "statusguard.counting"}


async def _send_both(send: Send, start: Message, body: Message) -> None:
    await send(start)
    await send(body)


class _Sender:
    """The ``send`` the application gets: the fast path's state of one response, as small as
    it can be, until a :class:`_Responder` takes over.

    The fast path, written out in :meth:`send` because it runs on every response: a start whose
    head the screen remembers as passing is held (or forwarded, when the content cannot change
    anything), and a single final body that leaves it quiet goes out after it as the app made
    both; a stream whose only rule left is its Content-Length goes out as it comes, its bytes
    counted.  ``send`` is a plain method returning an awaitable, which ASGI allows: a held
    start costs no coroutine.  Anything else goes to a _Responder, which takes the response
    over from where it is.
    """

    __slots__ = ("guard", "held", "responder", "scope", "sent", "server_send", "start", "verdict")

    guard: ASGIStatusGuard
    scope: Scope
    server_send: Send
    # None before the start; the start held by the screen's verdict; _COUNTING while a stream
    # goes out counted; _PASSED once the fast path is done (every message goes to the server).
    held: Message | None
    verdict: Verdict  # the screen's verdict on the start
    start: Message  # the start of a counted stream, forwarded
    sent: int  # content bytes of a counted stream so far
    responder: _Responder | None  # the full path, once it took over

    def send(self, message: Message) -> Awaitable[None]:
        responder = self.responder
        if responder is not None:
            return responder.send(message)
        held = self.held
        if held is _PASSED:
            return self.server_send(message)
        # (The server's send is called after the try below: what it raises is the server's
        # business, not a reason to hand the message to the full path and send it again.)
        forward = False
        try:
            if held is None:
                scope = self.scope
                last = self.guard._last
                seen = last[0]
                if (
                    seen is not None
                    # The last start found in the memo, as it was: one comparison in C reads
                    # its type, status and header lines.  (200.0 and Decimal(200) equal 200 but
                    # are no status: the full path reports them.)
                    and seen[0] == message
                    and type(message["status"]) is int
                    and seen[1] == scope["method"]
                    and seen[2] == scope["http_version"]
                ):
                    verdict: Verdict | None = seen[3]
                elif message["type"] == START:
                    verdict = None
                    status = message["status"]
                    headers = message["headers"]
                    if type(status) is int and type(headers) is list:
                        method = scope["method"]
                        version = scope["http_version"]
                        verdict = self.guard._known_head((status, method, version, *headers))
                        if verdict is not None:
                            # A copy: the app may change its message and list afterwards.
                            copy = dict(message)
                            copy["headers"] = list(headers)
                            last[0] = (copy, method, version, verdict)
                else:
                    verdict = None
                if verdict is not None:
                    if verdict.holds:
                        self.held = message
                        self.verdict = verdict
                        return _DONE
                    if verdict.quiet_length == QUIET_ALWAYS:
                        self.held = _PASSED
                        forward = True
            elif held is _COUNTING:
                if message["type"] == BODY:
                    sent = self.sent + len(message.get("body", b""))
                    if message.get("more_body"):
                        if sent <= self.verdict.quiet_length:
                            self.sent = sent
                            forward = True
                    elif sent == self.verdict.quiet_length:
                        self.held = _PASSED
                        forward = True
            elif message["type"] == BODY:
                verdict = self.verdict
                expected = verdict.quiet_length
                body = message.get("body", b"")
                if not message.get("more_body"):
                    if expected == len(body) or expected == QUIET_ALWAYS:
                        self.held = _PASSED
                        return _send_both(self.server_send, held, message)
                elif body and len(body) <= expected and not verdict.needs_empty:
                    # A stream whose only rule left is its Content-Length: the head goes out
                    # with its first content, and the rest is counted on the way.
                    self.held = _COUNTING
                    self.start = held
                    self.sent = len(body)
                    return _send_both(self.server_send, held, message)
        except Exception:
            pass  # a message out of the ordinary: the full path judges it
        else:
            if forward:
                return self.server_send(message)
        return self.take_over().send(message)

    def take_over(self) -> _Responder:
        """The full path for this response, from where the fast path left it."""
        guard = self.guard
        responder = _Responder(
            guard.engine, guard.server_date, cast(HTTPScope, self.scope), self.server_send
        )
        held = self.held
        if held is _PASSED:
            responder._state = _PASS
        elif held is _COUNTING:  # a stream under way, its head out as the app sent it
            responder.resume(self.start, self.sent)
        elif held is not None:  # a start the screen passed, without a check (yet)
            responder._held = responder._start_message = held
            responder._verdict = self.verdict
            responder._state = _HOLDING
        self.responder = responder
        return responder

    async def close(self) -> None:
        """The app returned: a start still held goes out (see :meth:`_Responder.close`)."""
        responder = self.responder
        if responder is not None:
            if responder._held is not None:
                await responder.close()
        elif self.held is not None and self.held is not _PASSED and self.held is not _COUNTING:
            held, self.held = self.held, _PASSED
            await self.server_send(held)


class _Responder:
    """The state of one HTTP response on its way from the application to the server."""

    __slots__ = (
        "_check",
        "_drop_trailers",
        "_engine",
        "_held",
        "_method",
        "_scope",
        "_send",
        "_server_date",
        "_start_message",
        "_state",
        "_trailers",
        "_verdict",
    )

    def __init__(self, engine: Engine, server_date: str, scope: HTTPScope, send: Send) -> None:
        self._engine = engine
        self._server_date = server_date
        self._scope = scope
        self._send = send
        self._method = scope.get("method", "GET")
        self._state: int = _IDLE
        self._check: ResponseCheck | None = None
        self._held: Message | None = None
        self._trailers = False
        self._drop_trailers = False
        # What Engine.screen said of the start; a start it holds has no check (yet).
        self._verdict: Verdict | None = None
        self._start_message: Message | None = None

    async def send(self, message: Message) -> None:
        state = self._state
        if state == _PASS:
            await self._send(message)
            return
        held = self._held
        try:
            out = self._translate(message)
        except (StatusGuardError, StatusGuardWarning):
            # Deliberate (strict mode, or -W error::StatusGuardWarning): nothing of this call
            # reached the server.  Before the head went out the app may send another start.
            if state in (_IDLE, _HOLDING):
                self._state, self._held, self._check = _IDLE, None, None
            else:
                self._state = _PASS
            raise
        except Exception as exc:
            if not self._engine.fail_open:
                raise
            # Nothing of this call was sent: the start held on entry, if any, still has to go.
            out = self._fail_open(exc, message, held if state == _HOLDING else None)
        # Only the engine's work is guarded above: what the server's send raises (a client
        # that went away) is the server's business and propagates as it would without us.
        for item in out:
            await self._send(item)

    async def close(self) -> None:
        """The app returned.  A start still held goes out as the app sent it: the response
        never ended, which the server reports as it would without the middleware."""
        held, self._held = self._held, None
        if held is not None:
            self._state = _PASS
            await self._send(held)

    # -- translation (no I/O: returns the messages to send) ------------------------------------

    def _translate(self, message: Message) -> tuple[Message, ...]:
        kind = message.get("type")
        state = self._state
        if state == _STREAMING:
            if kind == BODY:
                return self._body(message)
            if kind in _FILE_BODIES:
                return self._file(message)
        elif state == _IDLE:
            if kind == START:
                return self._start(message)
        elif state == _HOLDING:
            if kind == BODY:
                return self._first_body(message)
            if kind in _FILE_BODIES:
                return self._first_file(message)
        elif kind == TRAILERS:  # _TRAILERS
            if not cast(HTTPResponseTrailersEvent, message).get("more_trailers", False):
                self._state = _PASS
            return ()
        # Anything else (a debug, push or early-hint message, or a protocol error the server
        # will report) is not ours to judge and goes through in order.
        return (message,)

    def _start(self, message: Message) -> tuple[Message, ...]:
        # (The message is read as a Message, not cast to its TypedDict: a cast is a call.)
        status = message["status"]
        headers = message.get("headers", ())
        if not isinstance(headers, (list, tuple)):
            # ASGI allows any iterable: read a one-shot one (a generator, a map) once, and
            # forward a copy of the message that carries the list.
            headers = list(headers)
            message = {**message, "headers": headers}
        verdict = None
        if type(status) is int:
            self._start_message = message
            verdict = self._engine.screen(
                status,
                (self._method, self._scope.get("http_version", "1.1")),
                headers,
                self._describe,
            )
            self._verdict = verdict
            if verdict is not None:
                if verdict.holds:
                    # The engine wants the content before the head goes out: held, without a
                    # check, until the first content says whether the fast path holds.
                    self._held = message
                    self._state = _HOLDING
                    return ()
                if verdict.quiet(headers, None, None):
                    self._state = _PASS  # the fast path: nothing left to check
                    return (message,)
        start = cast(HTTPResponseStartEvent, message)
        check = self._engine.begin(
            self._head(start), self._method, _route_label(self._scope), screened=bool(verdict)
        )
        self._check = check
        self._trailers = bool(start.get("trailers", False))
        if check.wants_content():
            self._held = message
            self._state = _HOLDING
            return ()
        return (self._release(message, check),)

    def _describe(self) -> Head:
        assert self._start_message is not None  # set before Engine.screen calls this
        return self._head(cast(HTTPResponseStartEvent, self._start_message))

    def _head(self, start: HTTPResponseStartEvent) -> Head:
        """The head of ``start`` as the engine checks it."""
        status = start["status"]
        return Head(
            # The ASGI spec's status is an int (an IntEnum such as HTTPStatus is one); anything
            # else ("200", 200.0, None) is reported as status-code-invalid and goes to the
            # server as the app sent it (docs/hostile-input.md).
            status if type(status) is int else _status_code(status),
            [(bytes(name), bytes(value)) for name, value in start.get("headers", ())],
            self._method,
            self._scope.get("http_version", "1.1"),
            None,
            server_date=self._server_date,
        )

    def _release(self, start: Message, check: ResponseCheck) -> Message:
        """Run the head rules (may raise in strict mode); the start message to forward."""
        original = check.head
        head = check.start()
        if (
            head.status == 304
            and b"content-length" in head.fields
            and self._engine.plan(304).content_forbidden is Mode.FIX
        ):
            # Compatibility, not a violation: RFC 9110 §8.6 allows Content-Length on a 304, but
            # uvicorn-httptools frames the 304 by it, waits for that many bytes and drops the
            # connection when the (correctly) empty content ends.  Nothing is lost: caches never
            # update a stored Content-Length from a 304 (RFC 9111 §3.2).
            head = head.with_headers(head.without(b"content-length"))
        self._drop_trailers = check.discard and self._trailers
        self._state = _STREAMING if check.needs_body else _PASS
        if head is original and not self._drop_trailers:
            return start
        out = dict(start)
        if head.status != original.status:  # else keep the app's own object (an IntEnum...)
            out["status"] = head.status
        # ASGI response header names are lower-case (HTTP/2 servers refuse others); the engine
        # writes the fields it adds in their usual case ("Content-Length").
        out["headers"] = [(name.lower(), value) for name, value in head.headers]
        if self._drop_trailers:
            out.pop("trailers", None)
        return out

    def _release_held(self, check: ResponseCheck) -> Message:
        held, self._held = self._held, None
        assert held is not None  # _HOLDING implies a held start (internal invariant)
        return self._release(held, check)

    # -- content ---------------------------------------------------------------------------------

    def _first_body(self, message: Message) -> tuple[Message, ...]:
        body = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if more and not body:
            return ()  # an empty chunk says nothing: keep the head back until one does
        has_content = bool(body)
        content_length = None if more else len(body)
        if self._check is None:  # held by the screen's verdict
            held = self._held
            assert held is not None and self._verdict is not None  # internal invariant
            if self._verdict.quiet(held["headers"], content_length, has_content):
                self._held = None
                self._state = _PASS  # the fast path: the head as it came, then the content
                return (held, message)
            self._check = self._screened_check(held)
        check = self._checking()
        check.head.has_content = has_content
        check.head.content_length = content_length
        return (self._release_held(check), *self._body(message))

    def resume(self, start: Message, sent: int) -> None:
        """Take over a stream the fast path began: ``start`` went out as the app sent it, then
        ``sent`` content bytes.  (Fails open, as ``send`` does.)"""
        try:
            check = self._screened_check(start)
            check.head.has_content = True  # the head went out before its length was known
            check.start()  # a screened head: only the body rules, which change no head here
            check.sent = sent
        except Exception as exc:
            if not self._engine.fail_open:
                raise
            self._fail_open(exc, start, None)
            return
        self._check = check
        self._state = _STREAMING if check.needs_body else _PASS

    def _screened_check(self, start: Message) -> ResponseCheck:
        """The full path for a start the screen passed: the body rules are left to run."""
        self._trailers = bool(start.get("trailers", False))
        head = self._head(cast(HTTPResponseStartEvent, start))
        return self._engine.begin(head, self._method, _route_label(self._scope), screened=True)

    def _body(self, message: Message) -> tuple[Message, ...]:
        event = cast(HTTPResponseBodyEvent, message)
        body = event.get("body", b"")
        more = bool(event.get("more_body", False))
        check = self._checking()
        out = check.body(body) if body and check.needs_body else body
        if check.discard:
            out = b""
        if more:
            if not out:
                # The app's own empty chunk goes on as it came; one emptied here is dropped.
                return (message,) if not body and not check.discard else ()
            if len(out) == len(body):
                return (message,)
            return (as_message(HTTPResponseBodyEvent(type=BODY, body=out, more_body=True)),)
        check.finish()
        self._state = _TRAILERS if self._drop_trailers else _PASS
        if len(out) == len(body):
            return (message,)
        return (as_message(HTTPResponseBodyEvent(type=BODY, body=out, more_body=False)),)

    def _first_file(self, message: Message) -> tuple[Message, ...]:
        more = _file_more(message)
        size = _file_size(message)
        if self._check is None:  # held by the screen's verdict
            assert self._held is not None  # internal invariant
            self._check = self._screened_check(self._held)
        check = self._checking()
        if size is None:
            check.head.has_content = True  # a file was sent; only its size is unknown
        else:
            check.head.has_content = True if size else (None if more else False)
        check.head.content_length = None if more else size
        return (self._release_held(check), *self._file(message))

    def _file(self, message: Message) -> tuple[Message, ...]:
        more = _file_more(message)
        if not self._checking().discard:
            # The engine never sees a file's bytes: its length was settled while the head was
            # held, and the rest of the response goes through as the app sent it.
            self._state = _PASS
            return (message,)
        if more:
            return ()
        self._state = _TRAILERS if self._drop_trailers else _PASS
        return (as_message(HTTPResponseBodyEvent(type=BODY, body=b"", more_body=False)),)

    # -- failure ---------------------------------------------------------------------------------

    def _fail_open(
        self, exc: Exception, message: Message, held: Message | None
    ) -> tuple[Message, ...]:
        """Log and count ``exc``; from now on the app's messages go through unchanged."""
        path = self._scope.get("path", "")
        self._engine.reporter.internal_error(exc, f"{self._method} {path}")
        self._held = None
        self._state = _PASS
        return (message,) if held is None else (held, message)

    def _checking(self) -> ResponseCheck:
        check = self._check
        assert check is not None  # set by _start before any content state (internal invariant)
        return check


def _route_label(scope: HTTPScope) -> str:
    """The route template when the framework put the matched route in the scope (Starlette,
    FastAPI), else the path: labels of the aggregated logs stay few."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str) and template:
        return scope.get("root_path", "") + template
    return scope.get("path", "")


def _status_code(status: object) -> int:
    """The code of a status that is not a plain ``int``: an ``int`` subclass other than
    ``bool`` counts as its value, anything else as 0 (the invalid-status plan)."""
    if isinstance(status, int) and not isinstance(status, bool):
        return int(status)
    return 0


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
