"""The WSGI middleware: every response goes through the engine before the server sees it.

The guard object holds only its compiled configuration; each response lives in its own
:class:`_Response`, which translates WSGI into the engine's :class:`~statusguard.engine.Exchange`
and applies what it answers.  No rule, mode or verdict is read here.

PEP 3333 points this module relies on:

* a middleware may delay the server's ``start_response`` until its iterable yields, so the head
  is held until the first chunk when the engine asks for it (a list body has a known length, a
  generator's first chunk says whether there is content at all);
* each time the application yields, the middleware yields (possibly ``b""``), so no stream is
  ever buffered and a discarded body still advances the server -- until nothing more can be
  sent: then the application's iterable is not read any further (and is closed by the server's
  call to ``close()``);
* the ``close()`` of the application's iterable is called exactly once, by whoever ends up
  holding it: the server when the iterable is returned unwrapped, :meth:`_Response.close`
  otherwise, this module itself when it raises before returning anything.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import exemptions as _exempt
from .codes import lookup
from .engine import HOLD, Config, Engine, Extended, Guard, Phase, Unjudged, parse_status
from .engine.convert import to_bytes
from .model import Head, Rule, Violation
from .servers import ServerProfile, profile_named, with_date, wsgi_profile

if TYPE_CHECKING:
    import logging

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["WSGIStatusGuard", "server_date_policy"]

WSGIHeaders = list[tuple[str, str]]
Write = Callable[[bytes], object]


def server_date_policy(server_software: str) -> str:
    """What the server named by ``SERVER_SOFTWARE`` does with ``Date`` (``"replace"``,
    ``"always"``, ``"if-absent"`` or ``"never"``; see :mod:`statusguard.servers`)."""
    return wsgi_profile({"SERVER_SOFTWARE": server_software}).date


class WSGIStatusGuard(Guard):
    """Check, repair or reject every response of a WSGI application.

    ``mode`` is ``"strict"``, ``"warn"`` or ``"fix"`` (default: ``STATUSGUARD_MODE`` from the
    environment, else ``"warn"``); ``rules`` maps rule ids to ``"off"``, ``"warn"``, ``"fix"``
    or ``"strict"``; ``on_violation`` receives every :class:`~statusguard.Violation`.
    ``server_date="auto"`` reads ``SERVER_SOFTWARE`` to know whether the server adds ``Date``
    itself (see ``docs/servers.md``).  Bad options raise
    :class:`~statusguard.ConfigurationError` here, never while serving.
    """

    protocol = "wsgi"
    app: WSGIApplication

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

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        engine = self.engine
        excluded = engine.config.exclude_paths
        if excluded is not None and _path(environ) in excluded:
            engine.reporter.exclude()
            return self.app(environ, start_response)
        response = _Response(engine, environ, start_response)
        return response.respond(self.app(environ, response.start_response))


def _path(environ: WSGIEnvironment) -> str:
    """The request's path, as ``exclude_paths`` reads it."""
    return str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))


def _profile(engine: Engine, environ: WSGIEnvironment) -> ServerProfile:
    """The profile of the server of this request (the ``server`` and ``server_date`` options
    win over detection)."""
    config = engine.config
    if config.server == "auto":
        profile = wsgi_profile(environ)
    else:
        protocol = environ.get("SERVER_PROTOCOL")
        profile = profile_named(config.server, "2" if protocol == "HTTP/2" else "1.1")
    return with_date(profile, config.server_date)


# The environ keys of the request fields PEP 3333 does not name HTTP_*.
_ENVIRON_KEYS: Mapping[bytes, str] = {
    b"content-type": "CONTENT_TYPE",
    b"content-length": "CONTENT_LENGTH",
}


class _EnvironReader:
    """What the engine may ask about a WSGI request, read from its environ."""

    __slots__ = ()

    def route(self, environ: WSGIEnvironment, /) -> str:
        return str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))

    def header(self, environ: WSGIEnvironment, name: bytes, /) -> bytes | None:
        key = _ENVIRON_KEYS.get(name) or "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        value = environ.get(key)
        return None if value is None else to_bytes(value)


_READER = _EnvironReader()

# The status of a response whose application has not called start_response yet (any value
# an application passes, None included, is its status: the engine judges it).
_NOT_STARTED: Any = object()


class _Response:
    """One response on its way from the application to the server.

    It is the ``start_response`` and ``write`` the application sees and, when the content
    must go through the engine, the iterable the server gets.
    """

    __slots__ = (
        "closed",
        "environ",
        "exchange",
        "exhausted",
        "forwarded",
        "headers",
        "iterator",
        "replaced",
        "result",
        "sent",
        "server_start_response",
        "server_write",
        "status",
    )

    def __init__(
        self, engine: Engine, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        self.environ = environ
        self.server_start_response = start_response
        method = environ.get("REQUEST_METHOD")
        self.exchange = engine.exchange(
            method if type(method) is str else "GET",
            environ.get("SERVER_PROTOCOL"),
            _profile(engine, environ),
            _READER,
            environ,
        )
        self.status: str = _NOT_STARTED  # the app's head, once it called start_response
        self.headers: WSGIHeaders = []
        self.forwarded = False  # the server's start_response has been called
        self.server_write: Write | None = None
        self.sent = False  # the server has been given content (the head went on the wire)
        self.result: Iterable[bytes] = ()
        self.iterator: Iterator[bytes] | None = None
        self.exhausted = False
        self.closed = False
        self.replaced = False  # an error head replaced one the engine holds

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
        elif self.status is not _NOT_STARTED:
            raise AssertionError(
                "start_response() was called a second time without exc_info (PEP 3333)"
            )
        self.status = status
        self.headers = headers
        if (
            _exempt.used
            and self.environ.get(_exempt.ENVIRON_KEY) is True
            and not self.forwarded
            and self.exchange.phase is Phase.IDLE
        ):
            # An exempt view (the Flask integration marks the environ once it has routed the
            # request): the head and the content go to the server as the application made them.
            self.exchange.exempt()
            self.forwarded = True
            self.server_write = self.server_start_response(status, headers, exc_info)
            return self.server_write
        if self.forwarded:
            # The server holds a head it has not sent: it replaces it with the error head.
            self._commit(None, None, exc_info)
        else:
            self.replaced = self.exchange.phase is not Phase.IDLE
        return self.write

    def write(self, data: bytes) -> None:
        """The legacy ``write()`` callable: the head must go out now, the data through."""
        if not self.forwarded:
            self._require_head("write() was called")
            self._commit(None, True if data else None)
        out = self.exchange.chunk(data)
        self.sent = True
        assert self.server_write is not None  # set by _forward
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
        exchange = self.exchange
        if self.forwarded:  # the application called write(): the head is out
            return result if exchange.phase is Phase.PASS else self
        status = self.status
        if status is _NOT_STARTED:  # start_response will come with the first iteration
            return self
        if type(result) is list:
            length: int | None = len(result[0]) if len(result) == 1 else sum(map(len, result))
        else:
            length = _known_length(result, self.environ.get("wsgi.file_wrapper"))
        out = exchange.start(status, self.headers, length)
        if out is HOLD:
            return self  # the head waits for the first chunk, in __next__
        self._forward(out)
        if exchange.phase is Phase.PASS:
            # Nothing left to check: the app's own iterable goes to the server (a file
            # wrapper keeps the server's sendfile).
            return result
        return self

    def __iter__(self) -> _Response:
        return self

    def __next__(self) -> bytes:
        if self.exhausted:
            raise StopIteration
        exchange = self.exchange
        chunk: bytes | None = None
        if not exchange.done:  # else nothing more can be sent: the app is not read further
            iterator = self.iterator
            if iterator is None:
                iterator = self.iterator = iter(self.result)
            chunk = next(iterator, None)
        if chunk is None:
            return self._end()
        if not self.forwarded:
            self._require_head("the application yielded content")
            # An empty chunk is how a streaming app flushes: the head goes out now.
            self._commit(None, True if chunk else None)
        out = exchange.chunk(chunk)
        if out:
            self.sent = True
        return out

    def _end(self) -> bytes:
        self.exhausted = True
        if not self.forwarded:
            self._require_head("the application returned")
            self._commit(0, False)
        flush = self.exchange.end()
        if flush is not None:
            return flush  # one empty chunk, for the head to go out as it is
        raise StopIteration

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        close = getattr(self.result, "close", None)
        if close is not None:
            close()

    # -- the head ------------------------------------------------------------------------------

    def _commit(
        self,
        length: int | None,
        has_content: bool | None,
        exc_info: OptExcInfo | None = None,
    ) -> None:
        """Hand the head to the server now, as the engine answers for what is known."""
        exchange = self.exchange
        out: Any = HOLD
        if exchange.phase is Phase.IDLE or self.forwarded or self.replaced:
            self.replaced = False
            out = exchange.start(self.status, self.headers, length)
        if out is HOLD:
            out = exchange.commit(length, has_content)
        self._forward(out, exc_info)

    def _forward(self, out: Any, exc_info: OptExcInfo | None = None) -> None:
        status = self.status
        headers = self.headers
        if isinstance(out, Head):
            status, headers = _wsgi_head(out, status)
        elif isinstance(out, Extended):  # the app's own head, and what the server needs
            headers = [
                *headers,
                *((n.decode("latin-1"), v.decode("latin-1")) for n, v in out.lines),
            ]
        elif isinstance(out, Unjudged):  # statusguard failed: the app's own, made safe
            status, headers = out.status, out.headers  # type: ignore[assignment]
        self.forwarded = True
        if exc_info is None:
            self.server_write = self.server_start_response(status, headers)
        else:
            self.server_write = self.server_start_response(status, headers, exc_info)

    def _require_head(self, what: str) -> None:
        if self.status is _NOT_STARTED:
            raise AssertionError(f"{what} before calling start_response() (PEP 3333)")


def _wsgi_head(out: Head, status: object) -> tuple[str, WSGIHeaders]:
    """The engine's head as WSGI wants it: a ``"204 No Content"`` string and str pairs."""
    code, reason = parse_status(status)
    if isinstance(status, str) and (code, reason) == (out.status, out.reason):
        line = status
    elif out.status == 0:  # not a status at all: what is left of the app's line
        line = (out.reason or b"").decode("latin-1")
    else:
        phrase = (out.reason or b"").decode("latin-1") or lookup(out.status).phrase or "Unknown"
        line = f"{out.status} {phrase}"
    return line, [(n.decode("latin-1"), v.decode("latin-1")) for n, v in out.headers]


def _known_length(result: Iterable[bytes], file_wrapper: object) -> int | None:
    """The content length of ``result`` when it can be known without reading it."""
    try:
        if isinstance(result, (list, tuple)):
            return sum(map(len, result))
        if isinstance(file_wrapper, type) and isinstance(result, file_wrapper):
            return _file_remaining(result)
    except Exception:  # an iterable out of the ordinary: its content is counted as it comes
        return None
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
