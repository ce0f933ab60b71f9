"""Rules of the 3xx (Redirection) class (RFC 9110 §15.4).

No guessed Location: a missing one is reported, never invented."""

from __future__ import annotations

from ..model import SHAPE_ONLY, Head, Reference, Rule, Severity
from ._common import requires

NOT_MODIFIED_METADATA = (
    b"content-encoding",
    b"content-language",
    b"content-range",
    b"content-type",
)


def _not_modified_fields(head: Head) -> str | None:
    found = [n.decode() for n in NOT_MODIFIED_METADATA if n in head.fields]
    if not found:
        return None
    return f"a 304 response carries {', '.join(found)}."


def _not_modified_fix(head: Head) -> Head:
    return head.with_headers(head.without(*NOT_MODIFIED_METADATA))


LOCATION_MISSING = Rule(
    id="location-missing",
    severity=Severity.WARNING,
    reference=Reference(9110, "15.4"),
    summary="A redirect names its target in Location",
    check=requires(b"location", "Location"),
    statuses=frozenset({301, 302, 303, 307, 308}),
    reads=SHAPE_ONLY,
)

NOT_MODIFIED_REPRESENTATION_FIELDS = Rule(
    id="not-modified-representation-fields",
    severity=Severity.WARNING,
    reference=Reference(9110, "15.4.5"),
    summary="A 304 response should not carry representation metadata",
    check=_not_modified_fields,
    fix=_not_modified_fix,
    fix_summary="remove the representation metadata fields",
    statuses=frozenset({304}),
    reads=SHAPE_ONLY,
)

RULES = (
    LOCATION_MISSING,
    NOT_MODIFIED_REPRESENTATION_FIELDS,
)
