"""``statusguard check``: audit every route of an application.

Route discovery (:mod:`.routes`), the probes (:mod:`.probes`), how they reach the app
(:mod:`.transport`), the audit itself (:mod:`.auditor`) and its reports (:mod:`.report`,
:mod:`.schema`).  The rules across responses are in :mod:`statusguard.rules.exchanges`.
"""

from __future__ import annotations

from .auditor import Audit, ProbeResult, RouteResult, audit_routes
from .probes import PROBE_PURPOSES, Probe
from .routes import DiscoveryError, RouteSpec, discover, routes_from_openapi
from .schema import SCHEMA, SCHEMA_VERSION

__all__ = [
    "PROBE_PURPOSES",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Audit",
    "DiscoveryError",
    "Probe",
    "ProbeResult",
    "RouteResult",
    "RouteSpec",
    "audit_routes",
    "discover",
    "routes_from_openapi",
]
