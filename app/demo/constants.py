"""The demo's studies, panel size and seed."""

STUDY_FILE = "surveys/crime-prevention-strategy.yaml"
STUDY_KEY = "crime-prevention-2027"
# A finished pilot of the same study, so the demo has a final report to open.
PILOT_KEY = "crime-prevention-pilot"
PILOT_PANEL = 30
# The real-time study, with a ranking question per topic.
LIVE_STUDY_FILE = "surveys/crime-prevention-realtime.yaml"
LIVE_STUDY_KEY = "crime-prevention-realtime"
FACILITATOR_EMAIL = "facilitator@example.org"
PANEL_SIZE = 40
RESPONSE_RATE = 0.9
SEED = 2027
