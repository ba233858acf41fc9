"""Real-time (roundless) Delphi: live feedback after each answer, revisions, checkpoints."""
