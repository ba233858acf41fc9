"""Pages read in their language's direction: ``lang`` and ``dir`` on each, CSS in logical terms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.web.templating import TEMPLATES_DIR

STATIC = TEMPLATES_DIR.parent / "static"
# A physical side in a property name or value: margin-left, left:, text-align: right, ...
PHYSICAL = re.compile(
    r"(?:^|[;{\s])(?:(?:margin|padding|border|inset)-(?:left|right)\b[\w-]*|left|right)\s*:"
    r"|\b(?:text-align|float|clear)\s*:\s*(?:left|right)\b",
    re.M,
)


@pytest.mark.parametrize("sheet", sorted(STATIC.glob("*.css")), ids=lambda p: p.name)
def test_stylesheets_use_logical_sides_only(sheet: Path) -> None:
    """``margin-inline-start`` flips with ``dir``; ``margin-left`` would stay on the left."""
    text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
    assert PHYSICAL.findall(text) == []


def test_the_check_finds_a_physical_side() -> None:
    assert PHYSICAL.search(".a { margin-left: 1rem; }")
    assert PHYSICAL.search(".a{left:0}")
    assert PHYSICAL.search(".a { text-align: right; }")
    assert not PHYSICAL.search(".a { margin-inline-start: 1rem; text-align: end; }")


class TestErrorPages:
    @pytest.mark.parametrize(
        ("accept", "lang", "direction", "title"),
        [
            ("ar", "ar", "rtl", "الصفحة غير موجودة"),
            ("zh-CN,zh;q=0.9", "zh", "ltr", "找不到页面"),
            ("ru", "ru", "ltr", "Страница не найдена"),
            ("de", "en", "ltr", "Page not found"),
        ],
    )
    def test_a_404_page_in_the_browsers_language(
        self, client: TestClient, accept: str, lang: str, direction: str, title: str
    ) -> None:
        response = client.get("/no/such/page", headers={"Accept-Language": accept})
        assert response.status_code == 404
        assert f'<html lang="{lang}" dir="{direction}">' in response.text
        assert f"<h1>{title}</h1>" in response.text

    def test_a_forged_form_is_refused_in_the_browsers_language(self, client: TestClient) -> None:
        response = client.post("/round", data={"action": "save"}, headers={"Accept-Language": "fr"})
        assert response.status_code == 403
        assert "Ce formulaire a expiré" in response.text
        assert "Vous ne pouvez pas faire cela ici" in response.text
