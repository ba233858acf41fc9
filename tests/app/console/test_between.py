"""Console pages between rounds: reasons by band and moderation, statements and lineage,
proposals curation, round 0 and the launch that waits for translations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    AuditLog,
    Panelist,
    Proposal,
    ProposalState,
    Reason,
    Round,
    Statement,
    StatementState,
    Survey,
)
from app.proposals import service as proposals
from app.rounds import service as rounds
from tests.app import factories

Post = Callable[..., Any]
REASON = "Regional networks exist on paper but rarely meet."


@pytest.fixture
def closed(
    db: Session, survey: Survey, make_panel: Callable[..., list[Panelist]]
) -> tuple[Round, Statement]:
    """Round 1 closed: 6 NGO and 6 member-state raters, 2 academics; reasons on statement 1."""
    panel = make_panel({"ngo": 6, "member-state": 6, "academia": 2})
    round_ = rounds.launch(db, survey, actor="test")
    for n, panelist in enumerate(panel):
        factories.submit_with_reasons(
            db,
            survey,
            round_,
            panelist,
            lambda j, c, n=n: 1 + n % 5,
            lambda j, n=n: (
                (f"{REASON} ({n})" if n == 0 else f"Reason {n}: " + "why " * n) if j == 0 else None
            ),
        )
    rounds.close(db, survey, round_, actor="test")
    return round_, round_.items[0].statement


def _reasons_url(survey: Survey, round_: Round, statement: Statement) -> str:
    return f"/console/studies/{survey.key}/rounds/{round_.number}/statements/{statement.id}/reasons"


class TestReasonsPage:
    def test_every_reason_with_its_rating_by_band_and_counted(
        self, signed_in: TestClient, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        round_, statement = closed
        html = signed_in.get(_reasons_url(survey, round_, statement)).text
        # Listed once per criterion, each time in the band its rating falls in.
        assert len(set(re.findall(r'data-reason="(\d+)"', html))) == 14
        assert html.count('data-reason="') == 14 * len(survey.criteria)
        assert "14 reasons" in html
        assert re.search(r'data-band="below"><strong>\d+</strong> Below the middle range', html)
        assert "importance: 1" in html
        assert "respondent" not in html.lower()
        scale = signed_in.get(_reasons_url(survey, round_, statement) + "?bands=scale").text
        assert "Disagree (1 to 3)" in scale

    def test_the_group_filter_offers_only_groups_with_k_raters(
        self, signed_in: TestClient, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        round_, statement = closed
        url = _reasons_url(survey, round_, statement)
        html = signed_in.get(url).text
        assert '<option value="ngo"' in html
        assert '<option value="academia"' not in html
        filtered = signed_in.get(url + "?group=ngo").text
        assert len(set(re.findall(r'data-reason="(\d+)"', filtered))) == 6
        refused = signed_in.get(url + "?group=academia")
        assert refused.status_code == 422
        assert "at least 5 raters" in refused.text

    def test_hiding_and_restoring_a_reason(
        self,
        db: Session,
        signed_in: TestClient,
        post_form: Post,
        survey: Survey,
        closed: tuple[Round, Statement],
    ) -> None:
        round_, statement = closed
        reason = db.scalar(select(Reason).where(Reason.text.startswith(REASON)))
        assert reason is not None
        url = _reasons_url(survey, round_, statement)
        base = f"/console/studies/{survey.key}/rounds/1/reasons/{reason.id}"
        response = post_form(url, f"{base}/hide", {"cause": "identifies-someone"})
        assert response.status_code == 200
        assert "hidden from panelists and exports" in response.text
        assert "Identifies someone" in response.text
        assert reason.hidden_cause is not None
        bad = post_form(
            url,
            f"/console/studies/{survey.key}/rounds/1/reasons/{reason.id}/hide",
            {"cause": "boring"},
        )
        assert bad.status_code == 422
        assert "cause: choose one of" in bad.text
        again = post_form(url, f"{base}/hide", {"cause": "abusive"})
        assert again.status_code == 409
        assert "already hidden" in again.text
        post_form(url, f"{base}/restore")
        assert reason.hidden_cause is None
        actions = db.scalars(select(AuditLog.action).where(AuditLog.action.like("reason.%")))
        assert list(actions) == ["reason.hide", "reason.restore"]

    def test_the_cause_is_chosen_under_a_whole_label(
        self, signed_in: TestClient, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        round_, statement = closed
        page = signed_in.get(_reasons_url(survey, round_, statement)).text
        # a label that reads the same in any language, the causes as they are written
        assert re.search(r'<label for="cause-[^"]+">Why hide it</label>', page)
        assert '<option value="personal-data">Contains personal data</option>' in page
        assert '<option value="identifies-someone">Identifies someone</option>' in page

    def test_the_report_summarises_the_reasons_and_links_to_them(
        self, signed_in: TestClient, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        round_, statement = closed
        html = signed_in.get(f"/console/studies/{survey.key}/rounds/1").text
        assert _reasons_url(survey, round_, statement) in html
        assert "key terms" in html
        assert "Argument strength" in html


class TestStatementsPages:
    def test_rewording_through_the_form_makes_a_new_version(
        self, db: Session, post_form: Post, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        _, statement = closed
        page = f"/console/studies/{survey.key}/statements/{statement.id}"
        response = post_form(
            page,
            f"{page}/reword",
            {"text-en": "A new wording.", "text-fr": "Une formulation.", "text-es": "Una."},
        )
        assert response.status_code == 200
        assert "reworded: version 2 joins the next round" in response.text
        assert statement.state == StatementState.SUPERSEDED
        assert "cyber-01 v2" in response.text
        same = post_form(page, f"{page}/reword", {"text-en": "A new wording."})
        assert same.status_code == 409  # the old version is superseded

    def test_changes_on_the_open_round_are_refused_with_the_reason(
        self, db: Session, post_form: Post, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        rounds.launch(db, survey, actor="test")
        _, statement = closed
        page = f"/console/studies/{survey.key}/statements/{statement.id}"
        response = post_form(page, f"{page}/drop", {"reason": "No."})
        assert response.status_code == 409
        assert "being rated in round 2, which is open" in response.text
        assert statement.state == StatementState.ACTIVE

    def test_a_split_into_one_part_is_refused(
        self, post_form: Post, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        _, statement = closed
        page = f"/console/studies/{survey.key}/statements/{statement.id}"
        response = post_form(page, f"{page}/split", {"part1-en": "Only one."})
        assert response.status_code == 422
        assert "at least two parts" in response.text

    def test_the_launch_lists_missing_translations_and_waits(
        self,
        db: Session,
        signed_in: TestClient,
        post_form: Post,
        survey: Survey,
        closed: tuple[Round, Statement],
    ) -> None:
        topic = survey.topics[0]
        study = f"/console/studies/{survey.key}"
        added = post_form(
            f"{study}/statements",
            f"{study}/statements",
            {"topic": str(topic.id), "text-en": "English only."},
        )
        assert "joins the next round" in added.text
        listing = signed_in.get(f"{study}/statements").text
        assert "The next round cannot launch yet" in listing
        refused = post_form(study, f"{study}/rounds")
        assert refused.status_code == 409
        assert (
            "1 changed statement lacks a translation (cybercrime-a1: fr, es, ar, zh, ru)"
            in refused.text
        )
        russian = post_form(study, f"{study}/rounds", headers={"Accept-Language": "ru"})
        assert "у 1 изменённого утверждения нет перевода (cybercrime-a1:" in russian.text

    def test_a_study_with_fallbacks_launches_over_a_missing_translation(
        self,
        db: Session,
        signed_in: TestClient,
        post_form: Post,
        survey: Survey,
        closed: tuple[Round, Statement],
    ) -> None:
        survey.translation_fallbacks = True  # as a study file with translation_fallbacks: true
        db.flush()
        study = f"/console/studies/{survey.key}"
        post_form(
            f"{study}/statements",
            f"{study}/statements",
            {"topic": str(survey.topics[0].id), "text-en": "English only."},
        )
        listing = signed_in.get(f"{study}/statements").text
        assert "The next round cannot launch yet" not in listing
        assert "Shown untranslated in the next round" in listing
        assert "see the English text, marked as not translated" in listing
        added = db.scalars(
            select(Statement).where(
                Statement.survey_id == survey.id, Statement.key == "cybercrime-a1"
            )
        ).one()
        page = signed_in.get(f"{study}/statements/{added.id}").text
        assert "Panelists who read them see the English text" in page
        launched = post_form(study, f"{study}/rounds")
        assert launched.status_code == 200
        assert "Round 2 launched" in launched.text
        round2 = db.scalars(select(Round).where(Round.survey_id == survey.id, Round.number == 2))
        assert added.id in [item.statement_id for item in round2.one().items]


class TestProposalsPages:
    def test_round_zero_from_the_console_and_its_proposals_curated(
        self,
        db: Session,
        signed_in: TestClient,
        post_form: Post,
        survey: Survey,
        make_panel: Callable[..., list[Panelist]],
    ) -> None:
        make_panel({"ngo": 2})
        study = f"/console/studies/{survey.key}"
        assert "Launch round 0" in signed_in.get(study).text
        launched = post_form(study, f"{study}/rounds", {"proposals_only": "yes"})
        assert "Round 0 launched: 2 invitations are queued." in launched.text
        round0 = rounds.get_or_raise(db, survey, 0)
        topic = survey.topics[0]
        proposals.submit(db, round0, {topic.id: survey.statements[0].text["en"]}, language="en")
        proposals.submit(db, round0, {topic.id: "A new idea."}, language="en")
        listing = signed_in.get(f"{study}/proposals").text
        assert "1.00" in listing  # the copy of a statement is flagged
        found = {p.text: p for p in db.scalars(select(Proposal))}
        copy, idea = found[survey.statements[0].text["en"]], found["A new idea."]
        page = f"{study}/proposals/{copy.id}"
        rejected = post_form(page, f"{page}/reject", {"reason": "Already a statement."})
        assert "The proposal is rejected." in rejected.text
        page = f"{study}/proposals/{idea.id}"
        accepted = post_form(
            page,
            f"{page}/accept",
            {
                "topic": str(topic.id),
                "text-en": "A new idea.",
                "text-fr": "Idée.",
                "text-es": "Idea.",
            },
        )
        assert "Accepted as statement cybercrime-p1" in accepted.text
        assert (copy.state, idea.state) == (ProposalState.REJECTED, ProposalState.ACCEPTED)
        again = post_form(page, f"{page}/reject", {"reason": "Too late."})
        assert again.status_code == 409


class TestArgumentsPage:
    def test_before_the_next_round_closes_it_says_what_it_will_show(
        self, signed_in: TestClient, survey: Survey, closed: tuple[Round, Statement]
    ) -> None:
        html = signed_in.get(f"/console/studies/{survey.key}/rounds/1/arguments").text
        assert "Round 2 has not closed yet" in html

    def test_after_it_closes_every_reason_with_its_counts(
        self,
        db: Session,
        signed_in: TestClient,
        survey: Survey,
        closed: tuple[Round, Statement],
    ) -> None:
        round2 = rounds.launch(db, survey, actor="test")
        rounds.close(db, survey, round2, actor="test")
        html = signed_in.get(f"/console/studies/{survey.key}/rounds/1/arguments").text
        assert html.count("<tr data-reason=") == 14
        assert "No reason was marked persuasive by at least 5 panelists" in html
