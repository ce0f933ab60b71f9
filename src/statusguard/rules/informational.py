"""Rules of the 1xx (Informational) class (RFC 9110 §15.2)."""

from __future__ import annotations

from ..model import SHAPE_ONLY, Reference, Rule, Severity
from ._common import requires

UPGRADE_MISSING = Rule(
    id="upgrade-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.2.2"),
    summary="A 101 or 426 response names the protocol to switch to in Upgrade",
    check=requires(b"upgrade", "Upgrade"),
    statuses=frozenset({101, 426}),
    # PEP 3333 leaves Upgrade to the server; a WSGI app cannot send it.
    protocols=frozenset({"asgi", "http"}),
    reads=SHAPE_ONLY,
)

RULES = (UPGRADE_MISSING,)
