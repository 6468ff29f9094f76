"""The apps' layers, and a check that imports run only downwards.

    exchange                      claims, matches, the workflow, and the pages
       ↓                          and API that combine the apps below
    marketplace                   categories, listings, households, follow-ups
       ↓
    donors                        donors, representatives, pledges
       ↓
    ledger · audit                the points ledger · the audit log and access records
       ↓
    inbox                         notifications and e-mail preferences
       ↓
    people                        users, region memberships, permissions
       ↓
    regions                       the region tree
       ↓
    config                        settings and what every app shares

A module may import its own app and any app on a lower line; two apps on one
line import neither each other. marketplace is above donors: a listing may
name the donor that gave it (checked with `donors.permissions`), while the
donors app refers to categories only by a string foreign key. `config.urls`
puts every app together and is the one module exempt. Migrations are not
checked (they name models by label). Every import counts, also one inside a
function or under `if TYPE_CHECKING:`.

Run on its own: `python -m config.layering` (exit 1 and a line per forbidden
import; `make lint` runs it).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Rank of each app: a module may import apps of a lower rank only.
LAYERS: dict[str, int] = {
    "exchange": 7,
    "marketplace": 6,
    "donors": 5,
    "ledger": 4,
    "audit": 4,
    "inbox": 3,
    "people": 2,
    "regions": 1,
    "config": 0,
}

#: Modules allowed to import any app: the root URLconf assembles them all.
EXEMPT = {"config.urls"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.importer} (layer {LAYERS[self.importer]}) imports "
            f"{self.imported} (layer {LAYERS[self.imported]})"
        )


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_apps(tree: ast.AST, module: str) -> Iterable[tuple[int, str]]:
    package = module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # A relative import stays in its own package, unless it climbs out.
                base = package[: len(package) - node.level]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            yield node.lineno, name.split(".")[0]


def app_modules(root: Path = ROOT) -> Iterable[tuple[str, Path]]:
    """Every Python module of every app, migrations left out."""
    for app in LAYERS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            yield app, path


def check(root: Path = ROOT) -> list[Violation]:
    """Every import of an app by a module of an app that is not above it."""
    found = []
    for app, path in app_modules(root):
        module = _module_name(path, root)
        if module in EXEMPT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, imported in _imported_apps(tree, module):
            if imported in LAYERS and imported != app and LAYERS[imported] >= LAYERS[app]:
                found.append(Violation(str(path.relative_to(root)), line, app, imported))
    return found


def app_imports(root: Path = ROOT) -> dict[str, set[str]]:
    """Which other apps each app imports (the exempt modules left out)."""
    graph: dict[str, set[str]] = {app: set() for app in LAYERS}
    for app, path in app_modules(root):
        module = _module_name(path, root)
        if module in EXEMPT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for _line, imported in _imported_apps(tree, module):
            if imported in LAYERS and imported != app:
                graph[app].add(imported)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of apps importing each other, as [a, b, ..., a], or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(app: str) -> list[str] | None:
        if app in visiting:
            return [*visiting[visiting.index(app) :], app]
        if app in done:
            return None
        visiting.append(app)
        for imported in sorted(graph.get(app, ())):
            cycle = visit(imported)
            if cycle:
                return cycle
        visiting.pop()
        done.add(app)
        return None

    for app in sorted(graph):
        cycle = visit(app)
        if cycle:
            return cycle
    return None


def main() -> int:
    violations = check()
    for violation in violations:
        print(violation)
    cycle = find_cycle(app_imports())
    if cycle:
        print("import cycle between apps: " + " → ".join(cycle))
    if violations or cycle:
        return 1
    print(f"layers: {len(list(app_modules()))} modules, imports run only downwards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
