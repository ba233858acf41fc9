"""Statements the panel proposes (round 0, or a box per topic on rating rounds), and their
curation into the next round."""
