"""The engine: one guard's compiled configuration, and the exchanges it starts.

No I/O.  The engine holds immutable configuration, its counters (the reporter) and one
:class:`~statusguard.engine.plans.Compiled` generation, replaced whole by :meth:`Engine.recompile`
(``force()``): an exchange keeps the generation it started with.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ..advice import framework_of
from ..errors import ConfigurationError
from ..report import Reporter, Stats
from ..rules import CATALOGUE
from ..servers import ServerProfile
from . import memo
from .answers import Reader
from .config import Config, forced, set_forced
from .convert import http_version, method_class
from .exchange import Exchange
from .plans import Compiled

__all__ = ["Engine", "Guard", "force", "shortcuts"]

PROTOCOLS = ("wsgi", "asgi", "http")

# Every engine that force() recompiles (the pytest plugin's override).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()
_FORCE_LOCK = threading.Lock()


def force(mode: str | None = None, rules: Mapping[str, str] | None = None) -> None:
    """Override the mode (and some rules) of every guard in this process; ``force()`` undoes.

    A response under way finishes under the configuration it started with; every response
    that starts after this returns is judged by the new one.
    """
    with _FORCE_LOCK:
        set_forced(mode, rules)
        for engine in list(_ENGINES):
            engine.recompile()


@contextlib.contextmanager
def shortcuts(enabled: bool) -> Iterator[None]:
    """Turn every shortcut of the engine on or off (the differential oracle's switch): off,
    every response takes the full path, rule by rule."""
    previous = memo.ENABLED
    memo.set_enabled(enabled)
    try:
        yield
    finally:
        memo.set_enabled(previous)


class Engine:
    """The compiled configuration of one guard.  Immutable but for its counters and memo."""

    def __init__(
        self, protocol: str, config: Config, *, register: bool = True, framework: str = ""
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ConfigurationError(f"protocol must be wsgi, asgi or http, not {protocol!r}")
        self.protocol = protocol
        self.config = config
        # The framework of the guarded application (statusguard.advice), for strict errors.
        self.framework = framework
        self.registered = register
        self.reporter = Reporter(
            logger=config.logger,
            interval=config.log_interval,
            on_violation=config.on_violation,
            enabled=register,
        )
        self.rules = tuple(r for r in (*CATALOGUE, *config.extra_rules) if protocol in r.protocols)
        self.quotes = {rule.id: rule.quote for rule in self.rules}
        self.compiled = self._compile()
        if register:
            _ENGINES.add(self)

    def _compile(self) -> Compiled:
        override = forced()
        mode = override.mode or self.config.mode
        modes = {rule.id: self.config.mode_of(rule, override) for rule in self.rules}
        return Compiled(self.rules, modes, mode, steps_run=mode in ("fix", "strict"))

    def recompile(self) -> None:
        """A new generation from the configuration and the process-wide override."""
        self.compiled = self._compile()

    @property
    def mode(self) -> str:
        return self.compiled.mode

    @property
    def fail_open(self) -> bool:
        """Whether an internal failure lets the original response through (warn and fix)."""
        return self.compiled.mode != "strict"

    def exchange(
        self, method: str, version: object, server: ServerProfile, reader: Reader, request: Any
    ) -> Exchange:
        """Start one response to a request made with ``method`` over HTTP ``version``
        (``"HTTP/1.1"``, ``"2"``...), served by ``server``; ``reader`` answers what the engine
        may ask about ``request``."""
        return Exchange(
            self, method, method_class(method), http_version(version), server, reader, request
        )

    def stats(self) -> Stats:
        return self.reporter.stats()


class Guard:
    """What both middlewares share besides being called: their engine, built once from the
    validated options, their counters and the log flush, and their copies."""

    __slots__ = ("app", "engine")
    protocol: ClassVar[str]
    app: Any
    engine: Engine

    def _install(self, app: Any, config: Config) -> None:
        self.app = app
        self.engine = Engine(self.protocol, config, framework=framework_of(app))

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy (copy.deepcopy, pickle) is a working guard with counters of its own.
        return (_rebuild, (type(self), self.app, self.engine.config))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mode={self.engine.mode!r} app={self.app!r}>"

    def stats(self) -> Stats:
        """The exact violation counters since the guard was created, and internal errors."""
        return self.engine.stats()

    def flush(self) -> None:
        """Log the aggregated repeat counts now (at shutdown, or from a test)."""
        self.engine.reporter.flush()


def _rebuild(cls: type[Guard], app: Any, config: Config) -> Guard:
    guard = cls.__new__(cls)
    guard._install(app, config)
    return guard
