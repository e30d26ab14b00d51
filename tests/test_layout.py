"""The layout a reader relies on: no module imports itself back through others (type-only imports included),
and no module of the product is much over 500 lines."""

from pathlib import Path

import grimp  # (import-linter's import graph)

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("reconciler")
    cycles = sorted(
        f"{module} -> {imported} -> ... -> {module}"
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.find_shortest_chain(importer=imported, imported=module)
    )
    assert cycles == []


def test_no_module_is_much_over_500_lines() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 550} == {}
