"""The application profiled by yappi in every thread, for the benchmarks' ``--profile``.

py-spy cannot attach to processes in this sandbox (it fails to read the interpreter's
memory), so the server profiles itself: this factory starts yappi (CPU clock by default,
``BENCH_PROFILE_CLOCK=wall`` for waits too) before building the application, and each
serving process writes pstats to ``BENCH_PROFILE_OUT.pid<pid>`` when its lifespan ends
(not at exit: uvicorn ends itself with the signal it was stopped by, skipping atexit).
``SIGUSR1`` clears what was gathered so far (start-up, warm-up), so the profile covers
the load alone.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI


def create_app() -> FastAPI:
    import yappi

    from app.main import create_app as application

    out = os.environ["BENCH_PROFILE_OUT"]
    yappi.set_clock_type(os.environ.get("BENCH_PROFILE_CLOCK", "cpu"))
    yappi.start()

    def save() -> None:
        yappi.stop()
        yappi.get_func_stats().save(f"{out}.pid{os.getpid()}", type="pstat")

    app = application()
    signal.signal(signal.SIGUSR1, lambda *_: yappi.clear_stats())
    lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def profiled(served: Any) -> AsyncIterator[Any]:
        async with lifespan(served) as state:
            yield state
        save()

    app.router.lifespan_context = profiled
    return app
