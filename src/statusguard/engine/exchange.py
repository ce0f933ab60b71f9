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

The head half is here; :class:`Exchange` is built on the content half
(:mod:`~statusguard.engine.streaming`) and the reporting and failure half
(:mod:`~statusguard.engine.reporting`): one object per response, three modules to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ..errors import StatusGuardError
from ..model import Action, Head, Mode, RequestCheck, Violation
from ..servers import ServerProfile, Step
from . import memo
from .answers import HOLD, SAME, Decision, Extended, Phase, Reader, request_headers
from .content import Settled, holds, open_rules, settle
from .convert import headers_to_bytes, parse_status
from .judge import Found, apply_steps, run_head_rules
from .plans import Compiled, Plan
from .reporting import DELIBERATE
from .streaming import Streaming

if TYPE_CHECKING:
    from .core import Engine

__all__ = ["FULL_PATH_RUNS", "Exchange"]


#: How many times the full path ran in this process (a response decided rule by rule, or a
#: counted stream taken over): what tests read to see that a shortcut is taken, so that a
#: broken shortcut cannot hide as a slow-down.  Not exact under threads; never read here.
FULL_PATH_RUNS = 0

_SCREENED_STATUS: Final = (int, str, bytes)


class Exchange(Streaming):
    """The sans-I/O state of one response (see the module's docstring)."""

    __slots__ = (
        "compiled",
        "method_class",
        "plan",
        "server",
        "shape",
        "version",
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
        except DELIBERATE:
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
        except DELIBERATE:
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
