"""The WSGI middleware: every response goes through the engine before the server sees it.

The guard object holds only its compiled configuration; each response lives in its own
:class:`_Response`.  A head can be repaired until it is handed to the server's
``start_response``; afterwards only the content can be discarded or truncated.  In warn and fix
mode a failure inside statusguard lets the application's own response through unchanged.

PEP 3333 points this module relies on:

* a middleware may delay the server's ``start_response`` until its iterable yields, so the head
  is held until the first chunk when the content can change what is sent (a list body has a
  known length, a generator's first chunk says whether there is content at all);
* each time the application yields, the middleware yields (possibly ``b""``), so no stream is
  ever buffered and a discarded body still advances the server;
* the ``close()`` of the application's iterable is called exactly once, by whoever ends up
  holding it: the server when the iterable is returned unwrapped, :meth:`_Response.close`
  otherwise, this module itself when it raises before returning anything.
"""

from __future__ import annotations

import functools
import itertools
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from .codes import lookup
from .engine import (
    QUIET_ALWAYS,
    QUIET_ASK,
    Config,
    Engine,
    Guard,
    ResponseCheck,
    headers_to_bytes,
    parse_status,
)
from .errors import StatusGuardError
from .model import Head, Rule, Violation

if TYPE_CHECKING:
    import logging

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["WSGIStatusGuard", "server_date_policy"]

WSGIHeaders = list[tuple[str, str]]
Write = Callable[[bytes], object]

# What each WSGI server does with Date, by the first word of SERVER_SOFTWARE (lower-cased).
# Each entry was observed on the wire (tests/test_wsgi_wire.py, docs/servers.md).
_SERVER_DATES: Mapping[str, str] = {
    # gunicorn's WSGI workers treat Date as hop-by-hop: the app's is dropped, theirs is written.
    "gunicorn": "replace",
    # wsgiref (and Django's runserver, built on it) adds Date only when the app sent none.
    "wsgiserver": "if-absent",
    # The werkzeug dev server always writes its own Date, before the app's headers.
    "werkzeug": "always",
}


@functools.lru_cache(maxsize=64)
def server_date_policy(server_software: str) -> str:
    """What the server named by ``SERVER_SOFTWARE`` does with ``Date``.

    ``"replace"``, ``"always"`` or ``"if-absent"``.  An unknown server, and a test client that
    names none (werkzeug's and Flask's set no ``SERVER_SOFTWARE``), get ``"if-absent"``: the
    guard then never adds a second ``Date`` and never reports a missing one it cannot know
    about; it still collapses duplicates and replaces a malformed value.
    """
    name = server_software.split("/", 1)[0].strip().lower()
    return _SERVER_DATES.get(name, "if-absent")


class WSGIStatusGuard(Guard):
    """Check, repair or reject every response of a WSGI application.

    ``mode`` is ``"strict"``, ``"warn"`` or ``"fix"`` (default: ``STATUSGUARD_MODE`` from the
    environment, else ``"warn"``); ``rules`` maps rule ids to ``"off"``, ``"warn"``, ``"fix"``
    or ``"strict"``; ``on_violation`` receives every :class:`~statusguard.Violation`.
    ``server_date="auto"`` reads ``SERVER_SOFTWARE`` to know whether the server adds ``Date``
    itself (see ``docs/servers.md``).  Bad options raise
    :class:`~statusguard.ConfigurationError` here, never while serving.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        mode: str | None = None,
        rules: Mapping[str, str] | None = None,
        on_violation: Callable[[Violation], None] | None = None,
        server_date: str = "auto",
        log_interval: float = 60.0,
        logger: logging.Logger | str | None = None,
        extra_rules: Iterable[Rule] = (),
    ) -> None:
        self.app = app
        self.engine = Engine(
            "wsgi",
            Config.from_options(
                mode=mode,
                rules=rules,
                on_violation=on_violation,
                server_date=server_date,
                log_interval=log_interval,
                logger=logger,
                extra_rules=extra_rules,
            ),
        )

        self._known_head = self.engine.heads.get  # the screen's memo of heads that passed
        self._last = self.engine.last  # and the one-entry cache in front of it

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The fast path, written out here because it runs on every response: a list body and
        # a head the screen remembers as passing with that content go to the server as the app
        # made them.  Anything else, and anything the app does that the fast path does not
        # follow (write(), a start_response from a generator, a second one), goes to a
        # _Response, which takes the response over from where it is.
        start = _Start()
        start.held = _NOT_STARTED
        start.engine = self.engine
        start.environ = environ
        start.server_start_response = start_response
        result = self.app(environ, start.start_response)
        held = start.held
        if type(held) is tuple:
            status, headers = held
            forward = False  # the server gets the app's head and iterable as they are
            try:
                method = environ["REQUEST_METHOD"]
                protocol = environ["SERVER_PROTOCOL"]
                software = environ.get("SERVER_SOFTWARE")
                last = self._last
                seen = last[0]
                if type(status) is not str:
                    # PEP 3333's status is a str.  200.0 or Decimal(200) equal (and hash like)
                    # a remembered int 200 but are no status: the full path reports them.
                    verdict = None
                elif (
                    seen is not None
                    and seen[0] == status
                    and seen[1] == method
                    and seen[2] == protocol
                    and seen[3] == software
                    and seen[4] == headers
                ):
                    verdict = seen[5]
                else:
                    verdict = self._known_head((status, method, protocol, software, *headers))
                    if verdict is not None:
                        last[0] = (status, method, protocol, software, list(headers), verdict)
                if verdict is not None:
                    expected = verdict.quiet_length
                    if type(result) is list:
                        length = len(result[0]) if len(result) == 1 else sum(map(len, result))
                        forward = expected in (length, QUIET_ALWAYS)
                    elif expected == QUIET_ALWAYS:
                        # Nothing the content can change: a file_wrapper keeps its sendfile.
                        forward = True
                    elif expected >= 0 and not verdict.needs_empty:
                        # A stream whose only rule left is its Content-Length (every Flask
                        # response): its bytes are counted on the way (a file_wrapper's file
                        # is measured by the full path instead, which keeps its sendfile).
                        wrapper = environ.get("wsgi.file_wrapper")
                        if not (isinstance(wrapper, type) and isinstance(result, wrapper)):
                            counted = _Counted()
                            counted.start = start
                            counted.head = held
                            counted.result = result
                            counted.iterator = iter(result)
                            counted.declared = expected
                            counted.sent = -1
                            start.held = counted
                            return counted
            except Exception:
                pass  # an environ, a head or a body out of the ordinary: the full path judges it
            if forward:
                # Out of the try above: what the server's start_response raises (a head it
                # refuses, a client gone) propagates as it would without the guard, and the
                # full path does not call it a second time.
                if type(result) is list:
                    start_response(status, headers)
                    return result
                try:
                    # The app's code may still run while the server iterates: a write() or a
                    # start_response(exc_info) then finds the head forwarded (see take_over).
                    start.server_write = start_response(status, headers)
                except BaseException:
                    # Nothing was returned, so the server cannot close the app's iterable.
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
                    raise
                return result
        return start.take_over().respond(result)

    def __repr__(self) -> str:
        return f"<WSGIStatusGuard mode={self.engine.mode!r} app={self.app!r}>"


# What _Start.held is before the app calls start_response.  (Typed as any value it can take:
# the app's call changes it, which a type checker reading __call__ would not see.)
_NOT_STARTED: tuple[str, WSGIHeaders] | _Counted | _Response | None = None


class _Start:
    """The ``start_response`` and ``write`` the application gets: the fast path's state of one
    response, as small as it can be, until a :class:`_Response` takes over."""

    __slots__ = ("engine", "environ", "held", "server_start_response", "server_write")

    engine: Engine
    environ: WSGIEnvironment
    server_start_response: StartResponse
    # None before the app's start_response, its (status, headers) after it, the _Counted
    # stream the fast path returned, the _Response once the full path took over.
    held: tuple[str, WSGIHeaders] | _Counted | _Response | None
    # The server's write, once the fast path forwarded the held head and returned an iterable
    # that is not a list (unset before: a list body leaves the app nothing to call).
    server_write: Write

    def start_response(
        self, status: str, headers: WSGIHeaders, exc_info: OptExcInfo | None = None, /
    ) -> Write:
        if self.held is None and exc_info is None:
            self.held = (status, headers)
            return self.write
        return self.take_over().start_response(status, headers, exc_info)

    def write(self, data: bytes) -> None:
        self.take_over().write(data)

    def take_over(self) -> _Response:
        """The full path for this response, from where the fast path left it."""
        held = self.held
        if isinstance(held, _Response):
            return held
        if isinstance(held, _Counted):
            return held.hand_over()
        response = _Response(self.engine, self.environ, self.server_start_response)
        if type(held) is tuple:
            response.held = held
            write = getattr(self, "server_write", None)
            if write is not None:
                # The head went to the server as it was, the app's iterable with it: as after
                # _Response.respond's own fast path, nothing is left to check.
                response.forwarded = True
                response.server_write = write
        self.held = response
        return response


class _Counted:
    """The iterable the server gets for a stream whose head the screen passed and whose only
    rule left is its ``Content-Length``: the app's chunks pass as they are, counted.

    The head goes out with the first chunk that has content.  Anything else (an empty chunk
    first, no content at all, more or fewer bytes than declared, write(), a second
    start_response) hands the response over to a :class:`_Response`, in the state this
    stream has reached, and the rest of it goes through there.
    """

    __slots__ = ("declared", "head", "iterator", "result", "sent", "start", "write")

    start: _Start
    head: tuple[str, WSGIHeaders]  # the app's status and headers
    result: Iterable[bytes]
    iterator: Iterator[bytes]
    declared: int  # the Content-Length
    sent: int  # content bytes passed so far; -1 while the head is held, -2 once closed
    write: Write  # the server's, once the head went out

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> bytes:
        start = self.start
        if start.held is not self:  # the full path took over (write(), start_response)
            return start.take_over().__next__()
        try:
            chunk = next(self.iterator)
        except StopIteration:
            if start.held is self and self.sent == self.declared:
                raise
            return self._full_path(None).__next__()  # the full path's end
        if start.held is not self:  # taken over while the app ran (write(), start_response)
            return self._full_path(chunk).__next__()
        sent = self.sent
        if sent < 0:
            if not chunk:
                return self._full_path(chunk).__next__()  # the full path decides a flush
            status, headers = self.head
            self.write = start.server_start_response(status, headers)
            self.sent = sent = 0
        total = sent + len(chunk)
        if total > self.declared:
            return self._full_path(chunk).__next__()  # reported, and cut in fix mode
        self.sent = total
        return chunk

    def _full_path(self, chunk: bytes | None) -> _Response:
        """The full path from here on; ``chunk``, read from the app and not passed yet, is the
        first thing it reads."""
        response = self.start.take_over()
        if chunk is not None:
            response.iterator = itertools.chain((chunk,), self.iterator)
        return response

    def hand_over(self) -> _Response:
        start = self.start
        response = _Response(start.engine, start.environ, start.server_start_response)
        response.held = self.head
        response.result = self.result
        response.iterator = self.iterator
        response.screened = True
        if self.sent >= 0:
            response.resume(self.sent, self.write)
        start.held = response
        return response

    def close(self) -> None:
        held = self.start.held
        if isinstance(held, _Response):
            held.close()
        elif self.sent != -2:
            self.sent = -2
            close = getattr(self.result, "close", None)
            if close is not None:
                close()


class _Response:
    """One response on its way from the application to the server.

    It is the ``start_response`` and ``write`` the application sees and, when the content has
    to go through the engine, the iterable the server gets back.
    """

    # The state of the response.  The class attributes are the initial values, so that a
    # response taking the fast path sets only what it uses (no __slots__ for that reason).
    server_write: Write | None = None
    # (method, HTTP version, route, server_date policy), derived from the environ when the
    # engine needs them: a response the screen passes never does.
    request: tuple[str, str, str, str] | None = None
    screened = False  # Engine.screen passed the held head
    held: tuple[str, WSGIHeaders] | None = None  # the app's status and headers
    # The engine's check of the head; None before it is decided, or after an internal
    # error (fail open: the rest of the response passes untouched).
    check: ResponseCheck | None = None
    forwarded = False  # the server's start_response has the head
    sent = False  # the server has certainly sent the head (content or write())
    yielded = False  # at least one chunk went to the server
    result: Iterable[bytes] = ()
    iterator: Iterator[bytes] | None = None
    exhausted = False
    skip = False  # the content is known and discarded: the app's is not read
    closed = False

    def __init__(
        self, engine: Engine, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        self.engine = engine
        self.environ = environ
        self.server_start_response = start_response

    # -- the application's side ----------------------------------------------------------------

    def start_response(
        self, status: str, headers: WSGIHeaders, exc_info: OptExcInfo | None = None, /
    ) -> Write:
        if exc_info is not None:
            error = exc_info[1]
            if self.sent and error is not None:
                # "if exc_info is provided, and the HTTP headers have already been sent,
                # start_response must raise an error, and should re-raise using the exc_info
                # tuple" (PEP 3333).
                raise error.with_traceback(exc_info[2])
            self.screened = False  # a new head: what the screen said was about the old one
        elif self.held is not None:
            raise AssertionError(
                "start_response() was called a second time without exc_info (PEP 3333)"
            )
        self.held = (status, headers)
        if self.forwarded:
            # The server holds a head it has not sent: it replaces it with the error head.
            self._commit(self._begin(None, None), exc_info)
        return self.write

    def write(self, data: bytes) -> None:
        """The legacy ``write()`` callable: the head must go out now, the data through."""
        if not self.forwarded:
            self._require_head("write() was called")
            self._commit(self._begin(None, True if data else None))
        out = self._pass(data)
        assert self.server_write is not None  # set by _commit
        self.sent = True
        self.server_write(out)

    # -- the server's side ---------------------------------------------------------------------

    def respond(self, result: Iterable[bytes]) -> Iterable[bytes]:
        """What the server gets for the app's ``result`` (the app has returned)."""
        self.result = result
        try:
            return self._respond(result)
        except BaseException:
            # Nothing was returned, so the server cannot close the app's iterable: do it here.
            self.close()
            raise

    def _respond(self, result: Iterable[bytes]) -> Iterable[bytes]:
        if self.forwarded:  # the application called write(): the head is out
            return self if self._needs_body() else result
        if self.held is None:  # start_response will come with the first iteration
            return self
        environ = self.environ
        try:
            if isinstance(result, (list, tuple)):  # _known_length's first case, inlined
                length: int | None = len(result[0]) if len(result) == 1 else sum(map(len, result))
            else:
                length = _known_length(result, environ.get("wsgi.file_wrapper"))
        except Exception as exc:
            if not self._fail_open(exc):
                raise
            self._forward(*self.held)
            return result
        has_content = None if length is None else length > 0
        status, headers = self.held
        verdict = self.engine.screen(
            status,
            (
                environ.get("REQUEST_METHOD"),
                environ.get("SERVER_PROTOCOL"),
                environ.get("SERVER_SOFTWARE"),
            ),
            headers,
            self._head,
        )
        if verdict is not None:
            expected = verdict.quiet_length  # verdict.quiet() without the call, mostly
            if expected in (length, QUIET_ALWAYS) or (
                expected == QUIET_ASK and verdict.quiet(headers, length, has_content)
            ):
                # The fast path: nothing to report or change, no content to look at; the
                # server gets the app's head and iterable (what _forward does, inlined).
                self.forwarded = True
                self.server_write = self.server_start_response(status, headers)
                return result
            self.screened = True
            if length is None and verdict.holds:
                # What check.wants_content() below would say (a stream with a Content-Length):
                # the head waits for the first chunk, in __next__, which begins the check.
                return self
        check = self._begin(length, has_content)
        if check is not None and length is None:
            try:
                hold = check.wants_content()
            except Exception as exc:
                if not self._fail_open(exc):
                    raise
                check, hold = None, False
            if hold:
                return self  # the head waits for the first chunk, in __next__
        self._commit(check)
        if not self._needs_body():
            # The fast path, and a file_wrapper keeps the server's sendfile: the app's own
            # iterable goes back to the server (a repaired head has already been forwarded).
            return result
        assert self.check is not None
        self.skip = self.check.discard and length is not None
        return self

    def resume(self, sent: int, write: Write) -> None:
        """Take over a stream the fast path began: its head went out as the app made it, and
        ``sent`` content bytes after it."""
        self.forwarded = True
        self.server_write = write
        self.sent = self.yielded = sent > 0
        check = self._begin(None, True)
        if check is not None:
            try:
                check.start()  # a screened head: only the body rules, which change no head
                check.sent = sent
            except Exception as exc:
                if not self._fail_open(exc):
                    raise
                check = None
        self.check = check

    def __iter__(self) -> _Response:
        return self

    def __next__(self) -> bytes:
        if self.exhausted:
            raise StopIteration
        if self.skip:
            # Known content that is discarded (a 204's list, a HEAD's file) need not be read;
            # one empty chunk still makes the server send the head (see _end).
            self.exhausted = self.yielded = True
            return b""
        iterator = self.iterator
        if iterator is None:
            iterator = self.iterator = iter(self.result)
        try:
            chunk = next(iterator)
        except StopIteration:
            return self._end()
        if not self.forwarded:
            self._require_head("the application yielded content")
            # An empty chunk is how a streaming app flushes: the head goes out now, and the
            # engine learns about the content while it streams.
            self._commit(self._begin(None, True if chunk else None))
        out = self._pass(chunk)
        if out:
            self.sent = True
        return out

    def _end(self) -> bytes:
        self.exhausted = True
        if not self.forwarded:
            self._require_head("the application returned")
            self._commit(self._begin(0, False))
        check = self.check
        if check is not None:
            try:
                check.finish()
            except Exception as exc:
                if not self._fail_open(exc):
                    raise
            if check.discard and not self.yielded:
                # wsgiref adds "Content-Length: 0" to a head it sends at the end of an empty
                # body (a 204, a 304, a HEAD); one empty chunk, from an iterable without
                # __len__, makes it send the head as it is.
                self.yielded = True
                return b""
        raise StopIteration

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        close = getattr(self.result, "close", None)
        if close is not None:
            close()

    # -- the engine ----------------------------------------------------------------------------

    def _begin(self, content_length: int | None, has_content: bool | None) -> ResponseCheck | None:
        """A check for the held head; ``None`` after an internal error (fail open)."""
        try:
            head = self._head(content_length, has_content)
            method, _, route, _ = self._request()
            return self.engine.begin(head, method, route, screened=self.screened)
        except Exception as exc:
            if not self._fail_open(exc):
                raise
            return None

    def _request(self) -> tuple[str, str, str, str]:
        """(method, HTTP version, route, server_date policy) of this request."""
        request = self.request
        if request is None:
            environ = self.environ
            protocol = str(environ.get("SERVER_PROTOCOL") or "HTTP/1.1")
            policy = self.engine.config.server_date
            if policy == "auto":
                policy = server_date_policy(str(environ.get("SERVER_SOFTWARE", "")))
            request = self.request = (
                str(environ.get("REQUEST_METHOD") or "GET").upper(),
                protocol[5:] if protocol[:5].upper() == "HTTP/" else "1.1",
                str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")),
                policy,
            )
        return request

    def _head(self, content_length: int | None = None, has_content: bool | None = None) -> Head:
        """The held head as the engine sees it (and as ``Engine.screen`` learns it: from the
        status line, the environ's method, protocol and server, and the lines, in order)."""
        assert self.held is not None
        status, headers = self.held
        method, http_version, _, server_date = self._request()
        code, reason = parse_status(status)
        return Head(
            code,
            headers_to_bytes(headers),
            method,
            http_version,
            reason,
            content_length=content_length,
            has_content=has_content,
            server_date=server_date,
        )

    def _commit(self, check: ResponseCheck | None, exc_info: OptExcInfo | None = None) -> None:
        """Run the head rules and hand the (repaired) head to the server.

        A StatusGuardError (strict) propagates before the server's ``start_response`` is
        called, so the server answers 500 in place of the broken response.
        """
        assert self.held is not None
        status, headers = self.held
        if check is not None:
            try:
                original = check.head
                out = check.start()
                if out is not original:
                    status, headers = _wsgi_head(out, original, status, headers)
            except Exception as exc:
                if not self._fail_open(exc):
                    raise
                check = None
                status, headers = self.held
        self.check = check
        self._forward(status, headers, exc_info)

    def _forward(
        self, status: str, headers: WSGIHeaders, exc_info: OptExcInfo | None = None
    ) -> None:
        self.forwarded = True
        if exc_info is None:
            self.server_write = self.server_start_response(status, headers)
        else:
            self.server_write = self.server_start_response(status, headers, exc_info)

    def _needs_body(self) -> bool:
        return self.check is not None and self.check.needs_body

    def _pass(self, chunk: bytes) -> bytes:
        """What of ``chunk`` may be sent."""
        self.yielded = True
        check = self.check
        if check is None or not check.needs_body:
            return chunk
        try:
            return check.body(chunk)
        except Exception as exc:
            if not self._fail_open(exc):
                raise
            self.check = None
            return chunk

    def _fail_open(self, exc: Exception) -> bool:
        """Whether ``exc`` was a failure of statusguard to swallow (logged and counted).

        StatusGuardError is the point of strict rules.  A Warning raised as an exception means
        warnings were made errors (``-W error``, pytest's ``filterwarnings = error``): the
        user asked for them to stop the program, so they propagate too.
        """
        if isinstance(exc, (StatusGuardError, Warning)) or not self.engine.fail_open:
            return False
        method, _, route, _ = self._request()
        self.engine.reporter.internal_error(exc, f"{method} {route}")
        return True

    def _require_head(self, what: str) -> None:
        if self.held is None:
            raise AssertionError(f"{what} before calling start_response() (PEP 3333)")


def _wsgi_head(
    out: Head, original: Head, status: str, headers: WSGIHeaders
) -> tuple[str, WSGIHeaders]:
    """The repaired head as WSGI wants it: a ``"204 No Content"`` string and str pairs."""
    if out.status != original.status or out.reason != original.reason:
        phrase = (out.reason or b"").decode("latin-1") or lookup(out.status).phrase or "Unknown"
        status = f"{out.status} {phrase}"
    if out.headers is not original.headers:
        headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in out.headers]
    return status, headers


def _known_length(result: Iterable[bytes], file_wrapper: object) -> int | None:
    """The content length of ``result`` when it can be known without reading it."""
    if isinstance(result, (list, tuple)):
        return sum(map(len, result))
    if isinstance(file_wrapper, type) and isinstance(result, file_wrapper):
        return _file_remaining(result)
    return None


def _file_remaining(wrapper: object) -> int | None:
    """Bytes left in the file of a ``wsgi.file_wrapper`` (wsgiref and gunicorn call it
    ``filelike``, werkzeug ``file``), when it is a regular file or an in-memory buffer."""
    filelike = getattr(wrapper, "filelike", None) or getattr(wrapper, "file", None)
    if filelike is None:
        return None
    try:
        size: int
        try:
            info = os.fstat(filelike.fileno())
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
            getbuffer = getattr(filelike, "getbuffer", None)
            if getbuffer is None:
                return None
            with getbuffer() as view:
                size = view.nbytes
        else:
            if not stat.S_ISREG(info.st_mode):
                return None
            size = info.st_size
        position = filelike.tell()
    except (AttributeError, OSError, ValueError):
        return None
    if not isinstance(position, int):
        return None
    return max(size - position, 0)
