"""The engine: per-status plans compiled once, and the per-response state that runs them.

No I/O here, and no WSGI, ASGI or framework objects.  Read it one module at a time:

* :mod:`~statusguard.engine.config` -- the options, validated at construction; ``force()``'s
  override;
* :mod:`~statusguard.engine.plans` -- per status, the rules that apply and their modes;
* :mod:`~statusguard.engine.judge` -- the head rules and the servers' compatibility steps;
* :mod:`~statusguard.engine.content` -- the content policy of the body rules;
* :mod:`~statusguard.engine.memo` -- the screen: heads decided by their shape;
* :mod:`~statusguard.engine.exchange` -- the state of one response, which adapters drive: its
  head; :mod:`~statusguard.engine.streaming` -- its content;
  :mod:`~statusguard.engine.reporting` -- its reports and the fail-open policy; and
  :mod:`~statusguard.engine.answers` -- what it answers the adapters;
* :mod:`~statusguard.engine.convert` -- what applications hand over, as the engine reads it;
* :mod:`~statusguard.engine.core` -- the engine of one guard.
"""

from __future__ import annotations

from .answers import HOLD, SAME, Decision, Extended, Phase, Reader, Unjudged
from .config import MODES, RULE_MODES, SERVER_DATE_POLICIES, Config
from .convert import headers_to_bytes, http_version, method_class, parse_status
from .core import Engine, Guard, force, shortcuts
from .exchange import Exchange

__all__ = [
    "HOLD",
    "MODES",
    "RULE_MODES",
    "SAME",
    "SERVER_DATE_POLICIES",
    "Config",
    "Decision",
    "Engine",
    "Exchange",
    "Extended",
    "Guard",
    "Phase",
    "Reader",
    "Unjudged",
    "force",
    "headers_to_bytes",
    "http_version",
    "method_class",
    "parse_status",
    "shortcuts",
]
