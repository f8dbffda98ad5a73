"""Each domain module, and the rule vocabulary that reads the domain's stages, imports first
in a fresh interpreter: a cycle between domain and rules shows here, not in whichever process
happens to import rules before domain."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import leadstreams.domain

MODULES = [
    *(f"leadstreams.domain.{m.name}" for m in pkgutil.iter_modules(leadstreams.domain.__path__)),
    "leadstreams.rules.fields",
]


@pytest.mark.parametrize("module", MODULES)
def test_the_module_imports_on_its_own(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
