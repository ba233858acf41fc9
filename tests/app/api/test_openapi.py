"""The OpenAPI description documents the analyst API with its response models."""

from __future__ import annotations

import pytest

import engine
from app.api import schemas


class TestOpenApi:
    def test_routes_document_their_models_and_errors(self, client):
        spec = client.get("/openapi.json").json()

        paths = spec["paths"]
        metrics = paths["/api/v1/studies/{key}/rounds/{number}/metrics"]["get"]
        assert metrics["summary"]
        assert metrics["description"]
        assert metrics["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/RoundMetrics"
        }
        assert {"401", "404", "409", "422"} <= set(metrics["responses"])
        csv_route = paths["/api/v1/studies/{key}/rounds/{number}/ratings.csv"]["get"]
        assert "text/csv" in csv_route["responses"]["200"]["content"]
        assert "401" in paths["/api/v1/studies"]["get"]["responses"]
        assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"

    def test_the_metric_models_list_every_engine_metric(self, client):
        spec = client.get("/openapi.json").json()

        schemas_ = spec["components"]["schemas"]
        metrics = {*engine.Summary.metric_names(), "counts", "cannot_judge"}
        assert set(schemas_["GroupSummary"]["properties"]) == metrics | {"suppressed"}
        assert metrics <= set(schemas_["CriterionMetrics"]["properties"])
        assert {"StatementMetrics", "SuppressedGroup", "Study", "Round"} <= set(schemas_)

    def test_the_summary_model_matches_the_engine_records(self):
        record = engine.summarize([[7], [8], [9]], engine.Scale(1, 9)).records()[0]

        assert set(schemas.Summary.model_fields) == set(record)


def _undescribed(name: str, schema: dict) -> list[str]:
    """Every property of ``schema`` (component ``name``) without a description of its own."""
    return [
        f"{name}.{field}"
        for field, prop in schema.get("properties", {}).items()
        if not prop.get("description")
    ]


class TestDescriptions:
    def test_every_field_of_every_schema_is_described(self, client):
        spec = client.get("/openapi.json").json()

        undescribed = [
            missing
            for name, schema in spec["components"]["schemas"].items()
            # FastAPI's own validation-error models are not the project's to describe
            if name not in {"HTTPValidationError", "ValidationError"}
            for missing in _undescribed(name, schema)
        ]

        assert undescribed == []
        assert len(spec["components"]["schemas"]) > 20

    @pytest.mark.parametrize(
        ("path", "model"),
        [
            ("/trajectory", "Trajectory"),
            ("/sensitivity", "RoundSensitivity"),
            ("/rounds/{number}/opinion-groups", "OpinionGroups"),
            ("/attrition", "RoundAttrition"),
            ("/report", "Report"),
        ],
    )
    def test_the_analysis_routes_answer_with_described_models(self, client, path, model):
        spec = client.get("/openapi.json").json()
        schemas_ = spec["components"]["schemas"]

        route = spec["paths"][f"/api/v1/studies/{{key}}{path}"]["get"]
        answer = route["responses"]["200"]["content"]["application/json"]["schema"]
        assert model in str(answer)
        assert _undescribed(model, schemas_[model]) == []
        # the nested models are in the walk of every schema above
        assert len(schemas_[model]["properties"]) >= 3

    def test_the_pdf_route_documents_a_binary_answer(self, client):
        spec = client.get("/openapi.json").json()

        route = spec["paths"]["/api/v1/studies/{key}/report.pdf"]["get"]
        pdf = route["responses"]["200"]["content"]["application/pdf"]
        assert pdf["schema"] == {"type": "string", "format": "binary"}
        assert {"404", "409", "503"} <= set(route["responses"])

    def test_agree_is_an_inclusive_range(self, client):
        spec = client.get("/openapi.json").json()

        agree = spec["components"]["schemas"]["CriterionInfo"]["properties"]["agree"]
        assert "inclusive range" in agree["description"]
        assert "counted" not in agree["description"]
