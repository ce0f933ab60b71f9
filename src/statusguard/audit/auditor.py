"""The audit: every route, every probe, the violations of each response and across them.

A route's probes are sent one after the other; the second round (conditional and range
requests) is decided by the GET's 200.  A probe that fails (the app raised, nothing came back
in time, the server answered something that is not HTTP) is recorded on its route and the
audit goes on; after a probe that timed out, the rest of that route is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .._client import Exchange, Request
from ..errors import StatusGuardError
from ..model import Severity, Violation
from ..rules import exchanges as x
from ..rules.exchanges import CROSS_RULES, CrossRule, Observed
from .probes import BASE_HEADERS, Probe, first_round, second_round
from .routes import RouteSpec
from .transport import ProbeTimeoutError, Transport, TransportError

__all__ = ["Audit", "ProbeResult", "RouteResult", "audit_routes"]


@dataclass(slots=True)
class ProbeResult:
    """One probe of one route: what was sent and what came back."""

    probe: Probe
    request: Request
    status: int | None = None
    reason: str | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None
    timed_out: bool = False

    @property
    def name(self) -> str:
        return self.probe.name

    @property
    def observed(self) -> Observed | None:
        if self.status is None:
            return None
        return Observed(
            self.probe.name,
            self.request.method,
            tuple((n.encode("latin-1"), v.encode("latin-1")) for n, v in self.request.headers),
            self.status,
            tuple(self.headers),
            self.body,
        )

    @property
    def worst(self) -> Severity | None:
        """The worst severity found on this probe (a failure counts as an error)."""
        if self.error is not None:
            return Severity.ERROR
        for severity in Severity:
            if any(v.severity is severity for v in self.violations):
                return severity
        return None


@dataclass(slots=True)
class RouteResult:
    """One route of one app, and its probes."""

    app: str
    route: RouteSpec
    probes: list[ProbeResult] = field(default_factory=list)
    note: str | None = None  # why some probes were not sent

    @property
    def skipped(self) -> str | None:
        return self.route.skipped

    @property
    def violations(self) -> list[Violation]:
        return [v for p in self.probes for v in p.violations]

    @property
    def failures(self) -> list[ProbeResult]:
        return [p for p in self.probes if p.error is not None]

    @property
    def failed(self) -> bool:
        """Whether the route fails a CI run: an error-severity violation or a failure."""
        return bool(self.failures) or any(v.severity is Severity.ERROR for v in self.violations)


@dataclass(slots=True)
class Audit:
    """Everything an audit found, in the order it was found."""

    apps: list[str] = field(default_factory=list)
    routes: list[RouteResult] = field(default_factory=list)

    @property
    def probes(self) -> list[ProbeResult]:
        return [p for r in self.routes for p in r.probes]

    @property
    def responses(self) -> int:
        return sum(1 for p in self.probes if p.status is not None)

    @property
    def violations(self) -> list[Violation]:
        return [v for r in self.routes for v in r.violations]

    @property
    def failures(self) -> list[tuple[RouteResult, ProbeResult]]:
        return [(r, p) for r in self.routes for p in r.failures]

    @property
    def exit_status(self) -> int:
        if self.failures or any(v.severity is Severity.ERROR for v in self.violations):
            return 1
        return 0


def _error_text(exchange: Exchange, label: str) -> str | None:
    error = exchange.error
    if error is None:
        if exchange.status is None:
            return "the application sent no response"
        return None
    if isinstance(error, StatusGuardError):
        return None  # strict mode refused the response: its violations say why
    if isinstance(error, TransportError):
        return str(error)
    text = " ".join(str(error).split())
    return f"the application raised {type(error).__name__}" + (f": {text}" if text else "")


def _send(transport: Transport, route: RouteSpec, probe: Probe, timeout: float) -> ProbeResult:
    assert route.path is not None
    headers = probe.headers if probe.name == x.REQUEST else (*BASE_HEADERS, *probe.headers)
    request = Request(probe.method, route.path, route.http_version, headers)
    exchange, violations = transport.send(request, timeout)
    error = _error_text(exchange, transport.label)
    if error is None and exchange.status == 500:
        # The framework caught an exception of the view and answered for it.
        error = "the application answered 500 Internal Server Error"
    return ProbeResult(
        probe,
        request,
        exchange.status,
        exchange.reason,
        list(exchange.headers),
        exchange.body,
        list(violations),
        error,
        isinstance(exchange.error, ProbeTimeoutError),
    )


def _cross_check(results: Sequence[ProbeResult], rules: Iterable[CrossRule] = CROSS_RULES) -> None:
    """Add the violations of the cross-response rules to the probe each one judges."""
    observed = [(r, r.observed) for r in results]
    pairs = [(result, seen) for result, seen in observed if seen is not None]
    for rule in rules:
        for _, first in pairs:
            for result, second in pairs:
                if not rule.applies_to(first, second):
                    continue
                detail = rule.check(first, second)
                if detail is not None:
                    result.violations.append(
                        Violation(
                            rule.id,
                            second.status,
                            rule.severity,
                            rule.message(detail),
                            rule.reference,
                        )
                    )


def audit_routes(
    label: str,
    transport: Transport,
    routes: Iterable[RouteSpec],
    *,
    timeout: float,
    unsafe: Sequence[str] = (),
    progress: Callable[[RouteSpec], None] | None = None,
) -> list[RouteResult]:
    """Probe each route through ``transport``."""
    results = []
    for route in routes:
        if progress is not None:
            progress(route)
        result = RouteResult(label, route)
        results.append(result)
        if route.skipped is not None or route.path is None:
            continue
        plan = first_round(route, unsafe)
        index = 0
        while index < len(plan):
            probe = plan[index]
            index += 1
            done = _send(transport, route, probe, timeout)
            result.probes.append(done)
            if done.timed_out:
                rest = len(plan) - index
                if rest:
                    result.note = (
                        f"{rest} more probe{'s' if rest > 1 else ''} not sent: "
                        f"{done.request.method} timed out"
                    )
                break
            if probe.name == x.GET and done.error is None and done.status is not None:
                fields = {n.lower(): v for n, v in done.headers}
                plan.extend(second_round(route, done.status, fields, len(done.body)))
        _cross_check(result.probes)
    return results
