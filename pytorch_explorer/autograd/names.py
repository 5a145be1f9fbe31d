"""Names the learner typed that are not inputs, said in the explorer's own words.

The safe evaluator (pytorch_explorer.tensors) refuses an unknown name in general terms. Here the
only names an expression can use are the inputs the learner made on the page (plus `torch` and
`F`), so the explorer can say what to do: add an input with that name, or use one it has. An
input's value is read with no names at all, so a name there means "this is not a value".
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable

import torch

from pytorch_explorer.autograd.graph import AutogradGraph, GraphError, trace
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.tensors.language import ExpressionError, UnsafeExpressionError

MODULE_NAMES = ("torch", "F")   # the evaluator's roots, always known


class NotAnInputError(UnsafeExpressionError, GraphError):
    """The expression uses a name that is neither an input nor torch / F (the evaluator refused it)."""


def trace_expression(source: str, inputs: dict[str, torch.Tensor]) -> AutogradGraph:
    """`trace(source, inputs)`, with the evaluator's refusal of an unknown name said in terms of the inputs."""
    try:
        return trace(source, inputs)
    except ExpressionError as exc:
        unknown = [name for name in unknown_names(source, inputs) if name in str(exc)]
        if unknown:
            raise not_an_input(unknown[0], inputs) from exc
        raise


def unknown_names(source: str, known: Iterable[str]) -> list[str]:
    """The names `source` uses that are neither in `known` nor torch / F, in order of appearance.

    Names starting with `_` are left to the evaluator, which refuses them for their own reason.
    A source that does not parse has none (the evaluator says what is wrong with it).
    """
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return []
    allowed = set(known) | set(MODULE_NAMES)
    found = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    return list(dict.fromkeys(n for n in found if n not in allowed and not n.startswith("_")))


def not_an_input(name: str, inputs: Iterable[str]) -> NotAnInputError:
    """What to do about a name in the expression that no input has: what to type, then why, when there is more
    to say (each a whole sentence of the catalogue)."""
    names = sorted(inputs)
    if not names:
        said = ExplorerError("`{name}` is not an input: add an input named {name} below.", name=name)
    elif len(names) == 1:
        said = ExplorerError("`{name}` is not an input: add an input named {name} below, or use the input {input}.",
                             name=name, input=names[0])
    else:
        said = ExplorerError("`{name}` is not an input: add an input named {name} below, or use one of the inputs "
                             "{inputs} or {last}.", name=name, inputs=", ".join(names[:-1]), last=names[-1])
    if hasattr(builtins, name):
        why = ExplorerError("({name} is one of Python's built-ins, which expressions here cannot use.)", name=name)
    elif name in ("np", "numpy", "math"):
        why = ExplorerError("({name} is not available here: write the torch function, e.g. torch.exp(x).)", name=name)
    elif callable(getattr(torch, name, None)):
        why = ExplorerError("If you meant the function, write torch.{name}(...).", name=name)
    else:
        return NotAnInputError(said.template, **said.values)
    return NotAnInputError("{said} {why}", said=said, why=why)


def not_an_input_message(name: str, inputs: Iterable[str]) -> str:
    """not_an_input's words in English."""
    return str(not_an_input(name, inputs))


def not_a_value(input_name: str, name: str) -> GraphError:
    """What to do about a name typed as an input's value."""
    return GraphError(
        "Input {input}: `{name}` is not a value. An input's value is a number (2.0), a list of numbers "
        "([1.0, 2.0]) or a torch call (torch.randn(3)); it cannot use names, not even other inputs "
        "(use them in the expression instead).", input=input_name, name=name,
    )
