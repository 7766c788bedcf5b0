"""Benchmarks of the toolkit at scale, against the libraries it is built on.

Run with ``python -m benchmarks [--sizes 10,100,1000] [--json FILE] [--markdown FILE]`` (needs
the ``bench`` extra: ``pip install -e '.[bench]'``). Not part of the test suite: see
``benchmarks/RESULTS.md`` for the latest figures and what each one measures.
"""
