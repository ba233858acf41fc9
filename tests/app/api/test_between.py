"""The API between rounds: reasons (JSON, CSV) without respondents or hidden ones, summaries,
proposals, statements with lineage."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import HiddenCause, Reason, Round, Survey
from app.proposals import service as proposals
from app.reasons import service as reasons
from app.rounds import service as rounds
from app.statements import service as statements
from tests.app.factories import make_panel, submit_with_reasons

STUDY = "crime-prevention-2027"
GROUPS = ("ngo",) * 6 + ("member-state",) * 6 + ("academia",) * 2
HIDDEN = "My neighbour Jane Doe at 12 Main Street says so."
FULL = {
    "en": "Clearer.",
    "fr": "Plus clair.",
    "es": "Más claro.",
    "ar": "أوضح.",
    "zh": "更清楚。",
    "ru": "Яснее.",
}


@pytest.fixture
def closed(db: Session, survey: Survey) -> Round:
    panel = make_panel(db, survey, len(GROUPS), groups=GROUPS)
    panel.sort(key=lambda p: p.id)
    round_ = rounds.launch(db, survey, actor="test")
    for n, panelist in enumerate(panel):
        submit_with_reasons(
            db,
            survey,
            round_,
            panelist,
            lambda j, c, n=n: 1 + n % 5,
            lambda j, n=n: (
                (HIDDEN if n == 0 else f"Argument number {n} " + "x" * n) if j == 0 else None
            ),
            language="fr" if n == 1 else "en",
        )
    rounds.close(db, survey, round_, actor="test")
    hidden = db.scalar(select(Reason).where(Reason.text == HIDDEN))
    assert hidden is not None
    reasons.hide(db, survey, round_, hidden, HiddenCause.PERSONAL_DATA, actor="test")
    return round_


class TestReasons:
    def test_json_has_ratings_bands_and_groups_where_k_but_no_respondent_nor_hidden(
        self, client, auth, closed: Round
    ) -> None:
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/1/reasons", headers=auth)
        assert response.status_code == 200
        body = response.json()
        assert (body["round"], body["hidden"], body["min_group_size"]) == (1, 1, 5)
        assert len(body["reasons"]) == len(GROUPS) - 1
        assert HIDDEN not in response.text
        assert "respondent" not in response.text
        reason = body["reasons"][0]
        assert set(reason) == {
            "statement",
            "version",
            "text",
            "language",
            "moderation",
            "group",
            "criteria",
        }
        assert reason["moderation"] == "visible"
        assert set(reason["criteria"]["importance"]) == {
            "rating",
            "cannot_judge",
            "range_band",
            "scale_band",
        }
        # Academia (2 raters) is suppressed, and member states with it (else the panel less
        # the others would reveal it): only the NGOs' reasons are named.
        groups = [r["group"] for r in body["reasons"]]
        assert set(groups) == {"ngo", None}
        assert groups.count("ngo") == 5  # six NGOs, one reason hidden
        assert {r["language"] for r in body["reasons"]} == {"en", "fr"}
        bands = {(s["criterion"], s["kind"], s["band"]) for s in body["summaries"]}
        assert ("importance", "range", "within") in bands
        assert all(s["count"] >= len(s["representative"]) for s in body["summaries"])

    def test_csv_has_one_row_per_reason_and_criterion(self, client, auth, closed: Round) -> None:
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/1/reasons.csv", headers=auth)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == (len(GROUPS) - 1) * 2
        assert {r["reason"] for r in rows} == {str(n) for n in range(1, len(GROUPS))}
        assert HIDDEN not in response.text
        assert "respondent" not in response.text.splitlines()[0]
        assert {r["moderation"] for r in rows} == {"visible"}

    def test_an_open_round_gives_none(self, client, auth, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        rounds.launch(db, survey, actor="test")
        response = client.get(f"/api/v1/studies/{STUDY}/rounds/1/reasons", headers=auth)
        assert response.status_code == 409

    def test_without_a_key_nothing(self, client, closed: Round) -> None:
        assert client.get(f"/api/v1/studies/{STUDY}/rounds/1/reasons").status_code == 401


class TestProposalsAndStatements:
    def test_proposals_with_their_decisions_and_no_writer(
        self, client, auth, db: Session, survey: Survey, closed: Round
    ) -> None:
        topic = survey.topics[0]
        proposals.submit(db, closed, {topic.id: "A proposal."}, language="es")
        [proposal] = proposals.list_for(db, survey)
        added = proposals.accept(db, survey, proposal, FULL, topic, actor="test")
        body = client.get(f"/api/v1/studies/{STUDY}/proposals", headers=auth).json()
        assert body == [
            {
                "topic": topic.key,
                "round": 1,
                "text": "A proposal.",
                "language": "es",
                "state": "accepted",
                "statement": added.key,
                "statement_version": 1,
                "decision_note": None,
            }
        ]

    def test_statements_with_versions_lineage_and_rounds(
        self, client, auth, db: Session, survey: Survey, closed: Round
    ) -> None:
        old = closed.items[0].statement
        statements.reword(db, survey, old, FULL, actor="test")
        body = client.get(f"/api/v1/studies/{STUDY}/statements", headers=auth).json()
        versions = {(s["key"], s["version"]): s for s in body}
        first, second = versions[(old.key, 1)], versions[(old.key, 2)]
        assert (first["state"], first["origin"]) == ("superseded", "seeded")
        assert first["rounds"] == [{"number": 1, "outcome": "carried"}]
        assert first["children"] == [{"key": old.key, "version": 2}]
        assert (second["origin"], second["parents"]) == (
            "reworded",
            [{"key": old.key, "version": 1}],
        )
        assert second["rounds"] == []
        assert second["missing_languages"] == []
        assert second["text"] == FULL


class TestOpenApi:
    def test_every_field_of_the_new_models_is_described(self, client) -> None:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
        for name in (
            "RoundReasons",
            "ReasonOut",
            "ReasonRating",
            "BandSummaryOut",
            "ProposalOut",
            "StatementOut",
            "StatementRef",
            "StatementRound",
        ):
            for field, spec in schemas[name]["properties"].items():
                assert spec.get("description"), f"{name}.{field}"
