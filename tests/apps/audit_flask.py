"""A Flask app of the kind users have, for ``statusguard check``: a factory, a static folder,
a ``send_file`` route, a JSON API (201, 204, 401, 405) and an auth-protected page.

Every route answers correctly as far as the single-response rules go; what the audit finds
is werkzeug's own behaviour (``send_file`` answers two satisfiable ranges with 416).
``RECEIVED`` records every method the recording view is called with.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, jsonify, request, send_file, url_for

STATIC = Path(__file__).resolve().parent / "audit_static"
RECEIVED: list[str] = []


def create_app(config: str = "default") -> Flask:
    app = Flask(__name__, static_folder=str(STATIC))
    app.config["AUDIT_CONFIG"] = config
    items = {1: {"id": 1, "name": "widget"}}

    @app.get("/")
    def index() -> str:
        return "hello"

    @app.get("/download")
    def download() -> Response:
        return send_file(STATIC / "hello.txt", mimetype="text/plain")

    @app.get("/api/items")
    def list_items() -> Response:
        return jsonify(list(items.values()))

    @app.post("/api/items")
    def create_item() -> tuple[Response, int, dict[str, str]]:
        item_id = len(items) + 1
        items[item_id] = {"id": item_id, "name": "new"}
        return jsonify(items[item_id]), 201, {"Location": url_for("get_item", item_id=item_id)}

    @app.get("/api/items/<int:item_id>")
    def get_item(item_id: int) -> Response:
        if item_id not in items:
            abort(404)
        return jsonify(items[item_id])

    @app.delete("/api/items/<int:item_id>")
    def delete_item(item_id: int) -> tuple[str, int]:
        items.pop(item_id, None)
        return "", 204

    @app.get("/account")
    def account() -> Response | tuple[str, int, dict[str, str]]:
        if request.authorization is None:
            return "log in first", 401, {"WWW-Authenticate": 'Basic realm="audit"'}
        return jsonify({"user": request.authorization.username})

    @app.route("/record", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def record() -> str:
        RECEIVED.append(request.method)
        return "recorded"

    return app


app = create_app()
