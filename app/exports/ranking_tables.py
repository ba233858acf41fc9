"""The ranking questions of a closed round as an export table: one row per question and
statement, with the question's Kendall's W and the statement's mean rank and positions.

Read from the round's snapshot, as the API's metrics and the round report are, so the
three hold the same figures.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.errors import N_, NotFound
from app.exports.registry import Column, Rows, round_table
from app.models import Round, Survey
from app.rounds import repository


@round_table(
    "rankings",
    "Each ranking question of the round (a ranking criterion over one topic's statements): "
    "its agreement and, per statement, the mean rank and how often each position was given.",
    [
        Column("criterion", "The ranking criterion's key."),
        Column("topic", "The key of the topic whose statements are ranked."),
        Column("places", "Positions given: the topic's statements, or the top N."),
        Column("rankers", "Respondents who gave a ranking of the topic."),
        Column("w", "Kendall's W of the question, corrected for ties."),
        Column("chi2", "Friedman's chi-square of the question, m (n - 1) W."),
        Column("df", "Degrees of freedom of the chi-square, n - 1."),
        Column("p", "p-value of the chi-square."),
        Column("statement", "The statement's key."),
        Column(
            "mean_rank",
            "The statement's mean position (1 is first); unplaced items share the remaining ranks.",
        ),
        Column(
            "positions",
            "How many rankers put the statement first, second, ... up to the last place "
            "given, space-separated.",
        ),
        Column("unplaced", "Rankers who left the statement out of their top N."),
        Column(
            "w_change",
            "Kendall's W minus its value in the round before, on the statements ranked in "
            "both; empty in round 1.",
        ),
    ],
)
def rankings(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per ranking question and statement of ``round_``'s snapshot."""
    snapshot = repository.snapshot_of(session, round_)
    if snapshot is None:
        raise NotFound(N_("round %(number)s has no computed results"), number=round_.number)
    rows: Rows = []
    for question in snapshot.results.get("rankings", []):
        change = question.get("change") or {}
        for item in question["statements"]:
            rows.append(
                [
                    question["criterion"],
                    question["topic"],
                    question["places"],
                    question["rankers"],
                    question["w"],
                    question["chi2"],
                    question["df"],
                    question["p"],
                    item["key"],
                    item["mean_rank"],
                    " ".join(str(v) for v in item["distribution"]),
                    item["unplaced"],
                    change.get("w_change"),
                ]
            )
    return rows
