"""Measured comparisons of course_lib against its peers (`make bench`, or `python -m benchmarks --help`).

One module per comparison, each with `run(settings) -> list of rows`; `harness` times them (interleaved,
after warm-up, medians) and writes benchmarks/results.json and benchmarks/RESULTS.md.
"""
