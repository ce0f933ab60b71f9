"""What every response does with what it finds, and with a failure of statusguard itself.

Part of the response state (:class:`~statusguard.engine.exchange.Exchange` is built on it): the
violations reported once the response is decided (counted, logged, passed to
``on_violation``), the labels of the request they carry, leaving a response alone
(``exempt``), and the one fail-open policy of every adapter.  No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ..errors import StatusGuardError
from ..model import Head, Mode, Violation
from .answers import Phase, Reader, unjudged
from .content import Settled
from .convert import parse_status
from .judge import Found, violation

if TYPE_CHECKING:
    from .core import Engine

__all__ = ["DELIBERATE", "Reporting"]

#: What an adapter deliberately lets through statusguard's fail-open: strict mode's error, and
#: warnings made errors (-W error, pytest's filterwarnings = error: the user asked for them).
DELIBERATE: Final = (StatusGuardError, Warning)


class Reporting:
    """The reporting and failure half of one response's state: the slots its methods read are
    declared here, :class:`~statusguard.engine.exchange.Exchange` declares the rest."""

    __slots__ = (
        "body",
        "done",
        "engine",
        "head",
        "headers",
        "method",
        "phase",
        "reader",
        "request",
        "status",
        "violations",
    )

    engine: Engine
    reader: Reader
    request: Any
    method: str
    status: object
    headers: Sequence[Any]
    head: Head | None
    body: Settled | None
    phase: Phase
    done: bool
    violations: list[Violation]

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
