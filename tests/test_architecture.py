"""The shape of the code, as docs/design.md ("Layout") describes it, checked on every test run.

- ``questionnaires`` imports nothing of ours: it is the questionnaire engine, pure Python.
- ``notifications`` reaches no view module, directly or through what it imports.
- Nothing imports a view module but the app factory (``hub/__init__.py``), and a blueprint
  package's own ``__init__``, which imports its route modules so that they register their routes
  (``hub.api``, ``hub.manage``).
- No import cycles between modules of ours (``hub``, ``partners``, ``notifications``,
  ``questionnaires``). The blueprint package's import of its own route modules is the one
  import left out: a route module needs the blueprint from its package, and the package
  imports the route module only to register it.
- No module of ours is over ``MAX_LINES`` lines, outside ``hub/migrations`` and ``hub/demo``.

A *view module* serves pages or API routes. It is found by rule, never listed, so a new one
needs no entry here: a module named ``views`` or ``*_views``, or any module that declares a route
(a function decorated with ``@<blueprint>.get(...)``, ``.post``, ``.put``, ``.patch``,
``.delete`` or ``.route``). ``test_every_route_lives_in_a_view_module`` checks the rule against
the app's own routes, so it cannot quietly miss one.

The import graph comes from ``grimp`` (import-linter's graph), built from the source of this
repository; imports inside functions count like any other.
"""

from __future__ import annotations

import ast
import importlib.util
from collections import deque
from functools import cache
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("hub", "partners", "notifications", "questionnaires")
APP_FACTORY = "hub"  # hub/__init__.py: create_app registers every blueprint
ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route"})
MAX_LINES = 500
# Folders whose modules may be long: migrations are written once and never edited, and the
# demo's synthetic history is development tooling.
MAY_BE_LONG = ("hub/migrations", "hub/demo")


# --- The graph and the view modules ---------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    for package in OURS:
        origin = Path(importlib.util.find_spec(package).origin).resolve()
        assert origin.is_relative_to(ROOT), (
            f"{package} is imported from {origin}, not from this repository: run the tests "
            "from the repository's root"
        )
    return grimp.build_graph(*OURS, cache_dir=None)


def source_file(module: str) -> Path:
    """The file a module of ours is read from."""
    base = ROOT.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


@cache
def declares_routes(module: str) -> bool:
    """Whether the module decorates a function with ``@<name>.get(...)``, ``.post`` and so on."""
    tree = ast.parse(source_file(module).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and isinstance(decorator.func.value, ast.Name)
                and decorator.func.attr in ROUTE_DECORATORS
            ):
                return True
    return False


def is_view_module(module: str) -> bool:
    name = module.rpartition(".")[2]
    return name == "views" or name.endswith("_views") or declares_routes(module)


def view_modules(graph: grimp.ImportGraph) -> set[str]:
    return {module for module in graph.modules if is_view_module(module)}


def registers(importer: str, imported: str) -> bool:
    """The import by which a blueprint package registers one of its own route modules."""
    return is_view_module(imported) and imported.rpartition(".")[0] == importer


def where(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    if not details:
        return ""
    first = details[0]
    return f" (line {first['line_number']}: {first['line_contents'].strip()})"


def chain_text(graph: grimp.ImportGraph, chain) -> str:
    """``a -> b -> c``, with the line of the first import, so the offending import is found."""
    return " -> ".join(chain) + where(graph, chain[0], chain[1])


# --- The contract ---------------------------------------------------------------------------


def test_every_route_lives_in_a_view_module(tmp_path):
    """The view rule finds every module that serves a route of the app."""
    from hub import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}, str(tmp_path))
    missed = sorted(
        {
            f"{app.view_functions[rule.endpoint].__module__} ({rule.rule})"
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            and not is_view_module(app.view_functions[rule.endpoint].__module__)
        }
    )
    assert not missed, "routes served from modules the view rule does not find:\n" + "\n".join(
        missed
    )


def test_questionnaires_imports_nothing_of_ours(graph):
    # Anything of ours reached indirectly is reached through one of these direct imports.
    outside = [
        f"{module} -> {imported}{where(graph, module, imported)}"
        for module in sorted(graph.find_descendants("questionnaires") | {"questionnaires"})
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if imported.partition(".")[0] != "questionnaires"
    ]
    if outside:
        pytest.fail(
            "questionnaires is the pure-Python questionnaire engine and must import nothing of "
            "hub, partners or notifications:\n  " + "\n  ".join(outside)
        )


def test_notifications_imports_no_view_module(graph):
    views = view_modules(graph)
    chains = []
    for module in sorted(graph.find_descendants("notifications") | {"notifications"}):
        # grimp's upstream modules are the ones a module imports, directly or not.
        reached = graph.find_upstream_modules(module) & views
        found = [graph.find_shortest_chain(importer=module, imported=view) for view in reached]
        if not found:
            continue
        chain = min(found, key=lambda chain: (len(chain), chain))
        # Shown where the chain leaves notifications; a chain that first passes through another
        # notifications module is shown for that module.
        if chain[1].partition(".")[0] != "notifications":
            chains.append(chain_text(graph, chain))
    if chains:
        pytest.fail(
            "notifications must not import a view module, directly or indirectly (messages are "
            "queued by services and sent by jobs, never by pages); the shortest chain from "
            "each import that leaves notifications:\n  " + "\n  ".join(chains)
        )


def test_only_the_app_factory_imports_view_modules(graph):
    illegal = [
        f"{importer} -> {view}{where(graph, importer, view)}"
        for view in sorted(view_modules(graph))
        for importer in sorted(graph.find_modules_that_directly_import(view))
        if importer != APP_FACTORY and not registers(importer, view)
    ]
    if illegal:
        pytest.fail(
            "only the app factory (hub/__init__.py) and a blueprint package registering its own "
            "routes may import a view module; move what is shared into a service or a helper "
            "module:\n  " + "\n  ".join(illegal)
        )


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, without recursion: the groups of modules that import one another."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def _shortest_cycle(edges: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest cycle through the group's first module, by a breadth-first walk."""
    start = min(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(edges[node] & group):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")  # a group of two or more always has one


def test_no_import_cycles(graph):
    edges = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if not registers(module, imported)
        }
        for module in graph.modules
    }
    cycles = [
        chain_text(graph, _shortest_cycle(edges, group))
        for group in _strongly_connected(edges)
        if len(group) > 1
    ]
    if cycles:
        pytest.fail(
            "modules that import one another (a cycle), each with one of its shortest loops; "
            "break it by moving what both need into a third module:\n  "
            + "\n  ".join(sorted(cycles))
        )


def test_no_module_is_over_the_line_limit():
    too_long = []
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(tuple(folder + "/" for folder in MAY_BE_LONG)):
                continue
            with path.open(encoding="utf-8") as lines:
                count = sum(1 for _ in lines)
            if count > MAX_LINES:
                too_long.append(f"{relative}: {count} lines")
    if too_long:
        pytest.fail(
            f"modules over {MAX_LINES} lines (split them by what they do; hub/migrations and "
            "hub/demo are exempt):\n  " + "\n  ".join(too_long)
        )
