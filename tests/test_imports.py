"""Import structure of the package: no cycles, and every import points down the layers.

The source folders are read with ``ast`` (nothing is imported), mapped to their installed names
(``zssr/trainer.py`` is ``blindsr.zssr.trainer``). Every ``import``/``from ... import`` counts,
including those inside functions (a lazy import still runs, later); those under
``if TYPE_CHECKING:`` never run, so they are left out of the cycle check but must still respect
the layers. ``from pkg import name`` depends on the submodule ``pkg.name`` when there is one,
otherwise on ``pkg`` itself (its ``__init__``). A parent package's ``__init__``, which Python
runs implicitly before any submodule, is not counted as a dependency.

Layers, lowest first. A module may import its own group and any group on a lower layer; two
groups on the same layer are independent of each other.

0. leaves: ``blindsr._version``, ``blindsr.image_io`` (nothing of the project).
1. ``blindsr.degradations``: the one degradation operator, resize, kernels, noise, JPEG.
2. ``blindsr.kernel_estimation`` and ``blindsr.zssr`` (the two algorithms, neither knowing the
   other); ``blindsr.kernel_io``, ``blindsr.plot`` and ``blindsr.compare`` (file formats and
   pictures); the paper-protocol metrics
   ``blindsr.eval.metrics``, ``blindsr.eval.kernel_metrics`` (and ``blindsr.eval``'s
   ``__init__``, which re-exports the metrics).
3. the Python API: ``blindsr.api``, ``blindsr.pipeline`` (the blind pipeline).
4. the benchmark harness: the rest of ``blindsr.eval`` (protocols, methods, harness, results
   store, paper numbers), which runs methods through the API.
5. the front: ``blindsr`` (the package ``__init__``), ``blindsr.cli``, ``blindsr.demo``,
   ``blindsr.__main__``, and any other top-level ``blindsr.*`` module not listed above.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Source folder -> installed package name (pyproject.toml's ``package-dir``).
PACKAGE_DIRS = {
    "blindsr": "blindsr",
    "degradations": "blindsr.degradations",
    "eval": "blindsr.eval",
    "kernel_estimation": "blindsr.kernel_estimation",
    "zssr": "blindsr.zssr",
}

#: (group, layer, module names it holds; a name ending in ".*" holds a package's submodules).
#: The first matching entry wins, so exact names come before the wildcards that would cover them.
GROUPS: list[tuple[str, int, tuple[str, ...]]] = [
    ("leaf", 0, ("blindsr._version", "blindsr.image_io")),
    ("degradations", 1, ("blindsr.degradations", "blindsr.degradations.*")),
    ("kernel_estimation", 2, ("blindsr.kernel_estimation", "blindsr.kernel_estimation.*")),
    ("zssr", 2, ("blindsr.zssr", "blindsr.zssr.*")),
    ("io", 2, ("blindsr.kernel_io", "blindsr.plot", "blindsr.compare")),
    ("metrics", 2, ("blindsr.eval", "blindsr.eval.metrics", "blindsr.eval.kernel_metrics")),
    ("api", 3, ("blindsr.api", "blindsr.pipeline")),
    ("harness", 4, ("blindsr.eval.*",)),
    ("front", 5, ("blindsr", "blindsr.*")),
]


def _group(module: str) -> tuple[str, int]:
    for name, layer, patterns in GROUPS:
        for pattern in patterns:
            if pattern == module or (
                pattern.endswith(".*") and module.startswith(pattern[:-1]) and "." in module
            ):
                return name, layer
    raise AssertionError(f"{module} is in no layer group")  # pragma: no cover


def _modules() -> dict[str, Path]:
    modules = {}
    for folder, package in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            modules[name] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, in_type_checking: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Every import statement with whether it sits under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_type_checking
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), in_type_checking)
        else:
            yield from _imports(node, in_type_checking)


def _targets(node: ast.stmt, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Project modules an import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        return {n for n in names if n in known}
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        anchor = parts if is_package else parts[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    found = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in known:
            found.add(sub)
        elif base in known:
            found.add(base)
    return found


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(runtime edges, type-checking-only edges) between the package's modules."""
    modules = _modules()
    known = set(modules)
    runtime: dict[str, set[str]] = {m: set() for m in modules}
    typing_only: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.stem == "__init__"
        for node, type_only in _imports(tree):
            targets = _targets(node, module, is_package, known) - {module}
            (typing_only if type_only else runtime)[module] |= targets
    return runtime, typing_only


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_walker_sees_the_package():
    runtime, _ = _graph()
    # Guards against a walker that silently finds nothing (a moved folder, a wrong root).
    assert "blindsr.zssr.trainer" in runtime
    assert "blindsr.degradations.downscale" in runtime["blindsr.zssr.back_projection"]
    assert "blindsr.degradations" in runtime["blindsr.eval.methods"]  # from-package import


def test_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    runtime, _ = _graph()
    assert _cycles(runtime) == []


@pytest.mark.parametrize("kind", ["runtime", "type-checking"])
def test_imports_point_down_the_layers(kind):
    runtime, typing_only = _graph()
    edges = runtime if kind == "runtime" else typing_only
    bad = []
    for module, targets in sorted(edges.items()):
        group, layer = _group(module)
        for target in sorted(targets):
            target_group, target_layer = _group(target)
            if target_group != group and target_layer >= layer:
                bad.append(
                    f"{module} ({group}, {layer}) imports {target} ({target_group}, {target_layer})"
                )
    # A new top-level blindsr module lands in the front layer; if a lower layer needs it, give
    # it its place in GROUPS (and the docstring) rather than importing upwards.
    assert bad == []
