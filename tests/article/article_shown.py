"""Run a cell's shown code as a notebook would: what it prints, then the repr of a last-line expression."""

from __future__ import annotations

import ast
from typing import Any


def run_shown(code: str, ns: dict[str, Any]) -> str:
    """Exec `code` in `ns` (kept between cells, as a notebook's), its prints collected instead of written."""
    out: list[str] = []

    def collect(*args: Any, sep: str = " ", end: str = "\n", file: Any = None, flush: bool = False) -> None:
        out.append(sep.join(str(a) for a in args) + end)

    ns["print"] = collect
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), ns)  # noqa: S102 - the app's own code, in a test
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)  # noqa: S307 - the same
        if value is not None:
            out.append(repr(value) + "\n")
    return "".join(out)
