"""Test data shared by the engine tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

#: Over 2**20 cells: a panel this large is counted in blocks by several threads.
LARGE = (1100, 960)

PanelFactory = Callable[..., np.ndarray]


@pytest.fixture
def large_panel() -> PanelFactory:
    """Make ``large_panel(low, high, *, shape, missing, blank, seed)``: integer ratings.

    Each statement leans towards its own point of ``low..high`` (so raters agree
    more than by chance), with a share ``missing`` of NaN holes and the rows in
    ``blank`` (a slice) entirely NaN, so some blocks hold no ratings at all.
    """

    def make(
        low: int = 1,
        high: int = 9,
        *,
        shape: tuple[int, int] = LARGE,
        missing: float = 0.05,
        blank: slice | None = slice(200, 460),
        seed: int = 0,
    ) -> np.ndarray:
        rng = np.random.default_rng(seed)
        lean = rng.uniform(low, high, shape[1])
        noise = rng.standard_normal(shape) * max(1.0, (high - low) / 4)
        x = np.clip(np.rint(lean + noise), low, high)
        x[rng.random(shape) < missing] = np.nan
        if blank is not None:
            x[blank] = np.nan
        return x

    return make
