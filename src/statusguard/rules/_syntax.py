"""Field syntax shared by the rules (RFC 9110 §5).  Compiled once; no I/O."""

from __future__ import annotations

import re
import time
from email.utils import formatdate

# token = 1*tchar (RFC 9110 §5.6.2)
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# "a recipient of CR, LF, or NUL within a field value MUST either reject the message or replace
# each of those characters with SP" (RFC 9110 §5.5); the other CTLs are outside field-vchar too.
SPLITTING = re.compile(rb"[\r\n\x00]")
CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# field-value = *field-content, which neither starts nor ends with SP or HTAB (RFC 9110 §5.5):
# no CONTROL character, and no surrounding whitespace.
FIELD_VALUE = re.compile(
    rb"(?:[^\x00-\x1f\x7f ](?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x1f\x7f ])?)?"
)
# IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT (RFC 9110 §5.6.7)
IMF_FIXDATE = re.compile(
    rb"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (0[1-9]|[12][0-9]|3[01]) "
    rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    rb"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60) GMT"
)
DIGITS = re.compile(rb"[0-9]+")
# URI-reference (RFC 3986 §4.1) over its character set: no SP, no CTL, no non-ASCII, and every
# "%" followed by two hex digits; a scheme, when present, is ALPHA *( ALPHA / DIGIT / + - . ).
URI_REFERENCE = re.compile(
    rb"(?:[A-Za-z][A-Za-z0-9+\-.]*:)?"
    rb"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?\[\]]|%[0-9A-Fa-f]{2})*"
    rb"(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?"
)


def is_field_value(value: bytes) -> bool:
    """Whether ``value`` is a well-formed field value: ``FIELD_VALUE``, with the string methods
    first for the common values (a regular expression costs more than the check itself)."""
    if value.isalnum():  # ASCII letters and digits: ids, numbers, hashes
        return True
    if value.isascii() and value.decode("ascii").isprintable():  # VCHAR and SP only
        return value[:1] != b" " and value[-1:] != b" "
    return FIELD_VALUE.fullmatch(value) is not None


_date_cache: tuple[int, bytes] = (0, b"")


def now_imf_fixdate() -> bytes:
    """The current time as an IMF-fixdate, formatted at most once per second."""
    global _date_cache
    second = int(time.time())
    cached_second, value = _date_cache
    if cached_second != second:
        value = formatdate(second, usegmt=True).encode("ascii")
        _date_cache = (second, value)
    return value


# Valid IMF-fixdates already seen: a Date value repeats on every response of its second (and
# a static one forever), and parsing it costs microseconds.  Bounded; emptied when full.
_FIXDATES: set[bytes] = set()
_FIXDATES_MAX = 1024


def is_imf_fixdate(value: bytes) -> bool:
    """Whether ``value`` is a well-formed IMF-fixdate naming a real calendar date."""
    if value in _FIXDATES:
        return True
    if IMF_FIXDATE.fullmatch(value) is None:
        return False
    from werkzeug.http import parse_date  # loaded only by the rules that parse dates

    if parse_date(value.decode("ascii")) is None:
        return False
    if len(_FIXDATES) >= _FIXDATES_MAX:
        _FIXDATES.clear()
    _FIXDATES.add(bytes(value))
    return True


def is_http_date(value: bytes) -> bool:
    """Any of the three HTTP-date forms a recipient accepts (RFC 9110 §5.6.7)."""
    from werkzeug.http import parse_date

    return parse_date(value.decode("latin-1")) is not None


def show(value: bytes) -> str:
    """A field value quoted for a message: as text, with control characters escaped."""
    return repr(value.decode("latin-1"))
