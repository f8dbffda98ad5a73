"""The two pure layers import as the architecture draws them: rules imports nothing of ours
but rules, domain only domain, rules and the typed errors; and each domain module imports
first in a fresh interpreter, so that a cycle between them shows here and not in whichever
process happens to import rules first."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import leadstreams
import leadstreams.domain

SOURCE = Path(leadstreams.__file__).parent
BELOW = {"rules": ("rules",), "domain": ("domain", "rules", "errors")}


def _ours(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name.split(".")[1] for name in found if name.startswith("leadstreams.")}


@pytest.mark.parametrize("layer", sorted(BELOW))
def test_a_pure_layer_imports_only_itself_and_what_is_below(layer: str) -> None:
    upward = {
        str(path.relative_to(SOURCE)): sorted(_ours(path) - set(BELOW[layer]))
        for path in sorted((SOURCE / layer).rglob("*.py"))
    }
    assert {module: names for module, names in upward.items() if names} == {}


@pytest.mark.parametrize(
    "module",
    [f"leadstreams.domain.{m.name}" for m in pkgutil.iter_modules(leadstreams.domain.__path__)],
)
def test_a_domain_module_imports_on_its_own(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
