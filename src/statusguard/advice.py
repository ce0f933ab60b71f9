"""What to change in the application, per rule, in the words of the framework when it is known.

Strict mode's :class:`~statusguard.StatusGuardError` quotes, for each violation, the sentence of
the specification and one of these.  The framework is told from the wrapped application once,
when a guard is built (:func:`framework_of`); the Django middleware is ``"django"``.  Pure
data: no framework is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = ["ADVICE", "FRAMEWORKS", "advice", "framework_of"]

# The frameworks an advice can name.  FastAPI is Starlette's: a "starlette" advice serves both.
FRAMEWORKS: Final = ("flask", "django", "fastapi", "starlette")

_MODULES: Final = {
    "flask": "flask",
    "django": "django",
    "rest_framework": "django",
    "fastapi": "fastapi",
    "starlette": "starlette",
}

_A = Mapping[str, str]


def _a(generic: str, **frameworks: str) -> _A:
    return MappingProxyType({"": generic, **frameworks})


_HEADERS_STARLETTE = "pass headers={{{}}} to the Response (or to HTTPException)"

# rule id → framework ("" for any) → what to change.
ADVICE: Mapping[str, _A] = MappingProxyType(
    {
        "field-name-invalid": _a(
            "Use a header name made of letters, digits and !#$%&'*+-.^_`|~ only (no space, no "
            "colon)."
        ),
        "field-value-invalid": _a(
            "Never put CR, LF or other control characters in a header value; a value taken "
            "from the request (a cookie path, a redirect target) must be validated or quoted.",
            django=(
                "Validate what goes into a header or a cookie attribute (set_cookie(path=...), "
                "domain=...) when it comes from the request: http.cookies quotes values only."
            ),
        ),
        "field-value-whitespace": _a(
            "Strip the value before setting it: HTTP/2 and HTTP/3 refuse surrounding whitespace."
        ),
        "status-code-invalid": _a("Send a three-digit status code from 100 to 599."),
        "status-code-unregistered": _a(
            "Use a registered status code if one says what you mean (clients treat an "
            "unknown code as the x00 of its class)."
        ),
        "status-code-deprecated": _a(
            "Use a current status code (418 is reserved, 305 and 306 are no longer used)."
        ),
        "status-interim-final": _a(
            "Send a final status (2xx-5xx); interim 1xx responses are the server's to send."
        ),
        "reason-phrase-invalid": _a(
            "Use a reason phrase of visible characters and spaces, or the standard one.",
            flask="Return the status as an int (return body, 404): werkzeug adds the phrase.",
        ),
        "hop-by-hop-field": _a(
            "Do not set Connection, Keep-Alive, Transfer-Encoding, Upgrade or TE from a WSGI "
            "application: they are the server's (PEP 3333)."
        ),
        "connection-specific-field": _a(
            "Do not set Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding or Upgrade "
            "on a response that may go out over HTTP/2 or HTTP/3."
        ),
        "content-length-forbidden": _a(
            "Do not set Content-Length on a 1xx or 204 response, or on a 2xx to CONNECT.",
            django=(
                "CommonMiddleware adds Content-Length: 0 to every non-streaming response, 204 "
                "included: let fix mode drop it, or delete response['Content-Length'] for a 204 "
                "in a middleware that runs after CommonMiddleware."
            ),
        ),
        "transfer-encoding-forbidden": _a(
            "Do not set Transfer-Encoding yourself: the server chooses the framing."
        ),
        "transfer-encoding-invalid": _a(
            "Do not set Transfer-Encoding yourself: the server chooses the framing."
        ),
        "content-length-with-transfer-encoding": _a(
            "Send either Content-Length or Transfer-Encoding, never both: leave the framing "
            "to the server."
        ),
        "content-length-invalid": _a(
            "Set Content-Length once, to the number of content bytes, or not at all."
        ),
        "field-duplicate": _a(
            "Set the field once: headers[name] = value replaces, add()/append() repeats it.",
            flask="Use response.headers[name] = value (or .set), not .add, for this field.",
            django="Set response[name] = value once; do not add it in two middlewares.",
        ),
        "date-invalid": _a(
            "Format Date as an IMF-fixdate, email.utils.formatdate(ts, usegmt=True), or leave "
            "it to the server.",
            flask="Use werkzeug.http.http_date(ts), or leave Date to the server.",
            django="Use django.utils.http.http_date(ts), or leave Date to the server.",
        ),
        "date-missing": _a(
            "Add Date (email.utils.formatdate(usegmt=True)) or run behind a server that adds it."
        ),
        "location-invalid": _a(
            "Percent-encode the redirect target (urllib.parse.quote(path, safe='/?=&#%')).",
            flask="Build it with url_for(...), which encodes it.",
            django="Build it with reverse(...) or iri_to_uri(...), which encode it.",
        ),
        "content-range-invalid": _a(
            "Send Content-Range as bytes first-last/length (or bytes */length on a 416), "
            "with first <= last < length."
        ),
        "retry-after-invalid": _a(
            "Send Retry-After as a number of seconds (Retry-After: 120) or an HTTP-date."
        ),
        "etag-invalid": _a(
            'Quote the entity tag: ETag: "v1" (or W/"v1" for a weak one).',
            flask='Use response.set_etag("v1"), which quotes it.',
            django="Use django.utils.http.quote_etag(value), or the etag() view decorator.",
            starlette=_HEADERS_STARLETTE.format("'ETag': '\"v1\"'"),
        ),
        "last-modified-invalid": _a(
            "Format Last-Modified as an IMF-fixdate: email.utils.formatdate(ts, usegmt=True).",
            flask="Set response.last_modified = a datetime: werkzeug formats it.",
            django="Use django.utils.http.http_date(ts), or the last_modified() view decorator.",
        ),
        "upgrade-missing": _a(
            "Name the protocol to switch to in Upgrade (Upgrade: websocket, or HTTP/2.0 on a 426)."
        ),
        "upgrade-unrequested": _a(
            "Switch only to a protocol the request's Upgrade named; otherwise answer without "
            "switching."
        ),
        "continue-unrequested": _a(
            "Leave 100 Continue to the server: it answers a request's Expect: 100-continue."
        ),
        "created-location-missing": _a(
            "Name the new resource in Location.",
            flask='return body, 201, {"Location": url_for("item", id=item.id)}',
            django='response["Location"] = reverse("item", args=[item.id])',
            starlette=_HEADERS_STARLETTE.format("'Location': url"),
        ),
        "content-range-missing": _a(
            "Send Content-Range: bytes first-last/length with a single-part 206 (or a "
            "multipart/byteranges body); simplest, let the framework serve ranges.",
            flask="Serve files with send_file(..., conditional=True), which answers Range.",
            starlette="Serve files with FileResponse, which answers Range.",
        ),
        "content-range-length-mismatch": _a(
            "Make Content-Length the length of the range Content-Range names (last - first + 1)."
        ),
        "partial-content-unrequested": _a(
            "Answer 200 with the whole representation when the request had no Range."
        ),
        "partial-content-multipart-single-range": _a(
            "Answer a single range with a single-part 206 and Content-Range, not "
            "multipart/byteranges."
        ),
        "content-range-unrequested": _a(
            "Send the range the request asked for (its Range header), or the whole "
            "representation with 200."
        ),
        "im-used-etag-missing": _a(
            'Send the ETag of the current instance with a 226: ETag: "v2".'
        ),
        "location-missing": _a(
            "Name the target in Location.",
            flask="return redirect(url_for(...))",
            django="return HttpResponseRedirect(url) (or redirect(...))",
            starlette="return RedirectResponse(url)",
        ),
        "not-modified-representation-fields": _a(
            "Send a 304 without Content-Type, Content-Encoding, Content-Language or "
            "Content-Range: the client keeps the ones it has.",
            flask="Return make_response(...).make_conditional(request): werkzeug builds the 304.",
            django="Use ConditionalGetMiddleware or the condition() decorator to build the 304.",
        ),
        "not-modified-unconditional": _a(
            "Answer 304 only to a GET or HEAD carrying If-None-Match or If-Modified-Since; "
            "otherwise 200 with the content."
        ),
        "not-modified-method": _a(
            "Answer a failed precondition on POST, PUT, PATCH or DELETE with 412, not 304."
        ),
        "www-authenticate-missing": _a(
            'Send a challenge with every 401: WWW-Authenticate: Bearer realm="api" (or use 403 '
            "when no credentials would help).",
            flask='abort(401, www_authenticate=WWWAuthenticate("Bearer", {"realm": "api"}))',
            django='response["WWW-Authenticate"] = \'Bearer realm="api"\'',
            fastapi=(
                "raise HTTPException(401, headers={'WWW-Authenticate': 'Bearer'}), as "
                "fastapi.security does"
            ),
            starlette="raise HTTPException(401, headers={'WWW-Authenticate': 'Bearer'})",
        ),
        "allow-missing": _a(
            "List the methods the resource supports in Allow: Allow: GET, POST.",
            flask='abort(405, valid_methods=["GET", "POST"]), or declare methods= on the route',
            django='return HttpResponseNotAllowed(["GET", "POST"])',
            starlette="raise HTTPException(405, headers={'Allow': 'GET, POST'})",
        ),
        "allow-lists-request-method": _a(
            "List in Allow only the methods the resource supports: not the one it refuses.",
            django=(
                "Pass HttpResponseNotAllowed the methods the view implements, without "
                "request.method (a class-based View does: http_method_not_allowed)."
            ),
        ),
        "get-head-unsupported": _a(
            "Answer HEAD wherever GET is answered (same head, no content), and never refuse "
            "GET or HEAD with 501.",
            fastapi=(
                'Declare HEAD beside GET: @app.api_route("/path", methods=["GET", "HEAD"]) '
                "(@app.get registers GET only)."
            ),
        ),
        "proxy-authenticate-missing": _a(
            "Send Proxy-Authenticate with a 407 (only a proxy sends 407)."
        ),
        "precondition-failed-unrequested": _a(
            "Answer 412 only when an If-Match, If-Unmodified-Since or If-None-Match of the "
            "request failed; use 409 or 422 for other refusals."
        ),
        "content-range-recommended": _a(
            "Send Content-Range: bytes */length with a 416.",
            flask="raise RequestedRangeNotSatisfiable(length=size) (werkzeug.exceptions).",
            starlette="Serve files with FileResponse, which answers an unsatisfiable Range.",
        ),
        "range-not-satisfiable-content-range": _a(
            "Send Content-Range: bytes */length (the current length) with a 416."
        ),
        "expectation-failed-unrequested": _a(
            "Answer 417 only to a request whose Expect cannot be met; use 400 otherwise."
        ),
        "content-forbidden": _a(
            "Send no content with a 1xx, 204, 205 or 304.",
            flask='return "", 204',
            django="return HttpResponse(status=204) (DRF: Response(status=204), without data)",
            fastapi=(
                "return Response(status_code=204) without content (or status_code=204 with "
                "response_class=Response on the route)"
            ),
            starlette="return Response(status_code=204) without content",
        ),
        "head-content": _a(
            "Send the GET head without content to HEAD (the server usually does this)."
        ),
        "content-length-mismatch": _a(
            "Do not set Content-Length by hand on content you build or stream; let the "
            "framework or the server count it.",
        ),
        "content-type-missing": _a(
            "Say what the content is: Content-Type: text/plain; charset=utf-8.",
            flask='Response(body, mimetype="text/plain")',
            django='HttpResponse(body, content_type="text/plain")',
            starlette='Response(body, media_type="text/plain") (or PlainTextResponse)',
        ),
    }
)


def advice(rule_id: str, framework: str = "") -> str:
    """What to change for ``rule_id``: the framework's words when there are some (FastAPI's
    falling back on Starlette's), else the generic ones, else ``""`` (a rule of your own)."""
    entry = ADVICE.get(rule_id)
    if entry is None:
        return ""
    if framework in entry:
        return entry[framework]
    if framework == "fastapi" and "starlette" in entry:
        return entry["starlette"]
    return entry[""]


def framework_of(app: Any) -> str:
    """The framework of a WSGI or ASGI application (``""`` when none is recognised): the
    module its class (or, for a bound method such as Flask's ``wsgi_app``, its owner's class)
    is defined in.  Nothing is imported."""
    for candidate in (getattr(app, "__self__", None), app):
        if candidate is None:
            continue
        for cls in type(candidate).__mro__:
            module = cls.__module__.split(".", 1)[0]
            if module in _MODULES:
                return _MODULES[module]
    return ""
