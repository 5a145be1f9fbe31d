"""The layout rules of issue 11, checked on the source: one folder a concept, no import cycles, no
Streamlit in the package, no reaching into another module's _private names, thin pages."""

from __future__ import annotations

import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pytorch_explorer"
DATA_TABLES = {"pytorch_explorer.tensors.op_table"}  # data, not code: exempt from the size limit
MAX_MODULE_CODE_LINES = 500
MAX_PAGE_LINES = 250


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
CHECKED_FILES = sorted([*PACKAGE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"),
                        *(ROOT / "scripts").glob("*.py"), *(ROOT / "tests").rglob("*.py"), ROOT / "app.py"])


def imports_of(path: Path) -> list[ast.ImportFrom | ast.Import]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))]


def package_imports(path: Path) -> set[str]:
    """The package modules a file imports (at top level or inside functions), most specific first."""
    found = set()
    for node in imports_of(path):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        elif node.module and node.module.startswith("pytorch_explorer"):
            for alias in node.names:  # `from pytorch_explorer.digits import probe` imports a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


def code_lines(path: Path) -> int:
    """Lines that are not blank, comments or docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(node):
            first = node.body[0]
            docstrings.update(range(first.lineno, first.end_lineno + 1))
    return sum(1 for i, line in enumerate(path.read_text().splitlines(), start=1)
               if line.strip() and not line.strip().startswith("#") and i not in docstrings)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A path that comes back to where it started (depth-first), or None."""
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = "open"
        for other in sorted(graph.get(name, ())):
            if state.get(other) == "open":
                return [*path, other]
            if other not in state and (cycle := visit(other, [*path, other])):
                return cycle
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name, [name])):
            return cycle
    return None


def test_the_package_has_no_import_cycles():
    cycle = find_cycle({name: package_imports(path) - {name} for name, path in MODULES.items()})
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_package_never_imports_streamlit():
    for name, path in MODULES.items():
        for node in imports_of(path):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert not any(n.split(".")[0] == "streamlit" for n in names), f"{name} imports streamlit"


def test_nothing_imports_another_modules_private_names():
    for path in CHECKED_FILES:
        for node in imports_of(path):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("pytorch_explorer", "ui")):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                assert not private, f"{path.relative_to(ROOT)} imports {private} from {node.module}"


def test_every_folder_of_the_package_says_what_lives_there():
    for init in PACKAGE.rglob("__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init.relative_to(ROOT)} has no docstring"


def test_modules_and_pages_stay_small():
    big = {name: code_lines(path) for name, path in MODULES.items()
           if name not in DATA_TABLES and code_lines(path) > MAX_MODULE_CODE_LINES}
    assert not big, f"modules over {MAX_MODULE_CODE_LINES} lines of code: {big}"
    long_pages = {p.name: n for p in (ROOT / "pages").glob("*.py") if (n := len(p.read_text().splitlines())) > MAX_PAGE_LINES}
    assert not long_pages, f"pages over {MAX_PAGE_LINES} lines: {long_pages}"
