"""Which source files a stage runs, read from the imports; and the package import graph.

The workflow hashes a stage's sources into each rule's ``code`` parameter, so that an edit of
any module the stage imports (directly or not), or of a bundled model or table one of them names,
reruns it and nothing else. The list is derived
here from the code itself (every import statement, including those inside functions) starting
at the module that registers the stage's subcommand, so it cannot drift from what runs.
Standard library only (rules/common.smk imports it).
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE = "specsweep"


def _module_file(name: str) -> Path | None:
    """The file of dotted module ``specsweep.a.b`` (a module or a package's __init__.py)."""
    parts = name.split(".")[1:]
    base = PACKAGE_DIR.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=None)
def imported_files(path: Path) -> frozenset[Path]:
    """Package files that ``path`` imports (``from specsweep.x import y``: y's file when y is a
    module, else x's), with the ``__init__.py`` of every package on the way."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == PACKAGE:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    found: set[Path] = set()
    for name in names:
        parts = name.split(".")
        for i in range(2, len(parts) + 1):   # the packages on the way, then the module itself
            f = _module_file(".".join(parts[:i]))
            if f is not None:
                found.add(f)
    return frozenset(found - {path})


def closure(start: list[Path]) -> list[Path]:
    """``start`` and every package file reached from it by imports, sorted."""
    seen: set[Path] = set()
    todo = list(start)
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo.extend(imported_files(f) - seen)
    return sorted(seen)


@lru_cache(maxsize=None)
def stage_modules() -> dict[str, Path]:
    """Subcommand -> file of the module that registers it (cli.COMMANDS,
    ``stage_parser(subparsers, "name", ...)``)."""
    cli = ast.parse((PACKAGE_DIR / "cli.py").read_text())
    commands = next(ast.literal_eval(n.value) for n in cli.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "COMMANDS" for t in n.targets))
    stages = {}
    for module in commands:
        path = _module_file(module)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "stage_parser" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                stages[node.args[1].value] = path
    return stages


def stage_sources(stage: str) -> list[Path]:
    """Every package file ``specsweep <stage>`` may run: its command module, what that imports
    (transitively), and the command line itself."""
    start = [stage_modules()[stage], PACKAGE_DIR / "cli.py", PACKAGE_DIR / "__main__.py"]
    return closure(start)


@lru_cache(maxsize=None)
def named_data_files(path: Path) -> frozenset[Path]:
    """Bundled data files (models, fitted tables) that module ``path`` names: the files of the
    ``data/`` folder of the module's package or of the top package whose name stands quoted in
    its source (``DATA / "formula_ranker.json"``)."""
    text = path.read_text()
    files = [f for d in (path.parent / "data", PACKAGE_DIR / "data") if d.is_dir() for f in d.iterdir()]
    return frozenset(f for f in files if f'"{f.name}"' in text or f"'{f.name}'" in text)


def stage_data(stage: str) -> list[Path]:
    """Bundled data files the sources of ``stage`` name (a retrained shipped model reruns the stage)."""
    return sorted(set().union(*(named_data_files(f) for f in stage_sources(stage))))


def code_version(stage: str) -> str:
    """Hash of the sources of ``stage`` and of the bundled data files they name (names and
    contents), 16 hex digits."""
    digest = hashlib.sha256()
    for f in stage_sources(stage) + stage_data(stage):
        digest.update(f.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def package_of(path: Path) -> str:
    """Top-level node of a file: its subpackage, or the module name for a top-level module."""
    rel = path.relative_to(PACKAGE_DIR)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def package_imports() -> dict[str, set[str]]:
    """{package: packages it imports}, self-imports and the package's own __init__ left out."""
    graph: dict[str, set[str]] = {}
    for f in sorted(PACKAGE_DIR.rglob("*.py")):
        if f.name == "__main__.py" and f.parent == PACKAGE_DIR:
            continue
        src = package_of(f)
        targets = {package_of(t) for t in imported_files(f)}
        targets.discard("__init__")
        graph.setdefault(src, set()).update(targets - {src})
    return graph

