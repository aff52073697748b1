"""Functions stay short (DESIGN.md: under about 80 lines), Numba kernels excepted."""

from __future__ import annotations

import ast

from specsweep.codeversion import PACKAGE_DIR

LIMIT = 80


def _is_kernel(node) -> bool:
    return any("njit" in ast.unparse(d) for d in node.decorator_list)


def long_functions() -> dict[str, int]:
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_kernel(node):
                lines = node.end_lineno - node.lineno + 1
                if lines > LIMIT:
                    found[f"{path.relative_to(PACKAGE_DIR).as_posix()}:{node.name}"] = lines
    return found


def test_no_function_over_the_limit():
    assert long_functions() == {}
