"""FastAPI routes that reproduce the status-code bugs users keep reporting, behind statusguard.

Run it from this directory (the mode comes from ``STATUSGUARD_MODE``; ``warn`` when unset)::

    STATUSGUARD_MODE=fix uvicorn fastapi_app:app --http httptools
    curl -i -X POST http://127.0.0.1:8000/items/1/archive

``bare`` is the same app without the middleware (``uvicorn fastapi_app:bare``), to see what the
servers do on their own.  What each route does, as observed on 127.0.0.1 with FastAPI 0.165,
Starlette 1.10, uvicorn 0.54 (``--http h11`` and ``--http httptools``) and hypercorn 0.18, and
checked by ``tests/contrib/test_fastapi.py``:

``DELETE /items/{id}`` -- ``status_code=204`` and the handler returns a dict.
    FastAPI 0.165 empties the body of a *serialized* return on 204/205/304 and Starlette adds no
    Content-Length to a 204, so this one is already clean: nothing to report in any mode.

``POST /items/{id}/archive`` -- ``Response(status_code=204, content=...)``.
    A returned ``Response`` is sent as built, content included.  Bare: uvicorn-h11 raises
    "Too much data for declared Content-Length" after the head went out and drops the
    connection; uvicorn-httptools raises "Response content longer than Content-Length" and
    drops it too; hypercorn drops the content silently.
    warn: the same bytes reach the server; ``[content-forbidden]`` is logged.
    fix: the content is discarded; a clean 204 on every server, logged as fixed.
    strict: ``StatusGuardError`` is raised before the head reaches the server, which answers
    500 (Starlette's error page) and logs the error with the rule.

``PUT /items/{id}/reset`` -- ``status_code=205`` and the handler returns ``None``.
    FastAPI empties the body but keeps the ``content-length: 4`` computed for ``null``.  Bare:
    every server waits for 4 bytes that never come and drops the connection mid-response
    ("Too little data for declared Content-Length" from h11 in uvicorn-h11 and hypercorn,
    "Response content shorter than Content-Length" from uvicorn-httptools).
    warn: unchanged, ``[content-forbidden]`` logged.  fix: ``content-length: 0``, the explicit
    zero-length framing a 205 needs; clean everywhere.  strict: 500.

``GET /me`` -- ``HTTPException(401)`` without ``WWW-Authenticate``.
    Every server sends it as is.  warn and fix: sent unchanged and
    ``[www-authenticate-missing]`` logged -- fix mode never invents a challenge.  strict: 500.

``GET /plain`` (and ``HEAD /plain``, declared beside it) is a correct response, for
comparison.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException, Response

from statusguard.asgi import ASGIStatusGuard

router = APIRouter()


@router.delete("/items/{item_id}", status_code=204, response_model=None)
def delete_item(item_id: int) -> dict[str, int]:
    # The classic: a 204 route that still returns something.
    return {"deleted": item_id}


@router.post("/items/{item_id}/archive")
def archive_item(item_id: int) -> Response:
    # A Response object is sent as built: Starlette keeps the content of a 204.
    return Response(status_code=204, content=f"archived {item_id}")


@router.put("/items/{item_id}/reset", status_code=205)
def reset_item(item_id: int) -> None:
    # FastAPI empties the body of a 205 but keeps the Content-Length computed for "null".
    return None


@router.get("/me")
def me() -> dict[str, str]:
    # A 401 without a WWW-Authenticate challenge (RFC 9110 §15.5.2 requires one).
    raise HTTPException(status_code=401, detail="Not authenticated")


# HEAD beside GET: FastAPI's @router.get registers GET only, and answers HEAD with a 405
# (RFC 9110 §9.1: "All general-purpose servers MUST support the methods GET and HEAD.").
@router.api_route("/plain", methods=["GET", "HEAD"])
def plain() -> Response:
    # A correct response, for comparison.
    return Response(b"plain", media_type="text/plain")


def create_app(mode: str | None = None, *, guarded: bool = True) -> FastAPI:
    app = FastAPI(title="statusguard example")
    app.include_router(router)
    if guarded:
        # mode=None: STATUSGUARD_MODE decides ("strict" in tests, "warn" in staging, "fix" in
        # production).
        app.add_middleware(ASGIStatusGuard, mode=mode)
    return app


app = create_app()
bare = create_app(guarded=False)
