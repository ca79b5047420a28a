"""Running background work: Celery when WUYE_BROKER_URL is set (later), a thread otherwise.

``settings.WUYE_JOBS``: "thread" (default: the web process runs the job in a daemon thread with its
own database connection) or "inline" (run now, in the caller; the test suite uses it).
"""

from __future__ import annotations

import importlib
import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


def _resolve(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _run(path: str, kwargs: dict) -> None:
    try:
        _resolve(path)(**kwargs)
    except Exception:
        logger.exception("job %s failed", path)
    finally:
        connections.close_all()


def enqueue(path: str, **kwargs) -> None:
    """Run the function at dotted ``path`` with plain keyword arguments (ids, not objects)."""
    mode = getattr(settings, "WUYE_JOBS", "thread")
    if mode == "inline":
        _resolve(path)(**kwargs)
        return
    close_old_connections()
    threading.Thread(target=_run, args=(path, kwargs), daemon=True, name=f"job:{path}").start()
