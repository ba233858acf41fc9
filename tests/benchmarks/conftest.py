"""The benchmarks are scripts, run by ``make bench`` (or each on its own), not tests.

Importing them would set their environment (a shared secret, test mode) in the test
process, and they import each other by file name (``import harness``), as scripts do, so
pytest collects nothing here, doctests included.
"""

collect_ignore_glob = ["*.py"]
