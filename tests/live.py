"""A real app with the demo data on a SQLite file of its own, served by werkzeug in a thread.

Shared by the browser suite and the API contract run (schemathesis); CSRF is on, as in production.
"""
from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.services import free_port


@contextmanager
def demo_app(prefix: str) -> Iterator[Any]:
    """A migrated database with the BPMN deployed and the demo loaded; disposed afterwards."""
    from app.demo import load_demo
    from app.extensions import db
    from tests.conftest import make_test_app, reset_database

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        application = make_test_app(f"sqlite:///{Path(tmp) / 'live.sqlite'}", WTF_CSRF_ENABLED=True)
        reset_database(application)
        with application.app_context():
            assert load_demo(), "demo data was not loaded (the fresh database already had users)"
            db.session.commit()
            db.session.remove()
        try:
            yield application
        finally:
            with application.app_context():
                db.engine.dispose()


@contextmanager
def serve(application: Any, name: str = "crm-live-server") -> Iterator[str]:
    """Serve `application` on a free loopback port; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
