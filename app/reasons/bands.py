"""Where a rating falls: below, within or above a round's middle range, or in the
criterion's disagree, neutral or agree band."""

from __future__ import annotations

from typing import Any, Literal

RangeBand = Literal["below", "within", "above"]
ScaleBand = Literal["disagree", "neutral", "agree"]
BandKind = Literal["range", "scale"]

RANGE_BANDS: tuple[RangeBand, ...] = ("below", "within", "above")
SCALE_BANDS: tuple[ScaleBand, ...] = ("disagree", "neutral", "agree")
BAND_KINDS: tuple[BandKind, ...] = ("range", "scale")


def range_band(rating: int | None, record: dict[str, Any] | None) -> RangeBand | None:
    """``rating`` against the round's quartiles (``record`` from its snapshot).

    ``None`` for "cannot judge", no rating, or a statement nobody rated.
    """
    if rating is None or not record or record.get("q1") is None or record.get("q3") is None:
        return None
    if rating < float(record["q1"]):
        return "below"
    if rating > float(record["q3"]):
        return "above"
    return "within"


def scale_band(
    rating: int | None, agree: tuple[int, int], disagree: tuple[int, int]
) -> ScaleBand | None:
    """``rating`` in the criterion's agree or disagree band, or between them."""
    if rating is None:
        return None
    if agree[0] <= rating <= agree[1]:
        return "agree"
    if disagree[0] <= rating <= disagree[1]:
        return "disagree"
    return "neutral"


def bands_of(kind: BandKind) -> tuple[str, ...]:
    return RANGE_BANDS if kind == "range" else SCALE_BANDS
