"""Benchmarks: the speed figures the docs report, measured by `python -m pytorch_explorer bench`.
`digits` times the digit trainer (fast path vs the article's loop), PNG loading and preprocessing."""
