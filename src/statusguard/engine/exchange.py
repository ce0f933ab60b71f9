"""The response state: one response on its way from the application to the server.

No I/O.  An adapter (WSGI, ASGI, Django, ``check()``) tells an :class:`Exchange` what happens --
the head (with its content length when it is already known), the moment the head must go
(``commit``: the first content, or the end), each chunk, the end -- and applies what it answers:
hold the head, send it as it is (:data:`SAME`) or send this repaired :class:`Head`; send these
bytes; stop (``done``).  The adapter reads no rule, mode, verdict or memo.

Invariants: the head changes only before it is committed; afterwards the content can only be
discarded or truncated, and what is found is reported (in strict mode too: the head is out, so
the response is ended cleanly and the violation reported loudly, never raised into the server).
A failure inside statusguard in warn or fix mode lets the application's response through
unchanged -- but never a line that would split it -- and is logged once and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ..errors import StatusGuardError
from ..model import Action, Head, Mode, RequestCheck, Violation
from ..servers import ServerProfile, Step
from . import memo
from .answers import HOLD, SAME, Decision, Extended, Phase, Reader, request_headers, unjudged
from .content import Settled, holds, open_rules, settle
from .convert import headers_to_bytes, parse_status
from .judge import Found, apply_steps, run_head_rules, violation
from .plans import Compiled, Plan

if TYPE_CHECKING:
    from .core import Engine

__all__ = ["FULL_PATH_RUNS", "Exchange"]


#: How many times the full path ran in this process (a response decided rule by rule, or a
#: counted stream taken over): what tests read to see that a shortcut is taken, so that a
#: broken shortcut cannot hide as a slow-down.  Not exact under threads; never read here.
FULL_PATH_RUNS = 0

# What an adapter deliberately lets through statusguard's fail-open: strict mode's error, and
# warnings made errors (-W error, pytest's filterwarnings = error: the user asked for them).
_DELIBERATE: Final = (StatusGuardError, Warning)
_SCREENED_STATUS: Final = (int, str, bytes)


class Exchange:
    """The sans-I/O state of one response (see the module's docstring)."""

    __slots__ = (
        "body",
        "chunks",
        "compiled",
        "counted",
        "done",
        "engine",
        "flush",
        "head",
        "headers",
        "method",
        "method_class",
        "pending",
        "phase",
        "plan",
        "reader",
        "request",
        "sent",
        "server",
        "shape",
        "status",
        "version",
        "violations",
    )

    def __init__(
        self,
        engine: Engine,
        method: str,
        method_class: str,
        version: str,
        server: ServerProfile,
        reader: Reader,
        request: Any,
    ) -> None:
        self.engine = engine
        self.compiled: Compiled = engine.compiled
        self.method = method
        self.method_class = method_class
        self.version = version
        self.server = server
        self.reader = reader
        self.request = request
        self.phase = Phase.IDLE
        self.shape: memo.Shape | None = None
        self.head: Head | None = None  # the neutral head, once the full path built it
        self.plan: Plan | None = None
        self.body: Settled | None = None
        self.sent = 0
        self.chunks = 0
        self.counted = False  # a stream the screen only counts (no neutral head built)
        self.flush = False  # a counted stream ends with one empty chunk (see end) if empty
        self.pending: tuple[Step, ...] = ()  # discarding steps counted once content shows
        self.done = False
        self.violations: list[Violation] = []
        self.status: object = None
        self.headers: Sequence[Any] = ()

    # -- the head ------------------------------------------------------------------------------

    def start(self, status: object, headers: Sequence[Any], length: int | None = None) -> Any:
        """The application's head (``headers`` as it gave them); ``length`` is the content
        length when it is known already.  Answers :data:`HOLD`, :data:`SAME` or a repaired
        :class:`Head`.  Raises :class:`StatusGuardError` in strict mode, before anything is
        sent.  May be called again before any content went out (an error head replacing the
        first: WSGI's ``exc_info``, ASGI's new start after a strict error)."""
        self.status = status
        self.headers = headers
        if self.phase is not Phase.IDLE:
            self._reset()
        try:
            out = None
            if memo.ENABLED:
                out = self._screen(length)
            if out is None:
                out = self._start_full(length)
            if out is HOLD and not self.server.holds_head:
                # The server reads the head when the application returns: it goes now.
                return self.commit(None, None)
            return out
        except _DELIBERATE:
            raise
        except Exception as exc:
            return self._fail_head(exc)

    def commit(self, length: int | None = None, has_content: bool | None = None) -> Any:
        """The held head must go now: ``length`` when the content is known whole (a single
        final body, the end of an empty stream), else ``has_content`` says whether the first
        part has content (``None``: an empty flush says nothing).  Answers :data:`SAME` or a
        repaired :class:`Head`; raises :class:`StatusGuardError` in strict mode."""
        try:
            shape = self.shape
            if shape is not None:
                headers = self.headers
                if length is not None:
                    if shape.quiet(headers, length):
                        return self._quiet(shape)
                elif not shape.presence:
                    declared = shape.declared(headers) if shape.limit_at >= 0 else None
                    if declared is not None:
                        # A stream whose only rule left is its declared length: counted.
                        self.body = Settled(limit=declared, truncate=shape.truncate)
                        self.counted = True
                        self.phase = Phase.BODY
                        return self._as_is(shape)
                elif has_content is None and shape.empty_quiet and shape.limit_at < 0:
                    # A stream of a status that takes no content, nothing shown yet: counted
                    # as one whose length is 0; the first content byte takes the full path.
                    self.body = Settled(limit=0)
                    self.counted = True
                    self.flush = shape.discards
                    self.phase = Phase.BODY
                    return self._as_is(shape)
            if length is not None:
                has_content = length > 0
            return self._decide(self._built(length, has_content), screened=shape is not None)
        except _DELIBERATE:
            raise
        except Exception as exc:
            return self._fail_head(exc)

    def _screen(self, length: int | None) -> Any:
        """The screen's answer, or ``None`` for the full path."""
        status = self.status
        headers = self.headers
        if type(status) not in _SCREENED_STATUS:
            # 200.0 or Decimal(200) hash like 200 but are no status: the full path reports them.
            return None
        compiled = self.compiled
        try:
            if headers and {*map(len, headers)} != _PAIRS:
                return None  # a line that is no (name, value) pair: the full path says so
            key = (status, self.method_class, self.version, self.server, *map(_NAME, headers))
            shape = compiled.shapes.get(key)
        except TypeError:  # unhashable names (lists, bytearrays): the full path handles them
            return None
        if shape is None:
            head = self._built(length, None if length is None else length > 0)
            shape = memo.learn(compiled, self._plan(head), head, self.server, key)
        if shape.full or not shape.values_pass(headers):
            return None
        if shape.asks and not self._request_passes(shape.asks):
            return None  # the full path reports what the request shows
        self.shape = shape
        if not shape.active:
            self.phase = Phase.PASS
            return self._as_is(shape)
        if length is None:
            if shape.holds:
                self.phase = Phase.HELD
                return HOLD
            return self.commit(None, None)  # what the content shows is decided as it streams
        if shape.quiet(headers, length):
            return self._quiet(shape)
        return None

    def _request_passes(self, checks: tuple[RequestCheck, ...]) -> bool:
        """Whether the request passes the rules of this status that read only the request."""
        view = request_headers(self.reader, self.request)
        method = self.method
        return all(check(method, view) is None for check in checks)

    def _quiet(self, shape: memo.Shape) -> Decision | Extended:
        """A head the screen passed, with content that leaves the body rules nothing to
        report: it goes as it is (fix mode still discards a no-content response's content)."""
        if shape.discards:
            self.body = Settled(discard=True)
            self.phase = Phase.BODY
            self.done = True
        else:
            self.phase = Phase.PASS
        return self._as_is(shape)

    def _as_is(self, shape: memo.Shape) -> Decision | Extended:
        """The application's head as it is, with what the server's steps add to such heads."""
        if not shape.appends:
            return SAME
        lines: list[tuple[bytes, bytes]] = []
        status = parse_status(self.status)[0]
        for step in shape.appends:
            assert step.appends is not None  # (memo only keeps such steps)
            lines.extend(step.appends())
            self._step(step, status)
        return Extended(lines)

    def _start_full(self, length: int | None) -> Any:
        head = self._built(length, None if length is None else length > 0)
        if length is None and holds(open_rules(self._plan(head).body, head), head):
            self.phase = Phase.HELD
            return HOLD
        return self._decide(head, screened=False)

    def _decide(self, head: Head, *, screened: bool) -> Any:
        """The full path: run the rules on ``head`` and settle what its content goes through."""
        global FULL_PATH_RUNS
        FULL_PATH_RUNS += 1
        plan = self._plan(head)
        original = head
        found: list[Found] = []
        if not screened:  # (the screen passed the head rules of a screened head)
            head = run_head_rules(plan, head, found)
        steps: list[Step] = []
        if self.compiled.steps_run:
            head = apply_steps(self.server, head, steps)
        head, settled = settle(open_rules(plan.body, head), head, found)
        raised = any(f.mode is Mode.STRICT for f in found)
        violations = self._report(found, raised=raised)
        if raised:
            self._reset()  # nothing was sent: another head may come
            raise StatusGuardError(
                [v for v in violations if v.action is Action.RAISED],
                self._label(),
                framework=self.engine.framework,
                quotes=self.engine.quotes,
            )
        for step in steps:
            if not step.discards:
                self._step(step, head.status)
                continue
            settled.discard = True
            if head.has_content:
                self._step(step, head.status)
            elif head.has_content is None:  # counted when content comes (and is dropped)
                self.pending = (*self.pending, step)
        self.head = head
        if settled.idle:
            self.phase = Phase.PASS
        else:
            self.body = settled
            self.phase = Phase.BODY
            # Known content that is discarded need not be read at all; a stream is read until
            # its first content has shown (and been reported), then no further.
            self.done = settled.discard and head.has_content is not None
        if head is original:
            return SAME
        added = _appended(original, head)
        return head if added is None else Extended(added)

    def _step(self, step: Step, status: int) -> None:
        self.engine.reporter.step(step.id, status, self.server.name)

    def _plan(self, head: Head) -> Plan:
        plan = self.plan
        if plan is None or plan.status != (head.status if 100 <= head.status <= 599 else 0):
            plan = self.plan = self.compiled.plan(head.status)
        return plan

    def _built(self, length: int | None, has_content: bool | None) -> Head:
        """The application's head as the engine checks it, with what is known of its content."""
        head = self.head
        if head is None:
            code, reason = parse_status(self.status)
            head = self.head = Head(
                int(code),
                headers_to_bytes(self.headers),
                self.method,
                self.version,
                reason,
                server_date=self.server.rules_date,
                request_headers=request_headers(self.reader, self.request),
            )
        if head.content_length != length or head.has_content != has_content:
            head = head.replace(content_length=length, has_content=has_content)
        return head

    def _reset(self) -> None:
        """A new head replaces one not sent yet (or sent, not flushed: WSGI's exc_info)."""
        self.phase = Phase.IDLE
        self.shape = None
        self.head = None
        self.plan = None
        self.body = None
        self.sent = 0
        self.counted = False
        self.flush = False
        self.pending = ()
        self.done = False

    # -- the content ---------------------------------------------------------------------------

    def chunk(self, data: bytes, *, last: bool = False) -> bytes:
        """One chunk of content after the committed head: what of it may be sent (possibly
        ``b""``); ``last`` when the adapter knows no more follows (the final message of a stream,
        known content).  ``done`` then says whether anything more can be sent at all."""
        if self.phase is not Phase.BODY:
            return data
        self.chunks += 1
        body = self.body
        assert body is not None  # set with Phase.BODY (internal invariant)
        try:
            size = len(data)
            if not size:
                return data
            if self.counted:  # a stream the screen passed: nothing else to do but count
                sent = self.sent + size
                if sent <= body.limit:
                    self.sent = sent
                    return data
                body = self._promote()
            return self._content(data, size, body, last=last)
        except _DELIBERATE:
            raise
        except Exception as exc:
            self._fail(exc)
            return data

    def end(self) -> bytes | None:
        """The content has ended.  Answers ``b""`` when one empty chunk must still go out (a
        head whose content was discarded before any chunk passed: some WSGI servers add
        ``Content-Length: 0`` to a head they send only at the end), else ``None``."""
        if self.phase is not Phase.BODY:
            self.phase = Phase.ENDED if self.phase is Phase.PASS else self.phase
            return None
        body = self.body
        assert body is not None  # set with Phase.BODY (internal invariant)
        self.phase = Phase.ENDED
        try:
            if self.counted:
                if self.sent == body.limit:
                    return b"" if self.flush and not self.chunks else None
                body = self._promote()
            if body.last or body.short(self.sent):  # else the end shows nothing: no head built
                found = body.ended(self.head or self._built(None, self.sent > 0), self.sent)
                if found:
                    self._report(found)
        except _DELIBERATE:
            raise
        except Exception as exc:
            self._fail(exc)
            return None
        return b"" if body.discard and not self.chunks else None

    def file(self, size: int | None, *, can_stream: bool = False) -> bool:
        """The content (or its next part) is a file the server sends itself (ASGI's pathsend,
        Django's FileResponse), ``size`` bytes long when that could be told.  Whether it may go
        as it is.  ``False``: nothing may be sent (send no content instead) -- or, where the
        adapter ``can_stream`` the file's content through :meth:`chunk`, its size is unknown
        and the rules still need to see it.  A file is never cut: what it breaks is
        reported."""
        if self.phase is not Phase.BODY:
            return True
        body = self.body
        assert body is not None  # set with Phase.BODY (internal invariant)
        if self.counted and self.flush:  # a file where no content may go: the full path's
            try:
                body = self._promote()
            except _DELIBERATE:
                raise
            except Exception as exc:
                self._fail(exc)
                return True
        if body.discard:
            if size is None or size > 0:  # content was sent where none may be: reported
                self._content(b"", size or 1, body, cut=False, last=size is not None)
            self.done = True
            return False
        if size is None:
            watching = self.counted or body.first or body.last or body.limit_rule
            return not (can_stream and watching)
        try:
            if self.counted:
                if self.sent + size == body.limit:  # exactly the declared length: quiet
                    self.sent += size
                    self.chunks += 1 if size else 0
                    return True
                body = self._promote()
            if size:
                self.chunks += 1
                self._content(b"", size, body, cut=False, last=True)
        except _DELIBERATE:
            raise
        except Exception as exc:
            self._fail(exc)
        return True

    @property
    def trailers(self) -> bool:
        """Whether trailer fields may follow the content (not when it was discarded: a 204,
        304 or HEAD response has neither content nor trailers, RFC 9110 §6.5, §15.3.5)."""
        if self.counted:  # a stream of a status that takes no content is discarded in fix mode
            return not self.flush
        return not (self.body is not None and self.body.discard)

    def _promote(self) -> Settled:
        """The full path for a stream the screen counted: its head went out as the application
        gave it, and ``sent`` content bytes after it."""
        global FULL_PATH_RUNS
        FULL_PATH_RUNS += 1
        # What the content shows is decided as it comes (Settled.chunk), as on the full path.
        head = self._built(None, None)
        head, settled = settle(open_rules(self._plan(head).body, head), head, [], committed=True)
        self.head = head
        self.body = settled
        self.counted = False
        return settled

    def _content(
        self, data: bytes, size: int, body: Settled, *, cut: bool = True, last: bool = False
    ) -> bytes:
        head = self.head or self._built(None, True)
        found: list[Found] = []
        out = body.chunk(head, self.sent, data, size, found, cut=cut, last=last)
        self.sent += size
        if out is not data:  # discarded or cut: nothing more can be sent
            self.done = True
            if self.pending and body.discard:
                steps, self.pending = self.pending, ()
                for step in steps:
                    self._step(step, head.status)
        if found:
            self._report(found)
        return out

    # -- reporting and failure -----------------------------------------------------------------

    def _report(self, found: list[Found], *, raised: bool = False) -> list[Violation]:
        """Turn what was found into violations, and report each (counted, logged, passed to
        ``on_violation``): once the head is decided, so a count says what happened."""
        reporter = self.engine.reporter
        method = self.method
        route = self._route()
        request_id = self._request_id()
        status = self.head.status if self.head is not None else parse_status(self.status)[0]
        out = []
        for f in found:
            violation_ = violation(f, status, raised=raised)
            self.violations.append(violation_)
            out.append(violation_)
            loud = f.late and f.mode is Mode.STRICT
            reporter.report(
                violation_, method, route, f.mode is Mode.WARN, request_id=request_id, loud=loud
            )
        return out

    def _route(self) -> str:
        try:
            return self.reader.route(self.request)
        except Exception:  # a label is not worth failing for
            return ""

    def _request_id(self) -> str | None:
        """The request's id (``request_id_header``), for the reports; read only for them."""
        name = self.engine.config.request_id_header
        if not name:
            return None
        try:
            value = self.reader.header(self.request, name)
        except Exception:  # an id is not worth failing for
            return None
        return None if value is None else value.decode("latin-1")

    def _label(self) -> str:
        return f"{self.method} {self._route()}".strip()

    def exempt(self) -> None:
        """Leave this response alone, before its head (``exclude_paths``, ``exempt()``):
        nothing is judged or repaired, and it is counted as excluded."""
        self.phase = Phase.PASS
        self.engine.reporter.exclude()

    def _fail(self, exc: Exception) -> None:
        """An internal failure after the head went out: the rest passes as it comes."""
        if not self.engine.fail_open:
            raise exc
        status = parse_status(self.status)[0] if self.status is not None else None
        self.engine.reporter.internal_error(
            exc, self._label(), request_id=self._request_id(), status=status
        )
        self.phase = Phase.PASS
        self.done = False

    def _fail_head(self, exc: Exception) -> Any:
        """An internal failure before the head went out: the application's head goes as it
        came, without the lines that would split the response (:class:`Unjudged`)."""
        self._fail(exc)
        self.body = None
        return unjudged(self.status, self.headers)


_NAME: Final = memo._NAME
_PAIRS: Final = {2}


def _appended(original: Head, head: Head) -> list[tuple[bytes, bytes]] | None:
    """The lines ``head`` only appends to ``original`` (same status line, the same lines
    first, new names after), or ``None``: answered as :class:`Extended`, so that the
    application's own lines go out as it gave them on the full path as on the screen's."""
    lines = original.headers
    count = len(lines)
    if (
        head.status != original.status
        or head.reason != original.reason
        or len(head.headers) <= count
        or head.headers[:count] != lines
    ):
        return None
    added = head.headers[count:]
    names = {name.lower() for name, _ in lines}
    if any(name.lower() in names for name, _ in added):
        return None
    return list(added)
