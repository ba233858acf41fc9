"""Listing studies and their rounds."""

from __future__ import annotations

import datetime as dt

import pytest

STUDY = "crime-prevention-2027"
GROUPS = ["member-state", "ngo", "academia", "private-sector", "institute"]


class TestListStudies:
    def test_a_study_is_described_with_its_criteria_rules_and_groups(self, client, auth, survey):
        response = client.get("/api/v1/studies", headers=auth)

        assert response.status_code == 200
        [study] = response.json()
        assert study["key"] == STUDY
        assert study["title"] == "Delphi study on crime-prevention strategies 2027"
        assert study["languages"] == ["en", "fr", "es", "ar", "zh", "ru"]
        assert study["state"] == "active"
        assert study["min_group_size"] == 5
        assert study["rounds"] == 0
        assert [g["key"] for g in study["stakeholder_groups"]] == GROUPS
        assert study["mode"] == "rounds"
        importance, feasibility, priority = study["criteria"]
        assert (importance["kind"], feasibility["kind"]) == ("rating", "rating")
        assert (priority["kind"], priority["top"], priority["scale"]) == (
            "rank",
            3,
            {"low": 1, "high": 3},
        )
        assert importance["key"] == "importance"
        assert importance["scale"] == {"low": 1, "high": 9}
        assert importance["agree"] == [7, 9]
        assert importance["disagree"] == [1, 3]
        assert importance["consensus_rule"]["text"] == (
            "median >= 7 and agree >= 0.7 and disagree < 0.15"
        )
        assert importance["consensus_rule"]["definition"]
        assert feasibility["scale"] == {"low": 1, "high": 5}

    def test_the_rounds_count_follows_launches(self, client, auth, study):
        study.panel({"ngo": 3})
        study.launch()

        [listed] = client.get("/api/v1/studies", headers=auth).json()

        assert listed["rounds"] == 1

    def test_no_studies_is_an_empty_list(self, client, auth):
        response = client.get("/api/v1/studies", headers=auth)

        assert response.status_code == 200
        assert response.json() == []


class TestListRounds:
    def test_each_round_shows_its_state_size_and_response_rate(self, client, auth, study):
        panel = study.panel({"ngo": 6, "academia": 4})
        first = study.launch()
        study.answer(first, seed=1)
        study.close(first)
        second = study.launch()
        study.answer(second, seed=2, panelists=panel[:4])

        response = client.get(f"/api/v1/studies/{STUDY}/rounds", headers=auth)

        assert response.status_code == 200
        one, two = response.json()
        assert one["number"] == 1
        assert one["state"] == "closed"
        opened, closed = (dt.datetime.fromisoformat(one[k]) for k in ("opened_at", "closed_at"))
        assert opened.utcoffset() == closed.utcoffset() == dt.timedelta(0)
        assert opened <= closed
        assert one["deadline"] is None
        assert one["statements"] == 27
        assert (one["invited"], one["submitted"], one["response_rate"]) == (10, 10, 1.0)
        assert two["state"] == "open"
        assert two["closed_at"] is None
        assert two["statements"] == len(second.items)
        assert (two["invited"], two["submitted"]) == (10, 4)
        assert two["response_rate"] == pytest.approx(0.4)

    def test_an_unknown_study_is_404_json(self, client, auth):
        response = client.get("/api/v1/studies/no-such-study/rounds", headers=auth)

        assert response.status_code == 404
        assert response.json() == {"detail": "no study with key 'no-such-study'"}
