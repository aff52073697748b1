"""Packages of specsweep depend on each other in one direction only (DESIGN.md, Layout).

The graph is read from the source (every import statement, also those inside functions), one
node per subpackage or top-level module; an edge A -> B means some module of A imports B."""

from __future__ import annotations

from specsweep.codeversion import package_imports, stage_sources


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_package_import_graph_has_no_cycle():
    graph = package_imports()
    assert {"fragment", "fdr", "model", "search", "spectra", "params", "contracts"} <= set(graph)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_base_packages_import_nothing_above_them():
    graph = package_imports()
    assert graph["params"] == set()           # used by the workflow rules: standard library only
    assert graph["fragment"] <= {"chem", "params", "contracts", "schema", "files", "progress"}
    assert "search" not in graph["model"] and "fdr" not in graph["fragment"]


def test_a_stage_hashes_every_module_it_imports():
    search = stage_sources("search")
    names = {p.relative_to(p.parents[1]).as_posix() if p.parent.name != "specsweep" else p.name for p in search}
    assert "search/driver.py" in names and "model/tables.py" in names and "params/options.py" in names
    assert "spectra/parts.py" in names or any(n.startswith("contracts/") for n in names)
    assert not any(n.startswith("translate/") or n.startswith("formula/") for n in names)
    translate = {p.as_posix() for p in stage_sources("translate")}
    assert any(p.endswith("search/kernels.py") for p in translate)   # translate scores with the search kernel


def test_a_stage_hash_covers_the_bundled_models_it_names(monkeypatch):
    from pathlib import Path

    from specsweep import codeversion
    formula = {p.name for p in codeversion.stage_data("formula")}
    assert {"formula_ranker.json", "fitted_priors.json", "fitted_priors_negative.json", "root_prior.json"} <= formula
    assert {p.name for p in codeversion.stage_data("rescore")} == {"rescore_model.json", "rescore_model_negative.json"}
    assert codeversion.stage_data("ingest") == []
    before, ingest = codeversion.code_version("formula"), codeversion.code_version("ingest")
    ranker = next(p for p in codeversion.stage_data("formula") if p.name == "formula_ranker.json")
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: b"retrained" if self == ranker else real(self))
    assert codeversion.code_version("formula") != before      # a retrained model reruns the stage
    assert codeversion.code_version("ingest") == ingest                  # and nothing else
