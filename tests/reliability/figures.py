"""What each load and fault test saw, printed at the end of the run (tests/conftest.py)."""

FIGURES: list[str] = []
