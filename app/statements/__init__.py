"""Statements between rounds: versions, lineage, reword/split/merge/drop/add/move, and the
translations a changed statement still needs."""
