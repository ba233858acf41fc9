"""The final report: JSON, console page with charts and their tables, PDF, bad input."""

from __future__ import annotations

import html
import io
import json
import re
import shutil

import pytest
from pypdf import PdfReader

import engine
from app import i18n
from app.analysis import plan, study
from app.errors import Invalid
from app.reports import charts, method_labels, service

STUDY = "crime-prevention-2027"


def report_json(client, auth):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/studies/{STUDY}/report", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


class TestReportData:
    def test_every_section_is_there(self, client, auth, two_rounds):
        body = report_json(client, auth)
        assert [r["number"] for r in body["rounds"]] == [1, 2]
        assert [(r["invited"], r["responded"]) for r in body["rounds"]] == [(27, 27), (27, 20)]
        assert body["plan"]["hash"] == plan.digest(body["plan"]["content"])
        assert body["plan"]["amendments"] == []
        statements = {s["key"]: s for s in body["statements"]}
        # every statement once, with its verdict from the last round it was rated in
        assert len(statements) == len(two_rounds.first.round.items)
        second = {item.statement.key for item in two_rounds.second.round.items}
        for key, s in statements.items():
            assert s["final_round"] == (2 if key in second else 1)
            assert [p["round"] for p in s["trajectory"]["importance"]] == (
                [1, 2] if key in second else [1]
            )
        assert {d["key"] for d in body["dissent"]} == {
            k for k, s in statements.items() if s["outcome"] != "consensus"
        }
        assert [g["round"] for g in body["opinion_groups"]] == [1, 2]
        assert body["attrition"][1]["tests"]["dropped"] == 7
        assert {a["section"] for a in body["accord"]} >= {"methods", "results", "discussion"}
        assert any(not a["filled"] for a in body["accord"])

    def test_the_response_models_serve_the_data_unchanged(self, db, client, auth, two_rounds):
        survey = two_rounds.survey
        body = report_json(client, auth)
        built = json.loads(json.dumps(service.build(db, survey)))

        assert {**body, "study": {**body["study"], "generated_at": ""}} == {
            **built,
            "study": {**built["study"], "generated_at": ""},
        }
        closed = study.closed_rounds(db, survey)
        for path, data in (
            ("/trajectory", study.trajectory(survey, closed)),
            ("/sensitivity", study.sensitivity(closed)),
            ("/attrition", study.attrition(closed)),
            ("/rounds/1/opinion-groups", study.opinion_groups(closed[0])),
        ):
            response = client.get(f"/api/v1/studies/{STUDY}{path}", headers=auth)
            assert response.json() == json.loads(json.dumps(data)), path

    def test_an_open_round_is_409_with_the_reason(self, client, auth, study):
        study.panel({"member-state": 6})
        study.launch()
        for path in ("/report", "/report.pdf"):
            response = client.get(f"/api/v1/studies/{STUDY}{path}", headers=auth)
            assert response.status_code == 409
            assert "round 1" in response.json()["detail"]
            assert "still open" in response.json()["detail"]

    def test_amendments_are_listed_with_who_when_why(self, db, client, auth, two_rounds):
        survey = two_rounds.survey
        amendment = plan.amend(
            db,
            survey,
            [plan.Setting("criteria.importance.consensus", "core-outcome-70-15")],
            reason="The steering group adopted the COMET definition.",
            actor="fran@example.org",
        )
        body = report_json(client, auth)
        listed = body["plan"]["amendments"]
        assert [a["reason"] for a in listed] == ["The steering group adopted the COMET definition."]
        assert listed[0]["by"] == "fran@example.org"
        assert listed[0]["changes"] == [
            {
                "setting": "criteria.importance.consensus",
                "before": body["plan"]["content"]["criteria"]["importance"]["consensus"],
                "after": "agree >= 0.7 and disagree < 0.15",
            }
        ]
        assert body["plan"]["current_hash"] == amendment.content_hash != body["plan"]["hash"]


class TestPlan:
    def test_frozen_at_round_one_and_not_again(self, db, survey, study):
        study.panel({"member-state": 6})
        round_1 = study.launch()
        frozen = plan.get(db, survey)
        assert frozen is not None
        assert frozen.content == plan.content(survey)
        assert frozen.content_hash == plan.digest(plan.content(survey))
        study.answer(round_1)
        study.close(round_1)
        study.launch()
        assert plan.get(db, survey).id == frozen.id

    def test_an_amendment_without_a_reason_is_refused(self, db, survey, study):
        study.panel({"member-state": 6})
        study.launch()
        before = plan.content(survey)
        with pytest.raises(Invalid, match="needs a reason"):
            plan.amend(db, survey, [plan.Setting("min_group_size", "7")], reason="  ", actor="x")
        assert plan.content(survey) == before
        assert plan.get(db, survey).amendments == []

    def test_a_rule_that_does_not_parse_is_refused(self, db, survey, study):
        study.panel({"member-state": 6})
        study.launch()
        with pytest.raises(Invalid, match="criteria.importance.consensus"):
            plan.amend(
                db,
                survey,
                [plan.Setting("criteria.importance.consensus", "median >>= 7")],
                reason="typo",
                actor="x",
            )


class TestStudyFileRules:
    def test_an_alternative_rule_that_does_not_parse_names_its_line(self, tmp_path):
        from app.studies import service
        from tests.app.conftest import STUDY_FILE

        text = STUDY_FILE.read_text(encoding="utf-8").replace(
            "  cannot_judge_counts: false\n",
            "  cannot_judge_counts: false\n  alternative_rules:\n    strict: agree >= 0.9\n"
            "    broken: agree >> 0.9\n",
        )
        line = text.splitlines().index("    broken: agree >> 0.9") + 1
        with pytest.raises(service.Invalid) as error:
            service.parse(text, "study.yaml")
        [problem] = error.value.problems
        assert problem.startswith(f"study.yaml:{line}: method.alternative_rules.broken:")

    def test_a_preset_is_usable_by_name(self):
        from app.studies import service
        from tests.app.conftest import STUDY_FILE

        text = STUDY_FILE.read_text(encoding="utf-8")
        study = service.parse(text, "study.yaml")
        rule = next(c.consensus for c in study.criteria if c.consensus)
        named = service.parse(text.replace(rule, "rand-ucla-appropriate", 1), "study.yaml")
        assert next(c.consensus for c in named.criteria if c.consensus) == "rand-ucla-appropriate"


class TestConsolePage:
    def test_charts_come_with_their_tables(self, signed_in, two_rounds):
        page = signed_in.get(f"/console/studies/{STUDY}/report")
        assert page.status_code == 200, page.text
        html = page.text
        assert html.count("<svg") == html.count("Table of this chart")
        assert 'id="pair-map"' in html
        assert "high Importance, high Feasibility" in html
        assert 'id="heatmap-1"' in html
        assert "suppressed (fewer than 5)" in html
        assert 'id="opinion-map-1"' in html or "No grouping" in html
        # the table of a distribution chart gives each scale point's count
        first = two_rounds.first.round.items[0].statement.key
        assert f'id="dist-{first}-importance"' in html
        assert "<script" not in html
        assert "style=" not in html

    def test_the_method_settings_are_named_not_keyed(self, signed_in, two_rounds):
        url = f"/console/studies/{STUDY}/report"
        english = signed_in.get(url).text
        method = re.search(r'<section id="method">.*?</section>', english, re.S)
        assert method
        assert "Quantile method: weibull" in method.group(0)
        assert "Smallest group reported (k): 5" in method.group(0)
        assert "quantile_method" not in method.group(0)
        french = signed_in.get(url, headers={"Accept-Language": "fr"}).text
        assert "Méthode de calcul des quantiles\xa0: weibull" in french

    def test_the_map_takes_any_two_criteria_and_refuses_others(self, signed_in, two_rounds):
        page = signed_in.get(
            f"/console/studies/{STUDY}/report", params={"x": "feasibility", "y": "importance"}
        )
        assert "high Feasibility, high Importance" in page.text
        bad = signed_in.get(
            f"/console/studies/{STUDY}/report", params={"x": "importance", "y": "importance"}
        )
        assert bad.status_code == 422
        assert "two different criteria" in bad.text

    def test_the_page_is_in_the_consoles_language(self, signed_in, two_rounds):
        url = f"/console/studies/{STUDY}/report"
        french = signed_in.get(url, headers={"Accept-Language": "fr"}).text
        assert '<html lang="fr" dir="ltr">' in french
        assert "<h2>1. Composition du panel</h2>" in french
        assert "Liste de contrôle ACCORD" in french
        # the checklist's topics and the charts' tables are translated where shown
        assert "Anonymat du panel et des réponses" in french
        assert "<th>Évaluateurs</th>" in french or ">Évaluateurs</th>" in french
        assert "Panel composition" not in french
        # numbers as French writes them: decimal commas, a space before "%"
        assert re.search(r">\d+\xa0%</td>", french)
        assert re.search(r">\d,\d \(\d,\d–\d,\d\), \d+\xa0%</td>", french)
        arabic = signed_in.get(url, headers={"Accept-Language": "ar"}).text
        assert '<html lang="ar" dir="rtl">' in arabic
        assert "تكوين الفريق" in arabic
        english = signed_in.get(url).text
        assert '<html lang="en" dir="ltr">' in english
        assert "<h2>1. Panel composition</h2>" in english
        assert re.search(r">\d+%</td>", english)
        assert re.search(r">\d\.\d \(\d\.\d–\d\.\d\), \d+%</td>", english)

    def test_the_api_keeps_the_checklist_in_english(self, client, auth, two_rounds):
        body = report_json(client, auth)
        assert body["accord"][0]["section"] == "title"
        assert body["accord"][0]["item"] == service.ACCORD_ITEMS[0][1]
        assert body["accord"][0]["item"].startswith("Identify the report")


class TestCharts:
    def test_distribution_table_says_what_the_bars_show(self):
        chart = charts.distribution("d", [1, 2, 3], [2, 0, 6])
        assert chart.rows == [["1", "2", "25%"], ["2", "0", "0%"], ["3", "6", "75%"]]
        heights = [float(h) for h in re.findall(r'class="bar"[^>]*height="([\d.]+)"', chart.svg)]
        assert heights[1] == 0
        assert heights[2] == pytest.approx(3 * heights[0], abs=0.2)

    def test_an_unknown_setting_is_shown_by_its_key(self):
        assert method_labels.method_label("quantile_method") == "Quantile method"
        assert method_labels.method_label("new_setting") == "new_setting"
        with i18n.use_language("fr"):
            assert method_labels.method_value(True) == "oui"
            assert method_labels.method_value(0.15) == "0,15"
            assert method_labels.method_label("max_rounds") == "Nombre maximal de tours"

    def test_a_suppressed_heatmap_cell_is_hatched_and_says_so(self):
        chart = charts.heatmap(
            "h",
            [("a", "A"), ("b", "B")],
            [("s1", {"a": {"median": 7, "agree": 0.8}, "b": None})],
            5,
        )
        assert chart.rows == [["s1", "7 / 80%", "suppressed (fewer than 5)"]]
        assert chart.svg.count('fill="url(#hatch)"') == 1

    def test_the_numbers_people_read_are_in_the_language_and_the_geometry_is_not(self):
        rounds = [
            {
                "round": 1,
                "n": 9,
                "median": 6.5,
                "q1": 5.25,
                "q3": 7,
                "agree": 0.5,
                "consensus": None,
            },
            {"round": 2, "n": 8, "median": 7, "q1": 6, "q3": 8, "agree": 0.75, "consensus": True},
        ]
        with i18n.use_language("fr"):
            chart = charts.trajectory("t", [1, 9], rounds)
            bars = charts.distribution("d", [1, 2], [1, 3])
        assert chart.rows[0][2:6] == ["6,5", "5,2", "7", "50\xa0%"]
        assert bars.rows[1] == ["2", "3", "75\xa0%"]
        assert ">100\xa0%</text>" in chart.svg
        geometry = re.findall(r' (?:x|y|x1|y2|cx|cy|width|height)="([^"]*)"', chart.svg)
        assert geometry
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", g) for g in geometry)
        assert re.search(r'points="[\d.]+,[\d.]+ ', chart.svg)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium prints the PDF")
class TestPdf:
    def test_the_pdf_holds_the_statements(self, client, auth, two_rounds):
        response = client.get(f"/api/v1/studies/{STUDY}/report.pdf", headers=auth)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        text = " ".join(page.extract_text() for page in reader.pages)
        flat = re.sub(r"\s+", " ", text)
        assert "ACCORD checklist" in flat
        survey = two_rounds.survey
        for item in two_rounds.first.round.items[:5]:
            words = survey.text(item.statement.text).split()
            assert " ".join(words[:5]) in flat, item.statement.key
        assert reader.pages[0].mediabox.width == pytest.approx(595, abs=2)  # A4

    def test_the_api_pdf_takes_a_language(self, client, auth, two_rounds):
        response = client.get(
            f"/api/v1/studies/{STUDY}/report.pdf", params={"lang": "es"}, headers=auth
        )
        assert response.status_code == 200
        reader = PdfReader(io.BytesIO(response.content))
        flat = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
        assert "Composición del panel" in flat

    def test_the_consoles_pdf_is_in_the_pages_language(self, signed_in, two_rounds):
        response = signed_in.get(
            f"/console/studies/{STUDY}/report.pdf", headers={"Accept-Language": "fr"}
        )
        assert response.status_code == 200
        reader = PdfReader(io.BytesIO(response.content))
        flat = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
        assert "Liste de contrôle ACCORD" in flat
        assert "ACCORD checklist" not in flat


class TestPlanPage:
    def test_amend_through_the_console_and_refuse_without_reason(
        self, db, signed_in, post_form, study
    ):
        study.panel({"member-state": 6})
        study.launch()
        url = f"/console/studies/{STUDY}/plan"
        assert "SHA-256" in signed_in.get(url).text
        refused = post_form(url, url, {"setting": "min_group_size", "value": "6", "reason": ""})
        assert refused.status_code == 422
        assert "needs a reason" in refused.text
        done = post_form(
            url,
            url,
            {"setting": "min_group_size", "value": "6", "reason": "Smaller groups came forward."},
        )
        assert done.status_code == 200
        page = signed_in.get(url).text
        assert "Smaller groups came forward." in page
        assert "fran@example.org" in page
        assert study.survey.min_group_size == 6
        # each setting named, with the key an amendment is written with
        assert 'Smallest group reported (k) <code class="muted">min_group_size</code>' in page

    def test_a_rule_that_does_not_parse_is_explained_in_french(
        self, db, signed_in, post_form, study
    ):
        study.panel({"member-state": 6})
        study.launch()
        url = f"/console/studies/{STUDY}/plan"
        amendment = {
            "setting": "criteria.importance.consensus",
            "value": "popularity >= 7",
            "reason": "Une coquille.",
        }
        refused = post_form(url, url, amendment, headers={"Accept-Language": "fr"})
        assert refused.status_code == 422
        shown = html.unescape(refused.text)
        assert (
            "criteria.importance.consensus\u00a0: champ inconnu 'popularity' dans la règle de "
            f"consensus\u202f; champs connus\u00a0: {', '.join(engine.Summary.metric_names())}"
        ) in shown
        assert "unknown field" not in shown
        assert plan.get(db, study.survey).amendments == []
