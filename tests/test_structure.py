"""The shape of ``helpers/``: imports flow one way (no cycle of any length), each module's
docstring says what it may import and that is what it imports, modules and functions stay
short enough to read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parent.parent / "helpers"
MODULES = sorted(p for p in HELPERS.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(HELPERS).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "helpers"


def helpers_imports(path: Path) -> set[str]:
    """The helpers modules ``path`` imports (top level or inside functions), leaving out the
    ``if __name__ == "__main__":`` block (the entry point of ``python -m``, never imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers"):
            if node.module == "helpers":
                found |= {a.name for a in node.names}
            else:
                found.add(node.module.split(".", 1)[1].split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add((node.module or node.names[0].name).split(".")[0])
    return found - {module_name(path).split(".")[0], "helpers"}


def graph() -> dict[str, set[str]]:
    """Module -> the modules it imports; a subpackage (``exercises``) is one node."""
    edges: dict[str, set[str]] = {}
    for path in MODULES:
        edges.setdefault(module_name(path).split(".")[0], set()).update(helpers_imports(path))
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of any length in ``edges`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node, path):
        if state.get(node) == 1:
            return path[path.index(node):] + [node]
        if state.get(node) == 2:
            return None
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if cycle := visit(target, path + [node]):
                return cycle
        state[node] = 2
        return None

    return next((c for node in sorted(edges) if (c := visit(node, []))), None)


def test_the_cycle_finder_finds_long_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle():
    edges = graph()
    assert {"train", "ner", "classify", "predict", "evaluate", "exercises"} <= set(edges)
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("path", [p for p in MODULES if p.parent == HELPERS and p.stem != "__init__"],
                         ids=lambda p: p.stem)
def test_docstring_says_what_the_module_imports(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = re.search(r"^Imports: (.*?)(?:\.\s*$|\n\n)", doc, re.M | re.S)
    assert match, f"{path.name}: the docstring ends with an 'Imports: ...' line"
    said = set(re.findall(r"``(\w+)``", match.group(1)))
    assert said == helpers_imports(path), f"{path.name}: docstring says {sorted(said)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_modules_and_functions_stay_readable(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 420, f"{path.name} has {len(text.splitlines())} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "widget" not in node.name:
            length = node.end_lineno - node.lineno + 1
            assert length <= 60, f"{path.name}: {node.name} has {length} lines"


def test_the_loop_fits_on_a_screen():
    from helpers import train

    for function, most in ((train.fit, 45), (train.train_one_epoch, 32)):
        import inspect

        assert len(inspect.getsource(function).splitlines()) <= most, function.__name__
