"""What a closed round's ratings say beyond the per-statement figures.

Computed once when a round closes and stored in its snapshot (``results["analysis"]``):
the consensus-rule sensitivity, the opinion groups, agreement between raters, the
attrition since the previous round and the participant flow. The study-wide views
(trajectories, stability over rounds) are read back from the snapshots in
:mod:`app.analysis.study`; the pre-registered analysis plan lives in
:mod:`app.analysis.plan`.
"""
