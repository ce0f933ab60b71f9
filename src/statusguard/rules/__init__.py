"""The rule catalogue: an explicit tuple, in the order the engine applies the rules.

Order matters for fixes: malformed lines are dropped first, then framing is made consistent,
then the per-field and per-status rules see the cleaned head, and the body rules come last.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..model import Rule
from . import (
    client_error,
    fields,
    framing,
    informational,
    redirection,
    status_line,
    successful,
)

CATALOGUE: tuple[Rule, ...] = (
    fields.FIELD_NAME_INVALID,
    fields.FIELD_VALUE_INVALID,
    fields.FIELD_VALUE_WHITESPACE,
    *status_line.RULES,
    framing.HOP_BY_HOP_FIELD,
    framing.CONNECTION_SPECIFIC_FIELD,
    framing.CONTENT_LENGTH_FORBIDDEN,
    framing.TRANSFER_ENCODING_FORBIDDEN,
    framing.TRANSFER_ENCODING_INVALID,
    framing.CONTENT_LENGTH_WITH_TRANSFER_ENCODING,
    framing.CONTENT_LENGTH_INVALID,
    fields.FIELD_DUPLICATE,
    fields.DATE_INVALID,
    fields.DATE_MISSING,
    fields.LOCATION_INVALID,
    fields.CONTENT_RANGE_INVALID,
    fields.RETRY_AFTER_INVALID,
    fields.ETAG_INVALID,
    fields.LAST_MODIFIED_INVALID,
    *informational.RULES,
    *successful.RULES,
    *redirection.RULES,
    *client_error.RULES,
    framing.CONTENT_FORBIDDEN,
    framing.HEAD_CONTENT,
    framing.CONTENT_LENGTH_MISMATCH,
    fields.CONTENT_TYPE_MISSING,
)

RULES_BY_ID: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in CATALOGUE})

__all__ = ["CATALOGUE", "RULES_BY_ID"]
