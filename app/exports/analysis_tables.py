"""The final report's tables as round tables: the trajectory up to a round, the verdicts
of every consensus rule on it (sensitivity), its participant flow and attrition, and its
opinion groups.

Both are read from stored snapshots only (``app.analysis.study``), as the report is, so
they hold the same figures and suppress nothing the report shows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.analysis import study
from app.exports.registry import Column, Rows, Value, round_table
from app.models import Round, Survey


@round_table(
    "trajectory",
    "Each statement's figures per criterion in every closed round up to this one.",
    [
        Column("statement", "The statement's key (kept across rewordings)."),
        Column("topic", "The key of the statement's topic."),
        Column("criterion", "The criterion's key."),
        Column("round", "The round the figures are from."),
        Column("statement_id", "The id of the statement version rated in that round."),
        Column("n", "Raters of the statement on this criterion in that round."),
        Column("median", "The median rating."),
        Column("q1", "The lower quartile."),
        Column("q3", "The upper quartile."),
        Column("iqr", "The interquartile range, q3 - q1."),
        Column("agree", "The share of ratings inside the criterion's agree band."),
        Column("consensus", "1 if the criterion's rule held, 0 if not; empty: no rule."),
        Column("net_change", "Net share of raters who moved since the round before."),
        Column("stable", "1 if the ratings held still since the round before, 0 if not."),
    ],
)
def trajectory(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per statement, criterion and closed round up to ``round_``."""
    closed = [c for c in study.closed_rounds(session, survey) if c.round.number <= round_.number]
    rows: Rows = []
    for item in study.trajectory(survey, closed):
        for criterion, points in item["criteria"].items():
            for p in points:
                rows.append(
                    [
                        item["key"],
                        item["topic"],
                        criterion,
                        p["round"],
                        p["statement_id"],
                        p["n"],
                        p["median"],
                        p["q1"],
                        p["q3"],
                        p["iqr"],
                        p["agree"],
                        _flag(p["consensus"]),
                        p["net_change"],
                        _flag(p["stable"]),
                    ]
                )
    return rows


@round_table(
    "sensitivity",
    "The verdict on each statement and criterion under the study's rule, every preset and "
    "every alternative rule of the study file.",
    [
        Column("statement", "The statement's key."),
        Column("criterion", "The criterion's key."),
        Column("rule", "The rule's name (study: the criterion's own rule)."),
        Column("rule_text", "The rule as applied."),
        Column("consensus", "1 if the rule holds on the statement, 0 if not."),
        Column("robust", "1 if every rule gives the same verdict on the statement."),
    ],
)
def sensitivity(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per statement, criterion and rule of ``round_``'s stored sensitivity."""
    closed = [c for c in study.closed_rounds(session, survey) if c.round.id == round_.id]
    rows: Rows = []
    for entry in study.sensitivity(closed):
        keys = entry["statements"]
        for block in entry["criteria"]:
            texts = {r["name"]: r["text"] for r in block["rules"]}
            for name, verdicts in block["verdicts"].items():
                for j, key in enumerate(keys):
                    rows.append(
                        [
                            key,
                            block["criterion"],
                            name,
                            texts.get(name),
                            int(verdicts[j]),
                            int(block["robust"][j]),
                        ]
                    )
    return rows


def _flag(value: object) -> int | None:
    return None if value is None else int(bool(value))


def _this_round(session: Session, survey: Survey, round_: Round) -> list[study.ClosedRound]:
    return [c for c in study.closed_rounds(session, survey) if c.round.id == round_.id]


@round_table(
    "flow",
    "Participant flow of the round per stakeholder group, then the whole panel; a group "
    "held back on the progress page (fewer than k invited, or revealed by subtraction) is "
    "held back here too.",
    [
        Column("round", "The round number."),
        Column("group", "The stakeholder group's key; empty on the whole panel's row."),
        Column("held_back", "1 where the group's counts are held back and left empty, else 0."),
        Column("invited", "Panelists sent a link to the round."),
        Column("started", "Respondents who saved answers in the round."),
        Column("submitted", "Respondents who submitted the round."),
        Column("dropped", "Submitted the round before but not this one; empty in round 1."),
    ],
)
def flow(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per stakeholder group and one for the panel, from the stored flow."""
    rows: Rows = []
    for entry in study.attrition(_this_round(session, survey, round_)):
        for f in entry["flow"]:
            rows.append(
                [
                    entry["round"],
                    f["group"],
                    int(f["group"] is not None and f["invited"] is None),
                    f["invited"],
                    f["started"],
                    f["submitted"],
                    f["dropped"],
                ]
            )
    return rows


@round_table(
    "attrition",
    "The previous round's ratings of those who dropped out against those who stayed, per "
    "statement and criterion (Mann-Whitney U); only where at least k dropped out and k "
    "stayed among its raters, so round 1 has no rows.",
    [
        Column("round", "The round the dropouts did not answer."),
        Column("statement", "The statement's label in the previous round."),
        Column("criterion", "The criterion's key."),
        Column("n_dropped", "Dropouts who rated it in the previous round (at least k)."),
        Column("n_stayed", "Stayers who rated it in the previous round (at least k)."),
        Column("median_dropped", "The dropouts' median rating."),
        Column("median_stayed", "The stayers' median rating."),
        Column("u", "Mann-Whitney U of the dropouts."),
        Column("p", "Its two-sided p-value (asymptotic)."),
        Column("effect", "Rank-biserial effect, 2U / (n_dropped n_stayed) - 1, from -1 to 1."),
        Column("flagged", "1 where p is below alpha and the effect at least medium, else 0."),
    ],
)
def attrition(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per statement and criterion the stored attrition tests cover."""
    k = survey.min_group_size
    rows: Rows = []
    for entry in study.attrition(_this_round(session, survey, round_)):
        tests = entry["tests"]
        if tests is None or tests["dropped"] < k or tests["stayed"] < k:
            continue
        for block in tests["criteria"]:
            for t in block["statements"]:
                if t["n_dropped"] < k or t["n_stayed"] < k:
                    continue  # stored before the rule, or k raised since: still no figure
                rows.append(
                    [
                        entry["round"],
                        t["key"],
                        block["criterion"],
                        t["n_dropped"],
                        t["n_stayed"],
                        t["median_dropped"],
                        t["median_stayed"],
                        t["u"],
                        t["p"],
                        t["effect"],
                        int(t["flagged"]),
                    ]
                )
    return rows


@round_table(
    "opinion-groups",
    "The round's opinion groups of at least k respondents, one row per group and "
    "distinguishing statement; groups below k are neither sized nor described, so they "
    "have no row.",
    [
        Column("round", "The round number."),
        Column("criterion", "The criterion the groups were found on."),
        Column("group", "The group's number (it names no respondent)."),
        Column("size", "Respondents in the group (at least k)."),
        Column("statement", "A statement that sets the group apart; empty if none does."),
        Column("group_median", "The group's median on the statement."),
        Column("rest_median", "The median of everyone outside the group."),
        Column("difference", "group_median - rest_median."),
        Column("agreed", "1 if every described group reaches the rule on the statement, else 0."),
    ],
)
def opinion_groups(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per described group and distinguishing statement of the stored groups."""
    closed = _this_round(session, survey, round_)
    found = study.opinion_groups(closed[0]) if closed else None
    if not found or not found["computed"]:
        return []
    # the stored groups were described under the k of their round; a k raised since holds too
    k = max(found["min_size"], survey.min_group_size)
    agreed = set(found["agreed"])
    rows: Rows = []
    for group in found["groups"]:
        if group["size"] < k:
            continue
        base: list[Value] = [found["round"], found["criterion"], group["number"], group["size"]]
        if not group["distinguishing"]:
            rows.append([*base, None, None, None, None, None])
        for d in group["distinguishing"]:
            rows.append(
                [
                    *base,
                    d["key"],
                    d["median"],
                    d["rest_median"],
                    d["difference"],
                    int(d["key"] in agreed),
                ]
            )
    return rows
