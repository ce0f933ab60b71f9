"""The JSON Schema (draft 2020-12) of ``statusguard check --format json``.

Stable: a field is only ever added, and ``schema`` changes when one changes meaning.
``docs/audit.md`` shows it; ``tests/tools/test_audit_reports.py`` validates real reports
against it.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["SCHEMA", "SCHEMA_VERSION"]

SCHEMA_VERSION: Final = 1

_HEADERS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "string"}],
        "minItems": 2,
        "maxItems": 2,
    },
}
_SEVERITY: dict[str, Any] = {"enum": ["error", "warning", "info"]}

_VIOLATION: dict[str, Any] = {
    "type": "object",
    "required": [
        "rule",
        "scope",
        "status",
        "severity",
        "message",
        "fixable",
        "fixed",
        "reference",
        "url",
    ],
    "additionalProperties": False,
    "properties": {
        "rule": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
        "scope": {
            "enum": ["response", "exchange"],
            "description": "response: a rule of one response (the catalogue); exchange: a "
            "rule across two responses of the route (statusguard.rules.exchanges)",
        },
        "status": {"type": "integer"},
        "severity": _SEVERITY,
        "message": {"type": "string"},
        "fixable": {"type": "boolean"},
        "fixed": {"type": "boolean"},
        "reference": {"type": "string"},
        "url": {"type": "string"},
    },
}

_WHERE: dict[str, Any] = {
    "app": {"type": "string"},
    "route": {"type": "string"},
    "probe": {"type": "string"},
    "method": {"type": "string"},
    "path": {"type": "string"},
    "request_headers": _HEADERS,
}

_PROBE: dict[str, Any] = {
    "type": "object",
    "required": [
        "probe",
        "method",
        "path",
        "request_headers",
        "status",
        "response_headers",
        "content_length",
        "error",
        "violations",
    ],
    "additionalProperties": False,
    "properties": {
        "probe": {"type": "string"},
        "method": {"type": "string"},
        "path": {"type": "string"},
        "request_headers": _HEADERS,
        "status": {"type": ["integer", "null"]},
        "response_headers": _HEADERS,
        "content_length": {"type": ["integer", "null"], "minimum": 0},
        "error": {"type": ["string", "null"]},
        "violations": {"type": "array", "items": _VIOLATION},
    },
}

_ROUTE: dict[str, Any] = {
    "type": "object",
    "required": ["app", "route", "name", "path", "methods", "skipped", "note", "failed", "probes"],
    "additionalProperties": False,
    "properties": {
        "app": {"type": "string"},
        "route": {"type": "string", "description": "the pattern the router knows"},
        "name": {"type": "string"},
        "path": {"type": ["string", "null"], "description": "the path requested"},
        "methods": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "description": "what the router says the route accepts; null when it does not say",
        },
        "skipped": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"]},
        "failed": {"type": "boolean"},
        "probes": {"type": "array", "items": _PROBE},
    },
}

_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}

SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "statusguard check report",
    "type": "object",
    "required": ["schema", "statusguard", "apps", "summary", "routes", "findings", "failures"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": SCHEMA_VERSION},
        "statusguard": {"type": "string"},
        "apps": {"type": "array", "items": {"type": "string"}},
        "summary": {
            "type": "object",
            "required": [
                "routes",
                "skipped",
                "probes",
                "responses",
                "violations",
                "errors",
                "warnings",
                "infos",
                "failures",
                "exit_status",
                "text",
            ],
            "additionalProperties": False,
            "properties": {
                "routes": _COUNT,
                "skipped": _COUNT,
                "probes": _COUNT,
                "responses": _COUNT,
                "violations": _COUNT,
                "errors": _COUNT,
                "warnings": _COUNT,
                "infos": _COUNT,
                "failures": _COUNT,
                "exit_status": {"enum": [0, 1]},
                "text": {"type": "string"},
            },
        },
        "routes": {"type": "array", "items": _ROUTE},
        "findings": {
            "type": "array",
            "description": "every violation, flat, with where it was found",
            "items": {
                "type": "object",
                "required": [*_WHERE, *_VIOLATION["required"]],
                "additionalProperties": False,
                "properties": {**_WHERE, **_VIOLATION["properties"]},
            },
        },
        "failures": {
            "type": "array",
            "description": "the probes that got no response to judge, and why",
            "items": {
                "type": "object",
                "required": [*_WHERE, "error"],
                "additionalProperties": False,
                "properties": {**_WHERE, "error": {"type": "string"}},
            },
        },
    },
}
