"""What the real server writes to its log: no link token in any spelling, and for the
panelist's pages no client address and no trace of a POST."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app import logs
from tests.app.conftest import scratch_database
from tests.e2e.conftest import Deployment, free_port

TIMEOUT = 30


def _token() -> str:
    return secrets.token_urlsafe(32)


# Every way a request can carry a token to the link route (or to a guess at it).
SHAPES = {
    "plain": "/r/{t}",
    "upper case": "/R/{t}",
    "encoded slash": "/r/%2F{t}",
    "encoded slash, lower case": "/r/%2f{t}",
    "encoded first slash": "/r%2F{t}",
    "double slash": "/r//{t}",
    "deeper path": "/r/x/{t}",
    "query on the link": "/r/x?t={t}",
    "query and fragment-like": "/r/x?a=1&t={t}",
    "query elsewhere": "/round?t={t}",
    "query on the console": "/console/login?next={t}",
}


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Deployment]:
    """``delphi serve`` on a fresh database, its output kept."""
    for url in scratch_database(tmp_path_factory, "logs"):
        deployed = Deployment(url, free_port(), tmp_path)
        deployed.cli("db", "upgrade")
        deployed.serve()
        try:
            yield deployed
        finally:
            deployed.stop()


@pytest.mark.e2e
class TestServerLog:
    def test_no_token_reaches_the_log_in_any_spelling(self, server: Deployment) -> None:
        tokens = {name: _token() for name in SHAPES}
        with httpx.Client(base_url=server.base_url, timeout=TIMEOUT) as client:
            for name, shape in SHAPES.items():
                raw = server.base_url + shape.format(t=tokens[name])
                # As sent, without httpx normalising the path.
                client.send(client.build_request("GET", httpx.URL(raw)))
        server.stop()
        log = server.log()

        assert 'panelist - "GET /r/[redacted]" 404' in log, "the access log was written"
        leaked = [name for name, token in tokens.items() if token in log]
        assert leaked == []

    def test_panelist_pages_are_logged_without_address_and_their_posts_not_at_all(
        self, server: Deployment
    ) -> None:
        with httpx.Client(base_url=server.base_url, timeout=TIMEOUT) as client:
            client.get("/console/login")
            client.get("/round")
            client.get("/r/" + _token())
            client.post("/round", data={"action": "submit"})
        server.stop()
        lines = server.log().splitlines()

        panelist = [line for line in lines if re.search(r'"\w+ /(r/|round)', line)]
        assert panelist, "the panelist's requests were logged"
        assert all('panelist - "GET ' in line for line in panelist)
        assert not any("127.0.0.1" in line for line in panelist)
        assert any('127.0.0.1 - "GET /console/login" 200' in line for line in lines)
        # uvicorn's own access log (client:port and the HTTP version) is off.
        assert not any("HTTP/1.1" in line for line in lines)


class TestRedact:
    @pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
    def test_every_shape_loses_its_token(self, shape: str) -> None:
        token = _token()
        line = f'127.0.0.1:5000 - "GET {shape.format(t=token)} HTTP/1.1" 404'

        assert token not in logs.redact(line)

    def test_what_is_not_a_token_stays(self) -> None:
        line = 'panelist - "GET /round" 200 and "GET /console/studies/x" 200'

        assert logs.redact(line) == line
