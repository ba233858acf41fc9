"""Hostile or mistyped addresses and form values get a 4xx page, never a server error."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Facilitator, Panelist, Round, Survey
from app.rounds import service as rounds
from tests.app.conftest import STUDY_FILE, spaced

from .conftest import EMAIL, PASSWORD, csrf_from, sign_in

HUGE = "99999999999999999999"  # past every integer column the database has


class TestRoundNumbers:
    @pytest.mark.parametrize("number", [HUGE, "-1", "10001"])
    @pytest.mark.parametrize("suffix", ["", "/close"])
    def test_pages_for_impossible_rounds_are_refused(
        self, signed_in: TestClient, survey: Survey, number: str, suffix: str
    ) -> None:
        response = signed_in.get(f"/console/studies/{survey.key}/rounds/{number}{suffix}")

        assert response.status_code == 422
        assert response.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize("action", ["remind", "close"])
    def test_actions_on_impossible_rounds_are_refused(
        self, post_form: Callable[..., Any], survey: Survey, db: Session, action: str
    ) -> None:
        study = f"/console/studies/{survey.key}"

        response = post_form(study, f"{study}/rounds/{HUGE}/{action}")

        assert response.status_code == 422
        assert db.scalar(select(func.count()).select_from(Round)) == 0

    @pytest.mark.parametrize("number", ["10000", "0"])  # 0: a round of proposals
    def test_a_round_that_could_exist_but_does_not_is_not_found(
        self, signed_in: TestClient, survey: Survey, number: str
    ) -> None:
        response = signed_in.get(f"/console/studies/{survey.key}/rounds/{number}")

        assert response.status_code == 404


class TestStudyKeys:
    @pytest.mark.parametrize("key", ["a%00b", "%00", "k" * 81, "x" * 5000])
    @pytest.mark.parametrize("suffix", ["", "/panel", "/finish", "/rounds/1"])
    def test_keys_no_study_can_have_are_not_found(
        self, signed_in: TestClient, survey: Survey, key: str, suffix: str
    ) -> None:
        response = signed_in.get(f"/console/studies/{key}{suffix}")

        assert response.status_code == 404
        assert "There is no study at this address." in response.text

    def test_a_nul_in_a_posted_action_path_is_not_found(
        self, post_form: Callable[..., Any], survey: Survey, db: Session
    ) -> None:
        response = post_form(f"/console/studies/{survey.key}", "/console/studies/a%00b/rounds")

        assert response.status_code == 404
        assert db.scalar(select(func.count()).select_from(Round)) == 0


class TestSignInValues:
    @pytest.mark.parametrize(
        ("email", "password"),
        [
            ("fran\x00@example.org", PASSWORD),
            (EMAIL + "\x00", PASSWORD),
            ("f" * 5000 + "@example.org", PASSWORD),
            (EMAIL, PASSWORD + "\x00"),
        ],
        ids=["nul-in-email", "nul-after-email", "huge-email", "nul-in-password"],
    )
    def test_hostile_credentials_fail_like_wrong_ones(
        self, client: TestClient, facilitator: Facilitator, email: str, password: str
    ) -> None:
        response = sign_in(client, email, password)

        assert response.status_code == 401
        assert "The email or password is wrong." in response.text

    @pytest.mark.parametrize(
        "target", ["/console\x00", "/console/" + "a" * 3000, "/console\r\nSet-Cookie: x=1"]
    )
    def test_a_hostile_return_address_falls_back_to_the_studies_list(
        self, client: TestClient, facilitator: Facilitator, target: str
    ) -> None:
        token = csrf_from(client.get("/console/login").text)

        response = client.post(
            "/console/login",
            data={"email": EMAIL, "password": PASSWORD, "next": target, "csrf_token": token},
            follow_redirects=False,
        )

        assert response.status_code == 303
        assert response.headers["location"] == "/console"

    def test_a_hostile_return_address_is_not_put_in_the_form(self, client: TestClient) -> None:
        page = client.get("/console/login", params={"next": "/console\x00"})

        assert page.status_code == 200
        assert 'name="next" value=""' in page.text


class TestLaunchValues:
    @pytest.mark.parametrize("deadline", ["2099-12-31\x00", "2" * 5000, "31/12/2099"])
    def test_a_deadline_that_is_not_a_date_is_explained(
        self, post_form: Callable[..., Any], survey: Survey, db: Session, deadline: str
    ) -> None:
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds", {"deadline": deadline})

        assert page.status_code == 422
        assert "not a date; give a date (YYYY-MM-DD" in page.text
        assert len(page.text) < 20_000  # the bad value is not echoed back in full
        assert db.scalar(select(func.count()).select_from(Round)) == 0


class TestUploadValues:
    def test_a_study_file_with_a_nul_character_is_refused_with_its_line(
        self, post_form: Callable[..., Any], db: Session
    ) -> None:
        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("study.yaml", b"key: pilot\n# note\x00\n")},
        )

        assert page.status_code == 422
        assert "study.yaml:2: contains a NUL character" in page.text
        assert db.scalar(select(func.count()).select_from(Survey)) == 0

    def test_a_panel_file_with_a_nul_character_is_refused(
        self, post_form: Callable[..., Any], survey: Survey, db: Session
    ) -> None:
        panel = f"/console/studies/{survey.key}/panel"
        csv = "email,name,stakeholder_group\nana@example.org,Ana\x00,ngo\n"

        page = post_form(panel, panel, files={"file": ("panel.csv", csv.encode())})

        assert page.status_code == 422
        assert "panel.csv:2: contains a NUL character" in page.text
        assert db.scalar(select(func.count()).select_from(Panelist)) == 0

    @pytest.mark.parametrize("path", ["/console/import-study", "/console/studies/{key}/panel"])
    def test_a_form_sent_without_a_file_asks_for_one(
        self, post_form: Callable[..., Any], survey: Survey, path: str
    ) -> None:
        url = path.format(key=survey.key)

        page = post_form(url, url)

        assert page.status_code == 422
        assert "choose a file to upload" in page.text

    def test_a_long_file_name_is_shortened_in_the_message(
        self, post_form: Callable[..., Any]
    ) -> None:
        name = "C:\\Users\\fran\\" + "s" * 500 + ".yaml"

        page = post_form(
            "/console/import-study", "/console/import-study", files={"file": (name, b"")}
        )

        assert page.status_code == 422
        assert "s" * 500 not in page.text
        assert "Users" not in page.text
        assert "the file is empty" in page.text


class TestNoStore:
    """Console pages show study data to one signed-in person: no cache may keep them."""

    def test_pages_for_a_signed_in_facilitator(
        self,
        post_form: Callable[..., Any],
        signed_in: TestClient,
        survey: Survey,
        db: Session,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        rounds.launch(db, survey, actor="test")
        study = f"/console/studies/{survey.key}"
        responses = [
            signed_in.get("/console"),
            signed_in.get(study),
            signed_in.get(f"{study}/panel"),
            signed_in.get(f"{study}/rounds/1"),
            signed_in.get(f"{study}/rounds/1/close"),
            signed_in.get("/console/login", follow_redirects=False),
            post_form(study, f"{study}/rounds/1/remind", follow_redirects=False),
            post_form(study, f"{study}/rounds", {"deadline": "tomorrow"}),
            signed_in.get("/console/studies/no-such-study"),
            signed_in.post(f"{study}/finish", data={"csrf_token": "forged"}),
        ]

        assert [r.status_code for r in responses] == [200] * 5 + [303] * 2 + [422, 404, 403]
        assert all(r.headers.get("cache-control") == "no-store" for r in responses)

    def test_pages_for_a_visitor(self, client: TestClient, facilitator: Facilitator) -> None:
        responses = [
            client.get("/console/login"),
            client.get("/console", follow_redirects=False),
            sign_in(client, EMAIL, "wrong password"),
            sign_in(client),
        ]

        assert [r.status_code for r in responses] == [200, 303, 401, 303]
        assert all(r.headers.get("cache-control") == "no-store" for r in responses)


class TestInTheReadersLanguage:
    """A service's error is shown in the language the facilitator's browser asks for."""

    def test_a_refused_launch_is_explained_in_french(
        self, post_form: Callable[..., Any], survey: Survey
    ) -> None:
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds", headers={"Accept-Language": "fr"})

        assert page.status_code == 409
        assert "n’a pas de panel\u202f; importez d’abord des panélistes" in page.text
        assert "import panelists first" not in page.text

    def test_each_problem_with_a_panelist_is_listed_in_arabic(
        self, post_form: Callable[..., Any], survey: Survey, db: Session
    ) -> None:
        panel = f"/console/studies/{survey.key}/panel"
        details = {"email": "ana@example.org", "name": "", "stakeholder_group": "ngo"}

        page = post_form(
            panel, f"{panel}/add", details, headers={"Accept-Language": "ar, en;q=0.5"}
        )

        assert page.status_code == 422
        assert "بيانات عضو الفريق غير صالحة؛ لم يُغيَّر شيء." in page.text
        assert "<li>name: مفقود</li>" in page.text
        assert db.scalar(select(func.count()).select_from(Panelist)) == 0

    def test_a_consensus_rule_that_does_not_parse_is_explained_in_french(
        self, post_form: Callable[..., Any], db: Session
    ) -> None:
        text = STUDY_FILE.read_text(encoding="utf-8")
        rule = '"median >= 7 and agree >= 0.70 and disagree < 0.15"'
        line = next(n for n, row in enumerate(text.splitlines(), 1) if rule in row)
        broken = text.replace(rule, '"median >= 7 and"', 1)

        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("study.yaml", broken.encode())},
            headers={"Accept-Language": "fr"},
        )

        assert page.status_code == 422
        shown = html.unescape(page.text)
        assert (
            f"study.yaml:{line}: criteria.0.consensus: "
            "la règle de consensus 'median >= 7 and' s’arrête trop tôt"
        ) in shown
        assert "ends too early" not in shown
        assert db.scalar(select(func.count()).select_from(Survey)) == 0

    def test_a_panel_file_with_bad_addresses_is_explained_in_french(
        self, post_form: Callable[..., Any], survey: Survey, db: Session
    ) -> None:
        panel = f"/console/studies/{survey.key}/panel"
        csv = "email,name,stakeholder_group\nana.example.org,Ana,ngo\nben@example,Ben,ngo\n"

        page = post_form(
            panel,
            panel,
            files={"file": ("panel.csv", csv.encode())},
            headers={"Accept-Language": "fr"},
        )

        assert page.status_code == 422
        shown = html.unescape(page.text)
        assert (
            "ligne 2\u00a0: adresse électronique\u00a0: adresse non valide\u00a0: "
            "il manque le signe @"
        ) in shown
        assert (
            "ligne 3\u00a0: adresse électronique\u00a0: adresse non valide\u00a0: "
            "ce qui suit le @ n’est pas un nom de domaine comme example.org"
        ) in shown
        assert "@-sign" not in shown
        assert db.scalar(select(func.count()).select_from(Panelist)) == 0

    def test_a_study_file_that_is_not_valid_yaml_is_explained_in_french(
        self, post_form: Callable[..., Any], db: Session
    ) -> None:
        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("study.yaml", b"key: pilot\ntitle\nlanguages: [en]\n")},
            headers={"Accept-Language": "fr"},
        )

        assert page.status_code == 422
        shown = spaced(html.unescape(page.text))
        assert (
            "study.yaml:3 : YAML non valide : il manque le ':' après une clé (dans la clé de la "
            "ligne 2)"
        ) in shown
        assert "could not find" not in shown
        assert db.scalar(select(func.count()).select_from(Survey)) == 0

    @pytest.mark.parametrize(
        ("data", "french"),
        [
            (
                "email,name,stakeholder_group\nana@example.org,Anaïs,ngo\n".encode("latin-1"),
                "panel.csv : ce n’est pas du texte UTF-8 ; enregistrez le fichier en UTF-8 et "
                "réessayez",
            ),
            (
                b"email,name,stakeholder_group\nana@example.org,Ana\x00,ngo\n",
                "panel.csv:2 : contient un caractère NUL ; ce n’est pas un fichier texte",
            ),
        ],
        ids=["latin-1", "nul"],
    )
    def test_a_panel_file_that_is_not_text_is_explained_in_french(
        self, post_form: Callable[..., Any], survey: Survey, db: Session, data: bytes, french: str
    ) -> None:
        panel = f"/console/studies/{survey.key}/panel"

        page = post_form(
            panel, panel, files={"file": ("panel.csv", data)}, headers={"Accept-Language": "fr"}
        )

        assert page.status_code == 422
        assert french in spaced(html.unescape(page.text))
        assert db.scalar(select(func.count()).select_from(Panelist)) == 0
