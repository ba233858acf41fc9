"""``delphi serve`` and ``delphi demo``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the web application with uvicorn.

    uvicorn's own access log is off: the application writes its own, which leaves out
    what could tie a panelist to an answer (see app/web/access_log.py). X-Forwarded-*
    headers are believed only from DELPHI_TRUSTED_PROXIES, by the application itself.
    """
    import uvicorn

    from app.config import get_settings

    if workers > 1 and get_settings().rate_limit_storage == "memory://":
        typer.echo(
            f"warning: with {workers} workers and DELPHI_RATE_LIMIT_STORAGE=memory:// each "
            "worker counts sign-in and link attempts alone; set it to redis://host:port",
            err=True,
        )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=False,
    )


def demo(
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    port: Annotated[int, typer.Option(help="Port to serve on (make demo PORT=8123)")] = 8000,
) -> None:
    """Set up the demo study (migrate, import, simulate round 1, open round 2) and serve it,
    with the background worker running beside the server."""
    import os
    import subprocess

    from app import demo as demo_module
    from app.config import get_settings

    os.environ.setdefault("DELPHI_BASE_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    demo_module.run(port=port, worker_beside=serve_after)
    if not serve_after:
        return
    # Its own process, as in production; it prints each demo link as it "sends" the mail.
    worker_process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "worker"], cwd=os.getcwd()
    )
    try:
        serve(host="127.0.0.1", port=port, workers=1)
    finally:
        worker_process.terminate()
        try:
            worker_process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker_process.kill()
