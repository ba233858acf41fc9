"""What the benchmark scripts share: scratch databases, servers, wrk, and the results table.

Every script measures the project against a baseline in the same run and prints one row
per figure: ours, the baseline, their ratio, the goal and PASS/MISS. With ``--json FILE``
it also writes those rows, so ``run_all.py`` can print one table for everything.

Databases: SQLite files in a temporary folder, and PostgreSQL scratch databases created
on ``DELPHI_BENCH_POSTGRES`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
postgres``) and dropped afterwards. Every server runs on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
POSTGRES = os.environ.get(
    "DELPHI_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
KINDS = ("sqlite", "postgresql")
# Workers per server: SQLite allows one writer, so one process; PostgreSQL gets two.
WORKERS = {"sqlite": 1, "postgresql": 2}
STARTUP_TIMEOUT = 60.0

# One secret for the whole run, shared by the seeding in this process and every server,
# so respondent pseudonyms and sealed links agree.
os.environ.setdefault("DELPHI_SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("DELPHI_ENV", "test")


# ----------------------------------------------------------------------- the table


@dataclass
class Figure:
    """One row of the results table."""

    name: str
    ours: str
    baseline: str
    ratio: str
    goal: str
    ok: bool | None  # None: printed for information, no goal

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")


@dataclass
class Results:
    """The figures a script measured, with the load average around them."""

    script: str
    figures: list[Figure] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    seconds: float = 0.0

    def add(
        self,
        name: str,
        ours: str,
        baseline: str = "",
        ratio: str = "",
        goal: str = "",
        ok: bool | None = None,
    ) -> Figure:
        figure = Figure(name, ours, baseline, ratio, goal, ok)
        self.figures.append(figure)
        print(f"  => {format_row(figure)}", flush=True)
        return figure


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def format_load(load: Sequence[float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


COLUMNS = (("figure", 46), ("ours", 22), ("baseline", 22), ("ratio", 9), ("goal", 22), ("", 4))


def format_row(figure: Figure) -> str:
    cells = (figure.name, figure.ours, figure.baseline, figure.ratio, figure.goal, figure.verdict)
    return " ".join(f"{cell:<{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def print_table(figures: Sequence[Figure], title: str = "") -> None:
    if title:
        print(f"\n{title}")
    header = " ".join(f"{name:<{width}}" for name, width in COLUMNS)
    print(header)
    print("-" * len(header))
    for figure in figures:
        print(format_row(figure))


def parser(description: str) -> argparse.ArgumentParser:
    """The options every script takes."""
    options = argparse.ArgumentParser(description=description)
    options.add_argument("--quick", action="store_true", help="a fast smoke run")
    options.add_argument("--json", type=Path, help="also write the figures to this file")
    options.add_argument(
        "--profile-clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="with --profile: count CPU time (default) or wall time, waits included",
    )
    options.add_argument(
        "--databases",
        default=",".join(KINDS),
        help="comma-separated: sqlite, postgresql (default both)",
    )
    return options


def databases(args: argparse.Namespace) -> list[str]:
    kinds = [kind.strip() for kind in args.databases.split(",") if kind.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SystemExit(f"--databases: unknown {', '.join(sorted(unknown))}")
    return kinds


@contextmanager
def session_of(script: str, args: argparse.Namespace) -> Iterator[Results]:
    """Print the machine and load average before and after; write JSON; print the table."""
    results = Results(script=script, load_before=load_average())
    print(
        f"{script}: python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average before {format_load(results.load_before)}"
        + (" (quick run)" if args.quick else ""),
        flush=True,
    )
    start = time.monotonic()
    try:
        yield results
    finally:
        results.seconds = time.monotonic() - start
        results.load_after = load_average()
        print_table(results.figures, f"{script}: results")
        print(
            f"load average before {format_load(results.load_before)}, "
            f"after {format_load(results.load_after)}; {results.seconds:.0f} s",
            flush=True,
        )
        if args.json:
            payload = asdict(results)
            args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else float("inf")


# ------------------------------------------------------------------- databases


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


@contextmanager
def scratch_database(kind: str, name: str, *, migrated: bool = True) -> Iterator[str]:
    """A fresh database of ``kind`` (migrated to head), dropped afterwards."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"delphi-bench-{name}-"))
        try:
            url = f"sqlite:///{folder / f'{name}.sqlite3'}"
            if migrated:
                migrate(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    database = f"delphi_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        url = make_url(POSTGRES).set(database=database).render_as_string(hide_password=False)
        if migrated:
            migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def app_database(url: str) -> Iterator[None]:
    """Point this process's ``app.db`` (settings, engine) at ``url`` for the block."""
    from app.config import get_settings
    from app.db import get_engine

    previous = os.environ.get("DELPHI_DATABASE_URL")
    os.environ["DELPHI_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        yield
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        if previous is None:
            os.environ.pop("DELPHI_DATABASE_URL", None)
        else:
            os.environ["DELPHI_DATABASE_URL"] = previous
        get_settings.cache_clear()


def postgres_reachable() -> str | None:
    from sqlalchemy import create_engine

    try:
        engine = create_engine(POSTGRES)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any driver error means "not here"
        return str(exc).splitlines()[0]
    return None


# ---------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, base_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DELPHI_ENV": "test",
        "DELPHI_DATABASE_URL": database_url,
        "DELPHI_BASE_URL": base_url,
        "DELPHI_MAIL_BACKEND": "smtp",
        "DELPHI_SMTP_URL": "smtp://127.0.0.1:9",
        "DELPHI_LOG_LEVEL": "INFO",
        **extra,
    }


class Server:
    """uvicorn serving ``factory`` (``module:function``) with ``workers`` processes.

    Both the application and every baseline app run with exactly these settings.
    """

    def __init__(
        self,
        factory: str,
        database_url: str,
        *,
        workers: int = 1,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.factory = factory
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = server_env(database_url, self.base_url, **(env or {}))
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="delphi-bench-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, health: str = "/healthz") -> Server:
        import httpx

        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "python"),
                    "-m",
                    "uvicorn",
                    "--factory",
                    self.factory,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.factory} exited at start-up:\n{self.log()[-3000:]}")
            try:
                if httpx.get(self.base_url + health, timeout=2).status_code == 200:
                    if len(self.worker_pids()) >= self.workers:
                        return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.factory} did not answer within {STARTUP_TIMEOUT:.0f} s")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the workers, or the one process itself."""
        assert self.process is not None
        children = _children(self.process.pid)
        # uvicorn --workers N: a supervisor, its N workers (and multiprocessing helpers).
        if self.workers > 1:
            return [pid for pid in children if _is_python(pid)][-self.workers :]
        return [self.process.pid]

    def peak_rss_mb(self) -> list[float]:
        """VmHWM (peak resident set) of each serving process, in MiB."""
        return [_status_kb(pid, "VmHWM") / 1024 for pid in self.worker_pids()]

    def rss_mb(self) -> list[float]:
        return [_status_kb(pid, "VmRSS") / 1024 for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        if "Traceback" in self.log():
            print(f"  ({self.factory} logged errors: see {self.log_path})", flush=True)
        else:
            self.log_path.unlink(missing_ok=True)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def _is_python(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    # multiprocessing's resource tracker is a python too, but runs "-c ...resource_tracker".
    return not any(b"resource_tracker" in part for part in command)


def _status_kb(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


# -------------------------------------------------------------------------- wrk

WRK_INSTALL = "apt-get install -y wrk (Debian package 'wrk'; run 'apt-get update' first if needed)"


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(f"wrk is not installed. Install it with: {WRK_INSTALL}")
    return found


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bad_status: int  # responses other than 2xx/3xx
    socket_errors: int  # connect, read, write errors and timeouts
    bytes_per_request: float

    @property
    def errors(self) -> int:
        return self.bad_status + self.socket_errors

    def describe(self) -> str:
        return (
            f"{self.rps:7.1f} req/s  p50 {self.p50_ms:7.1f} ms  p99 {self.p99_ms:7.1f} ms  "
            f"errors {self.bad_status} status + {self.socket_errors} socket"
        )


def wrk(
    url: str,
    script: Path,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    timeout: float = 10.0,
    env: dict[str, str] | None = None,
) -> Load:
    """Run wrk with a Lua script whose done() prints one JSON line of figures."""
    binary = require_wrk()
    threads = min(threads, connections)
    command = [
        binary,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(script),
        url,
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_THREADS": str(threads), **(env or {})},
        timeout=seconds + timeout + 60,
        check=False,
    )
    line = next(
        (row for row in result.stdout.splitlines() if row.startswith("WRKJSON ")),
        None,
    )
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    data: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    duration = data["duration_us"] / 1e6
    requests = int(data["requests"])
    return Load(
        connections=connections,
        seconds=duration,
        requests=requests,
        rps=requests / duration if duration else 0.0,
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        bad_status=int(data["status"]),
        socket_errors=int(data["connect"] + data["read"] + data["write"] + data["timeout"]),
        bytes_per_request=data["bytes"] / requests if requests else 0.0,
    )


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def combine(runs: Sequence[Load]) -> Load:
    """Repetitions of one point: the median throughput and latencies, every error summed."""
    return Load(
        connections=runs[0].connections,
        seconds=sum(r.seconds for r in runs),
        requests=sum(r.requests for r in runs),
        rps=median([r.rps for r in runs]),
        p50_ms=median([r.p50_ms for r in runs]),
        p99_ms=median([r.p99_ms for r in runs]),
        max_ms=max(r.max_ms for r in runs),
        bad_status=sum(r.bad_status for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
        bytes_per_request=median([r.bytes_per_request for r in runs]),
    )


# ------------------------------------------------------------ studies and panelists

STUDY_FILE = ROOT / "surveys" / "crime-prevention-strategy.yaml"


@dataclass
class OpenRound:
    """A copy of the demo study with an open round, its panel and their link tokens."""

    key: str
    survey_id: int
    round_id: int
    panelist_ids: list[int]
    tokens: list[str]
    cells: list[tuple[int, int, int, int]]  # statement id, criterion id, scale low, high

    def ratings(self, version: int) -> list[tuple[str, str]]:
        """Every cell rated: ``version`` wrapped onto each scale, so answer sets differ."""
        return [
            (f"r-{sid}-{cid}", str(low + (version + k) % (high - low + 1)))
            for k, (sid, cid, low, high) in enumerate(self.cells)
        ]


def new_study(key: str, panel_size: int) -> OpenRound:
    """The demo study (27 statements x 2 criteria) as ``key``, with round 1 open."""
    import yaml

    from app.db import unit_of_work
    from app.models import Panelist
    from app.rounds import links
    from app.rounds import service as rounds
    from app.studies import service as studies

    definition = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
    definition["key"] = key
    source = yaml.safe_dump(definition, allow_unicode=True)
    groups = [group["key"] for group in definition["stakeholder_groups"]]
    with unit_of_work() as session:
        survey = studies.create(session, studies.parse(source, key), source, actor="bench")
        panel = [
            Panelist(
                survey_id=survey.id,
                email=f"panelist{i}@example.org",
                name=f"Panelist {i}",
                stakeholder_group=groups[i % len(groups)],
                language="en",
            )
            for i in range(panel_size)
        ]
        session.add_all(panel)
        session.flush()
        round_ = rounds.launch(session, survey, actor="bench")
        tokens = [links.mint(session, round_, p).rsplit("/r/", 1)[1] for p in panel]
        cells = [
            (item.statement_id, c.id, c.scale_low, c.scale_high)
            for item in round_.items
            for c in survey.criteria
        ]
        return OpenRound(
            key=key,
            survey_id=survey.id,
            round_id=round_.id,
            panelist_ids=[p.id for p in panel],
            tokens=tokens,
            cells=cells,
        )


def respondent_ids(opened: OpenRound) -> list[int]:
    """Create (or find) the respondent of every panelist of ``opened``; their ids."""
    from app.db import unit_of_work
    from app.models import Panelist
    from app.panel import respondents

    with unit_of_work() as session:
        ids = []
        for panelist_id in opened.panelist_ids:
            panelist = session.get_one(Panelist, panelist_id)
            ids.append(respondents.find_or_create(session, panelist).id)
        return ids


@dataclass(frozen=True)
class PanelistSession:
    """A browser that opened its link: the session cookie and the questionnaire's token."""

    cookie: str
    csrf: str


SESSION_COOKIE = "delphi_session"


def open_sessions(base_url: str, tokens: Sequence[str], at_once: int = 10) -> list[PanelistSession]:
    """Each token through the real link exchange (GET /r/<token>, then GET /round)."""
    import asyncio
    import re

    import httpx

    csrf = re.compile(r'name="csrf_token" value="([^"]+)"')

    async def one(
        client: httpx.AsyncClient, gate: asyncio.Semaphore, token: str
    ) -> PanelistSession:
        async with gate:
            opened = await client.get(f"/r/{token}")
            if opened.status_code != 303:
                raise RuntimeError(f"link exchange answered {opened.status_code}")
            cookie = opened.cookies[SESSION_COOKIE]
            page = await client.get("/round", cookies={SESSION_COOKIE: cookie})
            found = csrf.search(page.text)
            if page.status_code != 200 or found is None:
                raise RuntimeError(f"questionnaire answered {page.status_code}")
            return PanelistSession(cookie=cookie, csrf=found[1])

    async def every() -> list[PanelistSession]:
        gate = asyncio.Semaphore(at_once)
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            return list(await asyncio.gather(*(one(client, gate, t) for t in tokens)))

    return asyncio.run(every())


def write_requests(path: Path, rows: Sequence[tuple[str, str, str, str, str]]) -> Path:
    """The prepared requests for rotate.lua: method, path, cookie, respondent, body."""
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            assert not any("\t" in cell or "\n" in cell for cell in row)
            out.write("\t".join(row) + "\n")
    return path


ROTATE_LUA = HERE / "rotate.lua"


# --------------------------------------------------------------------- profiles


PROFILE_INSTALL = "make lint (the test extra installs it) or .venv/bin/pip install yappi"


@contextmanager
def profiled_server(
    database_url: str, out: Path, *, workers: int = 1, clock: str = "cpu"
) -> Iterator[Server]:
    """The application under yappi (see profiled.py); its pstats files once it stops."""
    try:
        import yappi  # noqa: F401
    except ImportError:
        raise SystemExit(f"--profile needs yappi: {PROFILE_INSTALL}") from None
    for old in out.parent.glob(out.name + ".pid*"):
        old.unlink()
    server = Server(
        "profiled:create_app",
        database_url,
        workers=workers,
        env={
            "PYTHONPATH": str(HERE),
            "BENCH_PROFILE_OUT": str(out),
            "BENCH_PROFILE_CLOCK": clock,
        },
    )
    with server:
        yield server


def profile_from_now(server: Server) -> None:
    """Drop what the profiled server gathered so far (see profiled.py)."""
    for pid in server.worker_pids():
        os.kill(pid, signal.SIGUSR1)
    time.sleep(0.5)


def profile_files(out: Path) -> list[Path]:
    return sorted(out.parent.glob(out.name + ".pid*"))


BUCKETS = (
    ("templates (Jinja)", ("jinja2/", ".html")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("app/ (project code)", (f"{ROOT}/app/",)),
    ("engine/ (statistics)", (f"{ROOT}/engine/",)),
    ("database driver", ("sqlite3", "psycopg")),
    ("JSON", ("json/",)),
    ("pydantic", ("pydantic",)),
    ("FastAPI/Starlette", ("fastapi/", "starlette/", "anyio/", "multipart")),
    ("uvicorn/HTTP", ("uvicorn/", "h11/", "httptools/", "asyncio/", "selectors")),
    ("numpy/scipy", ("numpy", "scipy/")),
    ("threads and locks", ("threading", "_thread", "queue.py")),
)


def _bucket(frame: str) -> str:
    for name, needles in BUCKETS:
        if any(needle in frame for needle in needles):
            return name
    return "other"


def summarize_profile(paths: Sequence[Path], top: int = 30) -> list[str]:
    """Where the time goes in pstats files (yappi or cProfile), merged.

    Self time by library (the function's file), then the functions with the most
    inclusive and the most self time, as shares of the total self time.
    """
    import pstats

    stats = pstats.Stats(*(str(p) for p in paths))
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in table.values()) or 1.0
    buckets: dict[str, float] = {}
    for (file, _, name), entry in table.items():
        bucket = _bucket(f"{file} {name}")
        buckets[bucket] = buckets.get(bucket, 0.0) + entry[2]
    lines = [f"{total:.1f} s of CPU in {len(paths)} process(es)"]
    lines.append("self time by library:")
    for name, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {100 * seconds / total:5.1f}%  {name}")
    lines.append(f"top {top} functions by inclusive time:")
    ranked = sorted(table.items(), key=lambda kv: -kv[1][3])
    lines += [f"  {100 * e[3] / total:5.1f}%  {_function(k)}" for k, e in ranked[:top]]
    lines.append(f"top {top} functions by self time:")
    ranked = sorted(table.items(), key=lambda kv: -kv[1][2])
    lines += [f"  {100 * e[2] / total:5.1f}%  {_function(k)}" for k, e in ranked[:top]]
    lines.append(f"top {top} functions of app/ and engine/ by inclusive time:")
    ours = [
        (key, entry)
        for key, entry in table.items()
        if f"{ROOT}/app/" in key[0] or f"{ROOT}/engine/" in key[0] or key[0].endswith(".html")
    ]
    ours.sort(key=lambda kv: -kv[1][3])
    lines += [
        f"  {100 * e[3] / total:5.1f}%  {e[1]:6d} calls  {_function(k)}" for k, e in ours[:top]
    ]
    return lines


def _function(key: tuple[str, int, str]) -> str:
    """``(file, line, name)`` -> ``name (file from its package:line)``."""
    file, line, name = key
    for marker in ("site-packages/", "/lib/python3.11/", str(ROOT) + "/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{name} ({file}:{line})"


def cpu_description() -> str:
    """The processor model and count, for the record of where figures came from."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} x {model}"
