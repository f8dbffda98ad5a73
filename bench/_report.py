"""What every part hands back (figures with goals), the table, and results.json merging."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

RESULTS = Path(__file__).with_name("results.json")
T = TypeVar("T")
_GOAL = re.compile(r"^(<=|>=|<|>)\s*([0-9.]+)$")


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    goal: str  # "<= 1.3", ">= 10", "< 50" or "report"
    note: str = ""

    @property
    def verdict(self) -> str:
        found = _GOAL.match(self.goal)
        if found is None:
            return ""
        op, limit = found.group(1), float(found.group(2))
        ok = {"<=": self.value <= limit, ">=": self.value >= limit,
              "<": self.value < limit, ">": self.value > limit}[op]  # fmt: skip
        return "met" if ok else "MISSED"


@dataclass
class Outcome:
    """A part's figures for the table, and everything it measured for results.json."""

    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def best_of(repeats: int, run: Callable[[], T]) -> tuple[float, T]:
    """The fastest of `repeats` timed calls, and what the last call returned."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = perf_counter()
        result = run()
        best = min(best, perf_counter() - started)
    assert result is not None
    return best, result


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "postgresql": _postgres_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor()


def _memory_gb() -> float | None:
    try:
        first = Path("/proc/meminfo").read_text().splitlines()[0]
    except OSError:
        return None
    return round(int(first.split()[1]) / 1024 / 1024, 1)


def _postgres_version() -> str | None:
    try:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def print_table(figures: list[Figure]) -> None:
    head = f"{'key':<32} {'value':>10}  {'goal':<8} {'':<6}  note"
    print("", head, "-" * len(head), sep="\n")
    for f in figures:
        print(f"{f.key:<32} {f.value:>10.3f}  {f.goal:<8} {f.verdict:<6}  {f.note}")


def write_results(outcomes: list[Outcome], run: dict[str, Any]) -> None:
    """Merge our keys into results.json, keeping the keys other benchmarks wrote."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for outcome in outcomes:
        results.update({f.key: round(f.value, 3) for f in outcome.figures})
        results.update(outcome.details)
    results["machine"] = machine()
    results["last_run"] = run
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True, default=str) + "\n")
    print(f"wrote {RESULTS}")
