"""The keyword options every guard takes, validated once, at construction.

No I/O.  A bad option raises :class:`~statusguard.ConfigurationError` naming it, here and never
while serving.  The process-wide override of the pytest plugin (:func:`force`) is kept here
too, as data; :mod:`statusguard.engine.core` recompiles the engines it concerns.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ..errors import ConfigurationError
from ..exemptions import ExcludedPaths
from ..model import Mode, Rule, Violation
from ..rules import CATALOGUE

__all__ = [
    "MODES",
    "RULE_MODES",
    "SERVER_DATE_POLICIES",
    "Config",
    "Forced",
    "forced",
    "set_forced",
    "validate_rules",
]

MODES: Final = ("strict", "warn", "fix")
RULE_MODES: Final = ("off", "warn", "fix", "strict")
# What the server does with Date (see docs/servers.md):
#   always    adds its own Date whatever the app sent (uvicorn, hypercorn, werkzeug dev server)
#   replace   drops the app's Date and adds its own (gunicorn's WSGI workers)
#   if-absent adds one only when the app sent none (wsgiref, gunicorn's ASGI worker, granian)
#   never     sends what the app sent (h11 alone, a bare socket, a captured response)
SERVER_DATE_POLICIES: Final = ("auto", "always", "replace", "if-absent", "never")
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def validate_rules(rules: object, extra: Sequence[Rule]) -> dict[str, str]:
    """``rules`` checked: a mapping of known rule ids to one of :data:`RULE_MODES`."""
    if not isinstance(rules, Mapping):
        raise ConfigurationError(
            f"rules must be a mapping of rule id to one of {', '.join(RULE_MODES)}, "
            f"not {type(rules).__name__}"
        )
    known = {rule.id for rule in CATALOGUE} | {rule.id for rule in extra}
    checked: dict[str, str] = {}
    for rule_id, value in rules.items():
        if rule_id not in known:
            raise ConfigurationError(
                f"rules: unknown rule id {rule_id!r} (see `statusguard rules` for the catalogue)"
            )
        if value not in RULE_MODES:
            raise ConfigurationError(
                f"rules[{rule_id!r}] must be one of {', '.join(RULE_MODES)}, not {value!r}"
            )
        checked[rule_id] = str(value)
    return checked


@dataclass(frozen=True)
class Config:
    """The keyword options shared by every guard, validated once at construction."""

    mode: str = "warn"
    rules: Mapping[str, str] = field(default_factory=dict)
    on_violation: Callable[[Violation], None] | None = None
    server_date: str = "auto"
    log_interval: float = 60.0
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("statusguard"))
    extra_rules: tuple[Rule, ...] = ()
    # The request field whose value goes into violation records as the request id (lower-case
    # bytes; b"" for none).
    request_id_header: bytes = b"x-request-id"
    # The server in front ("auto": detected per request; else a statusguard.servers profile).
    server: str = "auto"
    # The paths whose responses are left alone (statusguard.exemptions); None: none.
    exclude_paths: ExcludedPaths | None = None

    @classmethod
    def from_options(
        cls,
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
    ) -> Config:
        if mode is None:
            mode = os.environ.get("STATUSGUARD_MODE", "warn").strip().lower() or "warn"
            source = "STATUSGUARD_MODE"
        else:
            source = "mode"
        if mode not in MODES:
            raise ConfigurationError(f"{source} must be one of {', '.join(MODES)}, not {mode!r}")
        extra = tuple(extra_rules)
        for rule in extra:
            if not isinstance(rule, Rule):
                raise ConfigurationError(f"extra_rules must hold Rule objects, not {rule!r}")
            if any(rule.id == known.id for known in CATALOGUE):
                raise ConfigurationError(f"extra_rules: {rule.id!r} is already in the catalogue")
        checked_rules = validate_rules(rules if rules is not None else {}, extra)
        if on_violation is not None and not callable(on_violation):
            raise ConfigurationError(f"on_violation must be callable, not {on_violation!r}")
        if server_date not in SERVER_DATE_POLICIES:
            raise ConfigurationError(
                f"server_date must be one of {', '.join(SERVER_DATE_POLICIES)}, "
                f"not {server_date!r}"
            )
        if (
            isinstance(log_interval, bool)
            or not isinstance(log_interval, (int, float))
            or log_interval < 0
        ):
            raise ConfigurationError(
                f"log_interval must be a number of seconds >= 0, not {log_interval!r}"
            )
        from ..servers import PROFILES

        if server != "auto" and server not in PROFILES:
            names = ", ".join(PROFILES)
            raise ConfigurationError(f"server must be auto or one of {names}, not {server!r}")
        if request_id_header is None or request_id_header == "":
            id_field = b""
        elif isinstance(request_id_header, str) and _TOKEN.fullmatch(request_id_header):
            id_field = request_id_header.lower().encode("ascii")
        else:
            raise ConfigurationError(
                "request_id_header must be a header field name (a token) or None, "
                f"not {request_id_header!r}"
            )
        excluded = ExcludedPaths(exclude_paths)
        if logger is None:
            resolved = logging.getLogger("statusguard")
        elif isinstance(logger, str):
            resolved = logging.getLogger(logger)
        elif isinstance(logger, logging.Logger):
            resolved = logger
        else:
            raise ConfigurationError(f"logger must be a Logger or a name, not {logger!r}")
        return cls(
            mode=mode,
            rules=checked_rules,
            on_violation=on_violation,
            server_date=server_date,
            log_interval=float(log_interval),
            logger=resolved,
            extra_rules=extra,
            request_id_header=id_field,
            server=server,
            exclude_paths=excluded or None,
        )

    def mode_of(self, rule: Rule, forced: Forced) -> Mode:
        """The mode ``rule`` runs in under this configuration and the process-wide override."""
        override = forced.rules.get(rule.id) or self.rules.get(rule.id)
        if forced.mode is not None and rule.id not in forced.rules:
            # A forced run (the pytest plugin) keeps only the rules the project turned off.
            override = "off" if self.rules.get(rule.id) == "off" else None
        if override is not None:
            return Mode(override)
        mode = Mode(forced.mode or self.mode)
        # Info rules never raise unless a rule override asks for it explicitly.
        if mode is Mode.STRICT and rule.severity.value == "info":
            return Mode.WARN
        return mode


@dataclass(frozen=True)
class Forced:
    """The process-wide override (``force()``): a mode for every guard, and rule modes."""

    mode: str | None = None
    rules: Mapping[str, str] = field(default_factory=dict)
    generation: int = 0


_forced = Forced()


def forced() -> Forced:
    """The override in effect (read once per compilation, never per response)."""
    return _forced


def set_forced(mode: str | None, rules: Mapping[str, str] | None) -> Forced:
    """Validate and install a new override; the caller recompiles the engines."""
    global _forced
    if mode is not None and mode not in MODES:
        raise ConfigurationError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    checked = validate_rules(rules or {}, ())
    _forced = Forced(mode, checked, _forced.generation + 1)
    return _forced
