"""The charts of the final report, built from its data (:func:`app.reports.service.build`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import Invalid
from app.i18n import N_, translate
from app.reports import charts


@dataclass
class Figures:
    distribution: dict[tuple[str, str], charts.Chart] = field(default_factory=dict)
    trajectory: dict[tuple[str, str], charts.Chart] = field(default_factory=dict)
    heatmaps: list[charts.Chart] = field(default_factory=list)
    opinion_maps: dict[int, charts.Chart] = field(default_factory=dict)
    pair: charts.Chart | None = None
    pair_keys: tuple[str, str] | None = None


def build(
    report: dict[str, Any], survey_groups: list[tuple[str, str]], pair: tuple[str, str] | None
) -> Figures:
    """Every chart; ``pair`` names the two criteria of the map (default: the first two)."""
    criteria = {c["key"]: c for c in report["criteria"]}
    out = Figures()
    for s in report["statements"]:
        for key, record in s["final"].items():
            c = criteria[key]
            points = list(range(c["scale"][0], c["scale"][1] + 1))
            out.distribution[(s["key"], key)] = charts.distribution(
                translate(
                    N_("%(statement)s: %(criterion)s, round %(number)s"),
                    {"statement": s["label"], "criterion": c["label"], "number": s["final_round"]},
                ),
                points,
                record["counts"],
            )
            rounds = s["trajectory"].get(key, [])
            if rounds:
                out.trajectory[(s["key"], key)] = charts.trajectory(
                    translate(
                        N_("%(statement)s: %(criterion)s across rounds"),
                        {"statement": s["label"], "criterion": c["label"]},
                    ),
                    c["scale"],
                    rounds,
                )
    keys = list(criteria)
    if pair is None and len(keys) >= 2:
        pair = (keys[0], keys[1])
    if pair is not None:
        unknown = [k for k in pair if k not in criteria]
        if unknown or pair[0] == pair[1]:
            raise Invalid(
                N_("the map needs two different criteria of the study: %(keys)s"),
                keys=", ".join(keys),
            )
        a, b = criteria[pair[0]], criteria[pair[1]]
        out.pair_keys = pair
        out.pair = charts.two_criteria(
            translate(
                N_("%(x)s × %(y)s: final medians with interquartile ranges"),
                {"x": a["label"], "y": b["label"]},
            ),
            (a["label"], b["label"]),
            (a["scale"], b["scale"]),
            [
                {
                    "label": s["label"],
                    "x": s["final"][pair[0]],
                    "y": s["final"][pair[1]],
                    "consensus": s["outcome"] == "consensus",
                }
                for s in report["statements"]
                if pair[0] in s["final"] and pair[1] in s["final"]
            ],
        )
    k = report["study"]["min_group_size"]
    for key, c in criteria.items():
        rows = [
            (s["label"], s["groups"].get(key) or {})
            for s in report["statements"]
            if key in s["final"]
        ]
        if rows:
            out.heatmaps.append(
                charts.heatmap(
                    translate(
                        N_("%(criterion)s by stakeholder group: median, shaded by agreement"),
                        {"criterion": c["label"]},
                    ),
                    survey_groups,
                    [
                        (label, {g: (cells or {}).get(g) for g, _ in survey_groups})
                        for label, cells in rows
                    ],
                    k,
                )
            )
    for groups in report["opinion_groups"]:
        if groups.get("computed"):
            out.opinion_maps[groups["round"]] = charts.opinion_map(
                translate(
                    N_(
                        "Opinion groups, round %(number)s: respondents on the first two "
                        "principal components"
                    ),
                    {"number": groups["round"]},
                ),
                groups,
            )
    return out
