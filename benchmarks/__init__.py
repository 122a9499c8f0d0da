"""The benchmark suite of issue 6: a plain SimPy peer of the model's pathway (more to come).

SimPy is a benchmark-only dependency (``pip install -e '.[bench]'``); the model never
imports this package.
"""
