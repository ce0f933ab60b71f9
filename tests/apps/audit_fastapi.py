"""A FastAPI app of the kind users have, for ``statusguard check``: path parameters typed in
the signature (the router says ``str``, the OpenAPI document ``integer``), a JSON API with
201/204/401, and a static directory mounted with Starlette's ``StaticFiles``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "audit_static"

app = FastAPI()
ITEMS = {1: {"id": 1, "name": "widget"}}


@app.get("/items/{item_id}")
def get_item(item_id: int) -> dict[str, object]:
    if item_id not in ITEMS:
        raise HTTPException(status_code=404)
    return ITEMS[item_id]


@app.post("/items", status_code=201)
def create_item(response: Response) -> dict[str, object]:
    response.headers["Location"] = "/items/2"
    return {"id": 2}


@app.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int) -> Response:
    return Response(status_code=204)


@app.get("/me")
def me(authorization: Annotated[str | None, Header()] = None) -> dict[str, str]:
    if authorization is None:
        raise HTTPException(
            status_code=401, detail="log in first", headers={"WWW-Authenticate": "Bearer"}
        )
    return {"user": "someone"}


app.mount("/static", StaticFiles(directory=STATIC), name="static")
