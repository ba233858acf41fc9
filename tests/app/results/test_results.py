"""Results for panelists: once the study is finished, their last link (and an email with a
fresh one) opens what the panel agreed on and where it stayed divided, in their language,
with no figure where fewer than k rated."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.mail.render import render
from app.models import Outbox, Panelist, Round, Survey
from app.results import service as results
from app.rounds import service as rounds
from app.security import unseal
from tests.app.factories import submit
from tests.app.participation.conftest import token_for

AGREED = "cyber-01"  # everyone rates its importance 9
FEW = "cyber-02"  # only 3 rate its importance (k = 5): no figures


def rating(person: int):  # type: ignore[no-untyped-def]
    def rate(statement: int, criterion: int) -> int | None:
        if criterion == 1:
            return 3
        if statement == 0:
            return 9
        if statement == 1:
            return 5 if person < 3 else None
        return 1 if person % 2 else 9

    return rate


@pytest.fixture
def panel(db: Session, survey: Survey) -> list[Panelist]:
    people = [
        Panelist(
            survey_id=survey.id,
            email=f"p{i}@example.org",
            name=f"P {i}",
            stakeholder_group="ngo",
            language="fr" if i == 0 else "en",
        )
        for i in range(6)
    ]
    db.add_all(people)
    db.flush()
    return people


@pytest.fixture
def closed(db: Session, survey: Survey, panel: list[Panelist]) -> Round:
    round_ = rounds.launch(db, survey, actor="test")
    for i, panelist in enumerate(panel):
        submit(db, survey, round_, panelist, rating(i))
    rounds.close(db, survey, round_, actor="test")
    return round_


def open_link(client: TestClient, token: str) -> str:
    response = client.get(f"/r/{token}")
    assert response.status_code == 200
    return response.text


def section(html: str, heading: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading}">.*?</section>', html, re.S)
    assert match, heading
    return match.group(0)


class TestResultsPage:
    def test_before_the_study_is_finished_a_closed_rounds_link_opens_nothing(
        self, client, db, closed, panel
    ):
        response = client.get(f"/r/{token_for(db, closed, panel[1])}")

        assert response.status_code == 404
        assert "agreed on" not in response.text

    def test_a_panelist_already_on_the_page_sees_the_results_once_it_is_finished(
        self, client, db, survey, panel
    ):
        round_ = rounds.launch(db, survey, actor="test")
        assert client.get(f"/r/{token_for(db, round_, panel[1])}").status_code == 200
        for i, panelist in enumerate(panel):
            submit(db, survey, round_, panelist, rating(i))
        rounds.close(db, survey, round_, actor="test")
        assert "Round 1 has closed" in client.get("/round").text

        rounds.finish(db, survey, actor="test")

        assert "What the panel agreed on (1 statement)" in client.get("/round").text

    def test_only_the_last_link_opens_the_results(self, client, db, survey, closed, panel):
        first = token_for(db, closed, panel[1])
        second = rounds.launch(db, survey, actor="test")
        rounds.close(db, survey, second, actor="test")
        last = token_for(db, second, panel[1])
        rounds.finish(db, survey, actor="test")

        assert client.get(f"/r/{first}").status_code == 404
        assert "Where the panel stayed divided" in open_link(client, last)

    def test_after_it_the_last_link_shows_agreement_and_division(
        self, client, db, survey, closed, panel
    ):
        token = token_for(db, closed, panel[1])
        rounds.finish(db, survey, actor="test")

        html = open_link(client, token)

        agreed = section(html, "agreed-heading")
        divided = section(html, "divided-heading")
        assert "What the panel agreed on (1 statement)" in agreed
        assert f'data-statement="{AGREED}"' in agreed
        assert "median 9, 100% in agreement (6 raters)" in agreed
        assert f'data-statement="{FEW}"' in divided
        assert "Where the panel stayed divided (26 statements)" in divided
        few = re.search(rf'data-statement="{FEW}".*?</article>', divided, re.S).group(0)
        assert "too few raters to show figures (3)" in few
        assert "median 5" not in few
        assert "Round 1 has closed" not in html

    def test_in_the_panelists_language(self, client, db, survey, closed, panel):
        token = token_for(db, closed, panel[0])
        rounds.finish(db, survey, actor="test")

        html = open_link(client, token)

        assert '<html lang="fr" dir="ltr">' in html
        assert "Ce sur quoi le panel s’est accordé (1 énoncé)" in html
        assert "trop peu d’évaluations pour afficher des chiffres (3)" in html
        # CLDR's French percentage: a no-break space before the sign
        assert "médiane 9, 100\xa0% d’accord (6 évaluations)" in html

    def test_the_results_name_no_group_and_no_panelist(self, db, survey, closed):
        rounds.finish(db, survey, actor="test")

        found = results.of_study(db, survey, "en")

        assert [v.key for v in found.agreed] == [AGREED]
        text = repr(found)
        assert "ngo" not in text
        assert "p0@example.org" not in text


class TestResultsMail:
    def test_finishing_mails_every_panelist_a_link_that_opens_the_results(
        self, client, db, survey, closed, panel
    ):
        told = rounds.finish(db, survey, actor="test")

        mails = db.scalars(select(Outbox).where(Outbox.kind == "results")).all()
        assert told == len(mails) == len(panel)
        assert all(m.round_id is None for m in mails)  # not dropped as a closed round's mail
        french = next(m for m in mails if m.to_address == "p0@example.org")
        link = unseal(french.secret)
        mail = render("results", french.language, {**french.context, "link": link})
        assert mail.subject.startswith("Les résultats de")
        assert link in mail.text
        assert "Ce sur quoi le panel" in open_link(client, link.rsplit("/r/", 1)[1])

    def test_a_removed_panelist_is_not_mailed_and_finishing_twice_is_refused(
        self, db, survey, closed, panel
    ):
        panel[5].email = None
        panel[5].removed_at = panel[5].created_at
        db.flush()

        assert rounds.finish(db, survey, actor="test") == 5
        with pytest.raises(Conflict, match="finished already"):
            rounds.finish(db, survey, actor="test")
