"""`python -m bench.plots`: the figures of docs/performance.md, drawn from bench/results.json.

- docs/performance-fetch-history.png: fetch history's time against the number of contacts,
  ours and the best hand-written statement, SQLite and PostgreSQL
  (`fetch_history_*_by_size`).
- docs/performance-http.png: p50 and p99 of POST /api/v1/events against the offered rate,
  one server on SQLite (`http_ramp`, and the run at 500/s: `http_at_500`) and N server
  processes on PostgreSQL (`http_ramp_postgres_N`).

- docs/performance-growth.png: the cost per contact of fetch history (the narrow rule and
  the broad one) and per event of ingest against the number of contacts, SQLite and
  PostgreSQL (`growth_*_by_size`, issue #15 item 6).

A figure whose entries are missing from results.json is left as it is. `python -m bench`
draws them after every run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from bench._report import RESULTS

DOCS = Path(__file__).parent.parent / "docs"
FETCH_HISTORY_PNG = DOCS / "performance-fetch-history.png"
HTTP_PNG = DOCS / "performance-http.png"
GROWTH_PNG = DOCS / "performance-growth.png"
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")
PLAIN = FuncFormatter(lambda value, _: f"{value:g}")
TWOS_AND_FIVES = FuncFormatter(lambda value, _: f"{value:g}" if f"{value:e}"[0] in "25" else "")
DATABASES = (("sqlite", "SQLite", "tab:blue"), ("postgres", "PostgreSQL", "tab:orange"))


def fetch_history(results: dict[str, Any], path: Path = FETCH_HISTORY_PNG) -> Path | None:
    figure, axes = plt.subplots(figsize=(7, 4.5))
    drawn = False
    for key, name, colour in DATABASES:
        rows = sorted(
            results.get(f"fetch_history_{key}_by_size") or [], key=lambda r: r["contacts"]
        )
        if not rows:
            continue
        contacts = [row["contacts"] for row in rows]
        axes.plot(contacts, [row["ours_s"] for row in rows], "o-", color=colour,
                  label=f"{name}: fetch history")  # fmt: skip
        axes.plot(contacts, [row["baseline_s"] for row in rows], "s--", color=colour,
                  alpha=0.7, label=f"{name}: best hand-written SQL")  # fmt: skip
        for row in rows:
            axes.annotate(f"{row['ratio']:.1f}×", (row["contacts"], row["ours_s"]),
                          textcoords="offset points", xytext=(6, 4), fontsize=8,
                          color=colour)  # fmt: skip
        drawn = True
    if not drawn:
        plt.close(figure)
        return None
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.xaxis.set_major_formatter(THOUSANDS)
    axes.yaxis.set_major_formatter(PLAIN)
    axes.yaxis.set_minor_formatter(TWOS_AND_FIVES)
    axes.set_xlabel("contacts (10 events each)")
    axes.set_ylabel("seconds")
    axes.set_title("Fetch history: ours against the best hand-written statement")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    return _save(figure, path)


def _series(results: dict[str, Any]) -> list[tuple[str, dict[int, dict[str, float]]]]:
    """(label, {offered rate: summary}) for every HTTP run in the results."""
    found: list[tuple[str, dict[int, dict[str, float]]]] = []
    sqlite = {int(rate): step for rate, step in (results.get("http_ramp") or {}).items()}
    at_500 = results.get("http_at_500")
    if at_500:
        sqlite.setdefault(500, at_500)
    if sqlite:
        found.append(("SQLite, 1 process", sqlite))
    workers = sorted(
        int(m.group(1)) for k in results if (m := re.fullmatch(r"http_ramp_postgres_(\d+)", k))
    )
    for count in workers:
        ramp = results[f"http_ramp_postgres_{count}"]
        label = f"PostgreSQL, {count} process{'es' if count > 1 else ''}"
        found.append((label, {int(rate): step for rate, step in ramp.items()}))
    return found


def http(results: dict[str, Any], path: Path = HTTP_PNG) -> Path | None:
    series = _series(results)
    if not series:
        return None
    figure, (p50, p99) = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for label, steps in series:
        rates = sorted(steps)
        for axes, key in ((p50, "p50_ms"), (p99, "p99_ms")):
            axes.plot(rates, [steps[r][key] for r in rates], "o-", label=label)
    for axes, title in ((p50, "p50"), (p99, "p99")):
        axes.axhline(50, color="grey", linestyle=":", linewidth=1)
        axes.axhline(100, color="grey", linestyle="--", linewidth=1)
        axes.set_yscale("log")
        axes.yaxis.set_major_formatter(PLAIN)
        axes.set_xlabel("offered events per second (open loop)")
        axes.set_title(f"{title} from POST to answer (lead readable)")
        axes.grid(True, which="both", alpha=0.3)
    p50.set_ylabel("milliseconds (dotted: 50, dashed: 100)")
    p99.legend(fontsize=8)
    figure.suptitle("POST /api/v1/events: latency against offered rate")
    return _save(figure, path)


GROWTH_PANELS = (
    ("narrow_us_per_contact", "narrow_ratio", "fetch history, narrow rule", "µs per contact"),
    ("broad_us_per_contact", "broad_ratio", "fetch history, broad rule (~20%)", "µs per contact"),
    ("ingest_us_per_event", "ingest_vs_bare", "ingest, 100 streams", "µs per event"),
)


def growth(results: dict[str, Any], path: Path = GROWTH_PNG) -> Path | None:
    """Cost per contact (per event) against size; each point labelled with its ratio to the
    baseline of the same minutes."""
    found = [(name, colour, sorted(results.get(f"growth_{key}_by_size") or [],
                                   key=lambda r: r["contacts"]))
             for key, name, colour in DATABASES]  # fmt: skip
    found = [(name, colour, rows) for name, colour, rows in found if rows]
    if not found:
        return None
    figure, panels = plt.subplots(1, 3, figsize=(13, 4.2))
    for axes, (key, ratio, title, unit) in zip(panels, GROWTH_PANELS, strict=True):
        for name, colour, every_row in found:
            rows = [row for row in every_row if key in row]  # the broad job may stop short
            contacts = [row["contacts"] for row in rows]
            axes.plot(contacts, [row[key] for row in rows], "o-", color=colour, label=name)
            for row in rows:
                axes.annotate(f"{row[ratio]:.1f}×", (row["contacts"], row[key]),
                              textcoords="offset points", xytext=(5, 4), fontsize=8,
                              color=colour)  # fmt: skip
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(THOUSANDS)
        highest = max(row[key] for _, _, rows in found for row in rows if key in row)
        axes.set_ylim(0, highest * 1.2)  # room for the labels
        axes.set_xlabel("contacts (10 events each)")
        axes.set_ylabel(unit)
        axes.set_title(title, fontsize=10)
        axes.grid(True, which="both", alpha=0.3)
    panels[0].legend(fontsize=8)
    figure.suptitle("Cost by size (labels: ours ÷ the baseline of the same minutes)")
    return _save(figure, path)


def _save(figure: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main() -> list[Path]:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    drawn = (fetch_history(results), http(results), growth(results))
    written = [p for p in drawn if p is not None]
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
