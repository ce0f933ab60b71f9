"""The applications the end-to-end run serves: the clean 200 of the micro-benchmarks, raw and
behind the guard in fix mode.  Loaded by gunicorn and uvicorn as ``benchmarks.e2e_apps:NAME``.
"""

from __future__ import annotations

from statusguard import ASGIStatusGuard, WSGIStatusGuard

from .bench_asgi import make_app as _make_asgi_app
from .bench_wsgi import make_app as _make_wsgi_app
from .cases import CASES

__all__ = ["asgi_guarded", "asgi_plain", "wsgi_guarded", "wsgi_plain"]

_CLEAN_200 = CASES[0]

wsgi_plain = _make_wsgi_app(_CLEAN_200)
wsgi_guarded = WSGIStatusGuard(_make_wsgi_app(_CLEAN_200), mode="fix")
asgi_plain = _make_asgi_app(_CLEAN_200)
asgi_guarded = ASGIStatusGuard(_make_asgi_app(_CLEAN_200), mode="fix")
