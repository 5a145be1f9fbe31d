"""Tensors and their operations, checked against numpy.

- catalogue: the torch operations the playground offers, grouped, each with its numpy twin.
- expressions: a small, safe expression language over named tensors (never `eval`).
- numpy_twin: runs an expression's numpy twin and judges it (equal / close / differs).
- factory, info, figures: making, describing and drawing tensors.
"""
