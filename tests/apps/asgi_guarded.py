"""The raw ASGI routes app behind :class:`statusguard.asgi.ASGIStatusGuard`, one per mode.

Served by the wire tests as ``apps.asgi_guarded:fix`` (``warn``, ``strict``).  The guards log
to the ``statusguard`` logger, which has no handler in the server process, so Python's
last-resort handler writes each first occurrence (with its rule id) to the server's stderr.
"""

from __future__ import annotations

from apps import asgi_routes
from statusguard.asgi import ASGIStatusGuard

fix = ASGIStatusGuard(asgi_routes.app, mode="fix")
warn = ASGIStatusGuard(asgi_routes.app, mode="warn")
strict = ASGIStatusGuard(asgi_routes.app, mode="strict")
