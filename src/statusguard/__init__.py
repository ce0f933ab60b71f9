"""statusguard: check every response against the HTTP rules of its status code.

``WSGIStatusGuard`` and ``ASGIStatusGuard`` are the middlewares; ``check`` and ``repair`` are
the engine's pure entry points; ``lookup`` reads the status-code table; ``CATALOGUE`` is the
rule catalogue.
"""

from __future__ import annotations

from .asgi import ASGIStatusGuard
from .codes import CODES, Registry, StatusCode, lookup
from .errors import ConfigurationError, StatusGuardError, StatusGuardWarning
from .exemptions import exempt
from .model import Action, Head, Mode, Reference, Rule, Severity, Violation
from .report import Stats
from .responses import Repaired, check, repair
from .rules import CATALOGUE, RULES_BY_ID
from .wsgi import WSGIStatusGuard

__all__ = [
    "CATALOGUE",
    "CODES",
    "RULES_BY_ID",
    "ASGIStatusGuard",
    "Action",
    "ConfigurationError",
    "Head",
    "Mode",
    "Reference",
    "Registry",
    "Repaired",
    "Rule",
    "Severity",
    "Stats",
    "StatusCode",
    "StatusGuardError",
    "StatusGuardWarning",
    "Violation",
    "WSGIStatusGuard",
    "check",
    "exempt",
    "lookup",
    "repair",
]
__version__ = "0.1.0"
