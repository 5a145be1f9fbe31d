"""Tensors and their operations, checked against numpy.

One expression language, one tree walker, two backends:

- language: parsing and checking an expression, and the tree walker (`Walker`) with its `Backend` interface.
- expressions: `evaluate`, the torch backend (never `eval`); allowed: what it may call; guards: its size caps.
- numpy_twin: the numpy backend, which runs an expression's numpy twin and judges it (equal / close / differs).
- catalogue: the torch operations the playground offers, grouped and searchable; ops: one entry
  (signature, numpy twin as a function plus the code shown); op_table: the entries themselves.
- hints: a learner's hint for PyTorch's common errors (dtypes, shapes, broadcasting, numpy spellings).
- factory, info, figures: making, describing and drawing tensors (one size limit: guards.MAX_ELEMENTS).
"""
