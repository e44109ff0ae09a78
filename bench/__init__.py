"""Performance benchmarks (not part of the test suite). Run ``python -m bench``; see
``bench/run.py``."""
