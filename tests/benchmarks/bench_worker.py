"""How fast the background worker drains the outbox (a script, not a pytest test).

A study with a panel of 400 is launched on a fresh database (SQLite in a temporary
folder, or the PostgreSQL server of ``DELPHI_TEST_DATABASE_URL``), then its invitations
are delivered to an aiosmtpd server on loopback: once by one worker, once more (after a
second launch on a fresh database) by two workers at the same time. Prints messages per
second for each and the ratio of two workers to one, measured in the same run, plus the
check that every panelist got exactly one message. Bounded: 2 x 400 messages.

Run: ``.venv/bin/python tests/benchmarks/bench_worker.py`` (add
``DELPHI_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DELPHI_ENV", "test")
os.environ.setdefault("DELPHI_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
os.environ["DELPHI_LOG_LEVEL"] = "WARNING"

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.app.mail.support import LocalSmtp, free_port  # noqa: E402

PANEL = 400


def database() -> str:
    base = os.environ.get("DELPHI_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    name = f"delphi_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def prepare(url: str, smtp_url: str) -> None:
    from app.config import get_settings
    from app.db import get_engine, unit_of_work
    from app.rounds import service as rounds
    from app.studies import service as studies
    from tests.app.conftest import STUDY_FILE, migrate
    from tests.app.factories import make_panel

    os.environ.update(DELPHI_DATABASE_URL=url, DELPHI_MAIL_BACKEND="smtp", DELPHI_SMTP_URL=smtp_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrate(url)
    with unit_of_work() as session:
        survey = studies.import_file(session, STUDY_FILE, actor="bench")
        make_panel(session, survey, PANEL)
        rounds.launch(session, survey, actor="bench")


def drain(workers: int) -> tuple[float, Counter[str]]:
    from app.schedule import runner

    with LocalSmtp(free_port()) as server:
        url = database()
        prepare(url, server.url)
        start = threading.Barrier(workers)

        def work() -> int:
            start.wait()
            return runner.deliver().sent

        began = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            sent = sum(f.result() for f in [pool.submit(work) for _ in range(workers)])
        elapsed = time.perf_counter() - began
        assert sent == PANEL, sent
        return PANEL / elapsed, Counter(
            str(m["To"].addresses[0].addr_spec) for m in server.messages
        )


def main() -> None:
    kind = "PostgreSQL" if os.environ.get("DELPHI_TEST_DATABASE_URL") else "SQLite"
    one, got_one = drain(1)
    two, got_two = drain(2)
    exact = set(got_one.values()) == {1} == set(got_two.values())
    print(f"{kind}, {PANEL} invitations to loopback SMTP")
    print(f"  1 worker : {one:7.0f} messages/s")
    print(f"  2 workers: {two:7.0f} messages/s  ({two / one:.2f}x one worker)")
    print(f"  every panelist got exactly one message: {'yes' if exact else 'NO'}")


if __name__ == "__main__":
    main()
