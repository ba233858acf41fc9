"""The console's one-time status messages: one look and one status region, whether the
message was left for the page redirected to (the flash) or is the page's own answer."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient

from app.models import Survey
from app.team.account_pages import SENT
from tests.app.console.conftest import csrf_from


class _StatusRegions(HTMLParser):
    """Each ``role=status`` element's class and the text a reader sees in it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._depth = 0  # open elements inside the status region being read
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self._depth:
            self._depth += 1
        elif attributes.get("role") == "status":
            self._depth = 1
            self.found.append((attributes.get("class") or "", ""))
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            if not self._depth:
                style, _ = self.found[-1]
                self.found[-1] = (style, " ".join(" ".join(self._text).split()))

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)


def status_regions(html: str) -> list[tuple[str, str]]:
    return _StatusRegions(html).found


class TestStatusMessages:
    def test_a_flash_shows_once_on_the_page_redirected_to(self, signed_in: TestClient) -> None:
        token = csrf_from(signed_in.get("/console").text)
        page = signed_in.post("/console/logout", data={"csrf_token": token})
        assert page.url.path == "/console/login"
        assert status_regions(page.text) == [("flash", "You are signed out.")]
        assert status_regions(signed_in.get("/console/login").text) == []

    def test_the_forgotten_password_answer_looks_the_same(self, client: TestClient) -> None:
        token = csrf_from(client.get("/console/forgot").text)
        page = client.post(
            "/console/forgot", data={"csrf_token": token, "email": "nobody@example.org"}
        )
        assert status_regions(page.text) == [("flash", SENT)]

    def test_a_new_api_key_is_shown_in_the_same_look(
        self, signed_in: TestClient, survey: Survey
    ) -> None:
        keys = f"/console/studies/{survey.key}/keys"
        token = csrf_from(signed_in.get(keys).text)
        page = signed_in.post(
            keys, data={"csrf_token": token, "name": "notebook", "expires": "2099-12-31"}
        )
        [(style, text)] = status_regions(page.text)
        assert style == "flash"
        assert text.startswith("The new key, shown this once (only its hash is stored)")
        assert " dk_" in text
