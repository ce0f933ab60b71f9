"""Field syntax and the fields every response shares (RFC 9110 §5, §6.6.1, §8.3, §10.2,
§14.4).

Pure functions of the head.  Only the rules that parse a value (dates, Content-Range) load
``werkzeug.http``, and only when the field is present.
"""

from __future__ import annotations

import re

from ..model import (
    EVERY_FIELD,
    SHAPE_ONLY,
    ContentUse,
    Head,
    HeaderList,
    Reference,
    Rule,
    Severity,
)
from ._syntax import (
    CONTROL,
    DIGITS,
    TOKEN,
    is_http_date,
    is_imf_fixdate,
    is_uri_reference,
    no_control_in_values,
    now_imf_fixdate,
    show,
)
from .framing import NO_CONTENT_STATUSES

# A bounded memo of names already seen to be tokens: names repeat across responses, so the
# regular expression runs once per distinct name, not once per response.
_TOKEN_NAMES: set[bytes] = set()
_TOKEN_NAMES_MAX = 4096


def _is_token(name: bytes) -> bool:
    if name in _TOKEN_NAMES:
        return True
    if TOKEN.fullmatch(name) is None:
        return False
    if len(_TOKEN_NAMES) < _TOKEN_NAMES_MAX:
        _TOKEN_NAMES.add(name)
    return True


def _name_invalid(head: Head) -> str | None:
    for name, _ in head.headers:
        if not _is_token(name):
            return f"the field name {show(name)} is not a token."
    return None


def _name_invalid_fix(head: Head) -> Head:
    return head.with_headers([(n, v) for n, v in head.headers if _is_token(n)])


def _value_invalid(head: Head) -> str | None:
    for name, value in head.headers:
        if CONTROL.search(value) is not None:
            return f"the value of {name.decode('latin-1')} is {show(value)}."
    return None


def _value_invalid_fix(head: Head) -> Head:
    # Control characters would split or corrupt the message: drop the line.
    return head.with_headers([(n, v) for n, v in head.headers if CONTROL.search(v) is None])


def _no_control(value: bytes) -> bool:
    return CONTROL.search(value) is None


def _value_surrounded(head: Head) -> str | None:
    for name, value in head.headers:
        if value[:1] in _WHITESPACE or value[-1:] in _WHITESPACE:
            return (
                f"the value of {name.decode('latin-1')} has surrounding whitespace: {show(value)}."
            )
    return None


def _value_surrounded_fix(head: Head) -> Head:
    return head.with_headers([(n, v.strip(b" \t")) for n, v in head.headers])


_WHITESPACE = (b" ", b"\t")


def _not_surrounded(value: bytes) -> bool:
    return value[:1] not in _WHITESPACE and value[-1:] not in _WHITESPACE


SINGLETONS = (
    b"age",
    b"content-location",
    b"content-range",
    b"content-type",
    b"date",
    b"etag",
    b"expires",
    b"last-modified",
    b"location",
    b"retry-after",
    b"server",
)


def _duplicate(head: Head) -> str | None:
    fields = head.fields
    repeated = [n for n in SINGLETONS if len(fields.get(n, ())) > 1]
    if repeated:
        names = ", ".join(f"{n.decode()} ×{len(fields[n])}" for n in repeated)
        return f"the response repeats {names}."
    return None


def _duplicate_fix(head: Head) -> Head:
    fields = head.fields
    keep: dict[bytes, bytes | None] = {}  # name → the one value to keep (None: drop all)
    for name in SINGLETONS:
        values = fields.get(name, ())
        if len(values) > 1:
            if len(set(values)) == 1:
                keep[name] = values[0]
            elif name == b"date":
                valid = [v for v in values if is_imf_fixdate(v)]
                keep[name] = valid[0] if valid else None
    if not keep:
        return head
    headers: HeaderList = []
    kept: set[bytes] = set()  # names whose one value is already in: drop the later lines
    for name, value in head.headers:
        key = name.lower()
        if key in keep:
            if keep[key] != value or key in kept:
                continue
            kept.add(key)
        headers.append((name, value))
    return head.with_headers(headers)


def _date_missing(head: Head) -> str | None:
    if head.server_date != "never" or b"date" in head.fields:
        return None
    return f"a {head.status} response has no Date and the server does not add one."


def _date_missing_fix(head: Head) -> Head:
    return head.with_headers([*head.headers, (b"Date", now_imf_fixdate())])


def _date_invalid(head: Head) -> str | None:
    for value in head.fields.get(b"date", ()):
        if not is_imf_fixdate(value):
            return f"Date is {show(value)}."
    return None


def _date_invalid_fix(head: Head) -> Head:
    headers = head.without(b"date")
    if head.server_date != "always":
        headers.append((b"Date", now_imf_fixdate()))
    return head.with_headers(headers)


def _type_missing(head: Head) -> str | None:
    if (
        not head.has_content
        or head.method == "HEAD"
        or head.status in NO_CONTENT_STATUSES
        or b"content-type" in head.fields
    ):
        return None
    return f"a {head.status} response carries content but no Content-Type."


def _type_watched(head: Head) -> bool:
    return (
        head.method != "HEAD"
        and head.status not in NO_CONTENT_STATUSES
        and b"content-type" not in head.fields
    )


def _location_invalid(head: Head) -> str | None:
    for value in head.fields.get(b"location", ()):
        if not is_uri_reference(value):
            return f"Location {show(value)} is not a URI-reference."
    return None


def _content_range_ok(value: bytes) -> bool:
    from werkzeug.http import parse_content_range_header

    parsed = parse_content_range_header(value.decode("latin-1"))
    # "A Content-Range field value is invalid if it contains a range-resp that has a last-pos
    # value less than its first-pos value, or a complete-length value less than or equal to
    # its last-pos value." (RFC 9110 §14.4)
    if parsed is None or (parsed.start is None and parsed.length is None):
        return False  # unsatisfied-range = "*/" complete-length: werkzeug takes "*/*" too
    return parsed.length is None or parsed.stop is None or parsed.stop <= parsed.length


def _content_range_invalid(head: Head) -> str | None:
    for value in head.fields.get(b"content-range", ()):
        if not _content_range_ok(value):
            return f"Content-Range {show(value)} does not parse as a byte range."
    return None


def _retry_after_ok(value: bytes) -> bool:
    value = value.strip(b" \t")
    return DIGITS.fullmatch(value) is not None or is_http_date(value)


def _retry_after_invalid(head: Head) -> str | None:
    for value in head.fields.get(b"retry-after", ()):
        if not _retry_after_ok(value):
            return f"Retry-After is {show(value.strip(_WHITESPACE_BYTES))}."
    return None


_WHITESPACE_BYTES = b" \t"

# entity-tag = [ weak ] opaque-tag; weak = %s"W/"; opaque-tag = DQUOTE *etagc DQUOTE;
# etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3).  werkzeug's LintMiddleware warns on an
# unquoted ETag; werkzeug.http.unquote_etag accepts one, so the grammar is checked here.
_ENTITY_TAG = re.compile(rb'(W/)?"[\x21\x23-\x7e\x80-\xff]*"')

_ETAG_MATCH = _ENTITY_TAG.fullmatch

# The statuses on which a validator carries meaning: 2xx, 304 and 412 (RFC 9110 §8.8, §13.1).
VALIDATOR_STATUSES = frozenset({*range(200, 300), 304, 412})


def _etag_ok(value: bytes) -> bool:
    return _ETAG_MATCH(value.strip(_WHITESPACE_BYTES)) is not None


def _etag_invalid(head: Head) -> str | None:
    for value in head.fields.get(b"etag", ()):
        if not _etag_ok(value):
            return f"ETag {show(value.strip(_WHITESPACE_BYTES))} is not an entity-tag."
    return None


def _last_modified_ok(value: bytes) -> bool:
    return is_imf_fixdate(value.strip(_WHITESPACE_BYTES))


def _last_modified_invalid(head: Head) -> str | None:
    for value in head.fields.get(b"last-modified", ()):
        if not _last_modified_ok(value):
            return f"Last-Modified is {show(value.strip(_WHITESPACE_BYTES))}."
    return None


FIELD_NAME_INVALID = Rule(
    id="field-name-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "5.1"),
    summary="A field name is a token",
    quote=(
        "field-name = token | A sender MUST NOT generate protocol elements that do not match "
        "the grammar defined by the corresponding ABNF rules. (RFC 9110 §2.2)"
    ),
    check=_name_invalid,
    fix=_name_invalid_fix,
    fix_summary="drop the field",
    reads=SHAPE_ONLY,
)

FIELD_VALUE_INVALID = Rule(
    id="field-value-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "5.5"),
    summary="A field value cannot contain CR, LF, NUL or other control characters",
    quote=(
        "Field values containing CR, LF, or NUL characters are invalid and dangerous, due to "
        "the varying ways that implementations might parse and interpret those characters; a "
        "recipient of CR, LF, or NUL within a field value MUST either reject the message or "
        "replace each of those characters with SP before further processing or forwarding of "
        "that message."
    ),
    check=_value_invalid,
    fix=_value_invalid_fix,
    fix_summary="drop the field (its control characters would split or corrupt the response)",
    reads=EVERY_FIELD,
    accepts=_no_control,
    accepts_all=no_control_in_values,
)

# "A field value MUST NOT start or end with an ASCII whitespace character (ASCII SP or HTAB,
# 0x20 or 0x09)." (RFC 9113 §8.2.1; RFC 9114 §4.2 for HTTP/3).  In HTTP/1.1 whitespace around a
# value is optional whitespace of the field line, not part of the value (RFC 9112 §5:
# field-line = field-name ":" OWS field-value OWS): Django's WSGI handler sends every
# Set-Cookie with a leading space, which is correct there.
FIELD_VALUE_WHITESPACE = Rule(
    id="field-value-whitespace",
    severity=Severity.ERROR,
    reference=Reference(9113, "8.2.1"),
    summary="An HTTP/2 or HTTP/3 field value cannot start or end with whitespace",
    quote=(
        "A field value MUST NOT start or end with an ASCII whitespace character (ASCII SP or "
        "HTAB, 0x20 or 0x09)."
    ),
    check=_value_surrounded,
    fix=_value_surrounded_fix,
    fix_summary="strip the surrounding whitespace",
    reads=EVERY_FIELD,
    accepts=_not_surrounded,
    versions=frozenset({"2", "3"}),
)

FIELD_DUPLICATE = Rule(
    id="field-duplicate",
    severity=Severity.ERROR,
    reference=Reference(9110, "5.3"),
    summary="A singleton field appears once",
    quote=(
        "a sender MUST NOT generate multiple field lines with the same name in a message "
        "(whether in the headers or trailers) or append a field line when a field line of the "
        "same name already exists in the message, unless that field's definition allows "
        "multiple field line values to be recombined as a comma-separated list"
    ),
    check=_duplicate,
    fix=_duplicate_fix,
    fix_summary="collapse identical copies; of several Dates, keep the first valid one",
    reads=SHAPE_ONLY,
)

DATE_MISSING = Rule(
    id="date-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "6.6.1"),
    summary="An origin server with a clock sends Date on 2xx, 3xx and 4xx responses",
    quote=(
        "An origin server with a clock (as defined in Section 5.6.7) MUST generate a Date "
        "header field in all 2xx (Successful), 3xx (Redirection), and 4xx (Client Error) "
        "responses, and MAY generate a Date header field in 1xx (Informational) and 5xx "
        "(Server Error) responses."
    ),
    check=_date_missing,
    fix=_date_missing_fix,
    fix_summary="add Date",
    statuses=frozenset(range(200, 500)),
    # Behind a server, a missing Date is the server's to add (or the compatibility step
    # server-date-missing's, statusguard.servers): only a response that is what goes on the
    # wire (server_date "never": check(), a captured response, server="wire") breaks it.
    reads=SHAPE_ONLY,
)

# date-invalid, location-invalid and retry-after-invalid are errors, not warnings: "a sender
# MUST NOT generate protocol elements that do not match the grammar defined by the
# corresponding ABNF rules" (RFC 9110 §2.2), and "the sender MUST generate those timestamps in
# the IMF-fixdate format" (RFC 9110 §5.6.7).
DATE_INVALID = Rule(
    id="date-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "5.6.7"),
    summary="Date is an IMF-fixdate",
    quote=(
        "When a sender generates a field that contains one or more timestamps defined as "
        "HTTP-date, the sender MUST generate those timestamps in the IMF-fixdate format."
    ),
    check=_date_invalid,
    fix=_date_invalid_fix,
    fix_summary="replace it with the current time, or leave it to the server",
    reads=frozenset({b"date"}),
    accepts=is_imf_fixdate,
)

CONTENT_TYPE_MISSING = Rule(
    id="content-type-missing",
    severity=Severity.WARNING,
    reference=Reference(9110, "8.3"),
    summary="A response with content should say its Content-Type",
    quote=(
        "A sender that generates a message containing content SHOULD generate a Content-Type "
        "header field in that message unless the intended media type of the enclosed "
        "representation is unknown to the sender."
    ),
    check=_type_missing,
    phase="body",
    content=ContentUse(reads="presence", when=_type_watched),
    reads=SHAPE_ONLY,
)

LOCATION_INVALID = Rule(
    id="location-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "10.2.2"),
    summary="Location is a single URI-reference",
    quote="Location = URI-reference | The field value consists of a single URI-reference.",
    check=_location_invalid,
    reads=frozenset({b"location"}),
    accepts=is_uri_reference,
)

CONTENT_RANGE_INVALID = Rule(
    id="content-range-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "14.4"),
    summary="Content-Range is a valid byte range",
    quote=(
        "A Content-Range field value is invalid if it contains a range-resp that has a "
        "last-pos value less than its first-pos value, or a complete-length value less than "
        "or equal to its last-pos value."
    ),
    check=_content_range_invalid,
    reads=frozenset({b"content-range"}),
    accepts=_content_range_ok,
)

RETRY_AFTER_INVALID = Rule(
    id="retry-after-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "10.2.3"),
    summary="Retry-After is an HTTP-date or a number of seconds",
    quote="Retry-After = HTTP-date / delay-seconds",
    check=_retry_after_invalid,
    reads=frozenset({b"retry-after"}),
    accepts=_retry_after_ok,
)

# "An entity-tag consists of an opaque quoted string, possibly prefixed by a weakness
# indicator." (RFC 9110 §8.8.3); a quoted string is what caches and If-None-Match compare.
ETAG_INVALID = Rule(
    id="etag-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "8.8.3"),
    summary="ETag is an entity-tag: a quoted string, maybe prefixed by W/",
    quote=(
        "An entity-tag consists of an opaque quoted string, possibly prefixed by a weakness "
        "indicator. | entity-tag = [ weak ] opaque-tag"
    ),
    check=_etag_invalid,
    statuses=VALIDATOR_STATUSES,
    reads=frozenset({b"etag"}),
    accepts=_etag_ok,
)

# Last-Modified = HTTP-date (RFC 9110 §8.8.2), which "the sender MUST generate ... in the
# IMF-fixdate format" (§5.6.7).
LAST_MODIFIED_INVALID = Rule(
    id="last-modified-invalid",
    severity=Severity.ERROR,
    reference=Reference(9110, "8.8.2"),
    summary="Last-Modified is an IMF-fixdate",
    quote=(
        "Last-Modified = HTTP-date | When a sender generates a field that contains one or "
        "more timestamps defined as HTTP-date, the sender MUST generate those timestamps in "
        "the IMF-fixdate format. (RFC 9110 §5.6.7)"
    ),
    check=_last_modified_invalid,
    statuses=VALIDATOR_STATUSES,
    reads=frozenset({b"last-modified"}),
    accepts=_last_modified_ok,
)

RULES = (
    FIELD_NAME_INVALID,
    FIELD_VALUE_INVALID,
    FIELD_VALUE_WHITESPACE,
    FIELD_DUPLICATE,
    DATE_INVALID,
    DATE_MISSING,
    LOCATION_INVALID,
    CONTENT_RANGE_INVALID,
    RETRY_AFTER_INVALID,
    ETAG_INVALID,
    LAST_MODIFIED_INVALID,
    CONTENT_TYPE_MISSING,
)
