"""Every message the package raises for a learner (an ExplorerError) can be shown in Chinese, and so can
the words it says that are not errors (a Said: a hint, one problem among a file's rows).

The package raises its errors with a template and values (`raise SpecError("... {n} ...", n=n)`, see
pytorch_explorer.core.errors), never with an f-string or a sentence built beforehand: only a fixed template
can have a catalogue entry. This test reads every `raise` of the package (the command line excepted: it stays
English) and every `Said(...)` (or a Said subclass's, such as a Hint), and asks of each ExplorerError raised
and each Said made: a literal template, a Chinese entry for it, the same placeholders in both, and a value
given for each placeholder.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from conftest import ROOT
from pytorch_explorer.core.errors import ExplorerError, Said, Term, message
from pytorch_explorer.i18n import catalogue, placeholders, translate

PACKAGE = ROOT / "pytorch_explorer"
FOLDERS = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "cli")
FOLDERS.append(".")  # the package's own top-level modules


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def called_class(module: object, func: ast.expr) -> object:
    """What a call's `SomeError` or `errors.SomeError` names in the module, if anything."""
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    cls = getattr(module, name, None) if name else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = getattr(module, func.value.id, None)
        cls = getattr(owner, func.attr, None)
    return cls


def raised_errors(path: Path) -> list[tuple[int, type, ast.Call]]:
    """(line, class, call) for each `raise SomeError(...)` in a file whose class is an ExplorerError, and each
    call of Said or a Said subclass (a Hint) anywhere in it."""
    module = importlib.import_module(module_name(path))
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            cls = called_class(module, node.exc.func)
            if isinstance(cls, type) and issubclass(cls, ExplorerError):
                out.append((node.lineno, cls, node.exc))
        elif isinstance(node, ast.Call):
            cls = called_class(module, node.func)
            if isinstance(cls, type) and issubclass(cls, Said):
                out.append((node.lineno, cls, node))
    return out


def problems(path: Path) -> list[str]:
    table = catalogue("zh")
    out = []
    for line, cls, call in raised_errors(path):
        where = f"{path.relative_to(ROOT)}:{line} {cls.__name__}"
        first = call.args[0] if call.args else None
        if first is None:
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            template = first.value
        elif isinstance(first, (ast.JoinedStr, ast.BinOp)) or (
                isinstance(first, ast.Call) and getattr(first.func, "attr", None) == "format"):
            out.append(f"{where}: a sentence built beforehand; pass a template with its values instead")
            continue
        else:
            continue  # a message passed on (another exception's words, a variable): nothing to check here
        given = {k.arg for k in call.keywords}
        wanted = placeholders(template) if given else set()
        if template not in table:
            out.append(f"{where}: no Chinese entry for {template!r}")
        elif placeholders(table[template]) != placeholders(template) and given:
            out.append(f"{where}: the Chinese entry's placeholders differ from {template!r}")
        if given and not wanted <= given:
            out.append(f"{where}: no value for {sorted(wanted - given)} in {template!r}")
    return out


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_error_a_folder_raises_has_a_chinese_message(folder):
    paths = sorted(PACKAGE.glob("*.py")) if folder == "." else sorted((PACKAGE / folder).rglob("*.py"))
    found = [p for path in paths for p in problems(path)]
    assert found == [], "\n".join(found)


def test_a_message_is_shown_in_the_learners_language():
    error = ExplorerError("{n} is not a number.", n="x")
    assert str(error) == message(error) == "x is not a number."
    assert message(ValueError("plain")) == "plain"
    assert ExplorerError("a {brace} kept as written").message("zh") == "a {brace} kept as written"
    assert ExplorerError("{what} is empty.", what=Term("the drawing")).message("zh").startswith(translate("the drawing", "zh"))


def test_words_that_are_not_errors_are_said_the_same_way():
    import pickle

    said = Said("The drawing has {n} strokes.", n=3)
    assert said == "The drawing has 3 strokes." and message(said) == said
    again = pickle.loads(pickle.dumps(said))
    assert isinstance(again, Said) and again.template == said.template and again.values == {"n": 3}
    inside = ExplorerError("{first} Nothing was read.", first=Said("{what} is empty.", what=Term("the drawing")))
    assert inside.message("zh").startswith(translate("the drawing", "zh"))
