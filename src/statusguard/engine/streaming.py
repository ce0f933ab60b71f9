"""The content of one response, once its head is committed: what of each chunk may be sent,
the end, a file the server sends itself, and the trailers.

Part of the response state (:class:`~statusguard.engine.exchange.Exchange` is built on it).
No I/O.  After the head, the content can only be discarded or truncated; what it shows is
reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Head
from ..servers import Step
from .answers import Phase
from .content import Settled
from .judge import Found
from .reporting import DELIBERATE, Reporting

__all__ = ["Streaming"]


class Streaming(Reporting):
    """The content half of one response's state: the slots its methods read are
    declared here, :class:`~statusguard.engine.exchange.Exchange` declares the rest."""

    __slots__ = ("chunks", "counted", "flush", "pending", "sent")

    sent: int
    chunks: int
    counted: bool
    flush: bool
    pending: tuple[Step, ...]

    if TYPE_CHECKING:  # the head half's, in exchange.py

        def _built(self, length: int | None, has_content: bool | None) -> Head: ...

        def _promote(self) -> Settled: ...

        def _step(self, step: Step, status: int) -> None: ...

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
        except DELIBERATE:
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
        except DELIBERATE:
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
            except DELIBERATE:
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
        except DELIBERATE:
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
