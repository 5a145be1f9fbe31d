"""The article the app grows from, to read in English or in its original Chinese, every snippet runnable.

Read in this order:

- text: the article section by section (``en.md``, written for this app, and ``zh.md``, the original
  Chinese), parsed into sections of Markdown, cells, page links and dated "today (2026)" notes.
- cell: what a runnable cell is (its article code, today's code, the diff between them), the
  ``Printer`` its function prints into, and the ``CellResult`` a page shows.
- basics: the cells of the first half (tensors, operations, autograd, optim, nn, the toy network in
  numpy and PyTorch), each a function that does exactly what its shown code does.
- case_study: the digit case study's cells, run on a folder in the article's layout made from the
  bundled digits.
- defects: every defect of the article's code (``NOTES.md``), the cells it stands in, and where to
  see it happen.
- cells: all cells in the article's order, ``run_cell`` (a cell after the cells it needs), and the
  trainer's address with the article's settings.

``language(query_value)`` reads the ``lang`` query value the whole app shares (its sidebar switch).
"""

from __future__ import annotations

from pytorch_explorer.i18n import language as app_language

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"


def language(query_value: object) -> str:
    """"en" or "zh" from a ``lang`` query value (the app's rule, :func:`pytorch_explorer.i18n.language`:
    "zh", "zh-CN", "中文", ...); of a repeated key (``["en", "zh"]``) the last; "en" for anything else."""
    if isinstance(query_value, (list, tuple)):
        query_value = query_value[-1] if query_value else None
    if not isinstance(query_value, str) or len(query_value) > 32:
        return DEFAULT_LANGUAGE
    return app_language(query_value)
