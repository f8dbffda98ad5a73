"""`python -m bench`: every benchmark, each figure against its baseline in the same run.

.venv/bin/python -m bench                      # the full sizes: 1,000,000 contacts
.venv/bin/python -m bench --quick              # a smoke run under two minutes
.venv/bin/python -m bench --contacts 200000 --only fetch_history_vs_sql_sqlite
.venv/bin/python -m bench --only growth --growth 100000,1000000 --seed 7
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter

from bench import (
    assignment,
    broad,
    eval_rules,
    fetch_history,
    growth,
    http,
    http_cpu,
    ingest,
    ingest_same_rows,
    lead_board,
    plots,
    reports,
    same_rows,
    scoring,
    sources,
    webhooks,
)
from bench._report import RESULTS, Figure, Outcome, print_table, write_results
from bench.data import Size

EVAL_KEYS = ("eval_vs_handwritten", "eval_vs_handwritten_as_stated", "eval_speedup_vs_jsonlogic",
             "eval_speedup_vs_rule_engine")  # fmt: skip
# Issue #15: json-logic and rule-engine are reported without a goal.
EVAL_GOALS = {"eval_vs_handwritten": "<= 2.0", "eval_vs_handwritten_as_stated": "<= 1.0",
              "eval_speedup_vs_jsonlogic": "report",
              "eval_speedup_vs_rule_engine": "report"}  # fmt: skip


@dataclass(frozen=True)
class Plan:
    quick: bool
    contacts: int
    seed: int
    growth_sizes: tuple[int, ...] = ()  # contacts at each size of the growth part
    databases: tuple[str, ...] = growth.BACKENDS  # of the growth part
    growth_memory_only: bool = False  # the growth part measures only the server's memory
    growth_broad_up_to: int | None = None  # contacts: the broad job at sizes up to this only

    def size(self, contacts: int | None = None) -> Size:
        n = contacts or self.contacts
        return Size(n, 10 * n, self.seed)

    @property
    def growth(self) -> list[Size]:
        """Fetch history at a tenth of the size and at the size: how the cost grows."""
        return [self.size(max(1_000, self.contacts // 10)), self.size()]

    @property
    def rounds(self) -> int:
        return 3 if self.quick else 10

    @property
    def broad_sizes(self) -> list[Size]:
        """The broad fetch history at a tenth of the size and at the size (its memory's
        flatness); one size in a quick run."""
        return [self.size()] if self.quick else self.growth

    @property
    def repeats(self) -> int:
        """Rounds of the broad and growth fetch histories: one from 1M contacts up (a broad
        job there takes minutes), else the best of two."""
        return 1 if self.quick or self.contacts >= 1_000_000 else 2


def run_growth(plan: Plan) -> Outcome:
    sizes = [plan.size(n) for n in plan.growth_sizes]
    if plan.quick:  # equal rows at one small size; a short HTTP load, on SQLite only
        return growth.growth(sizes, repeats=1, rounds=2, rate=100, seconds=2,
                             backends=plan.databases, memory_on=("sqlite",),
                             memory_only=plan.growth_memory_only,
                             broad_up_to=plan.growth_broad_up_to)  # fmt: skip
    return growth.growth(sizes, repeats=plan.repeats, rounds=5, rate=500, seconds=10,
                         backends=plan.databases,
                         memory_only=plan.growth_memory_only,
                         broad_up_to=plan.growth_broad_up_to)  # fmt: skip


def run_eval(plan: Plan) -> Outcome:
    eval_rules.main(["--contacts", str(plan.contacts), "--seed", str(plan.seed)])
    results = json.loads(RESULTS.read_text())
    figures = [Figure(k, results[k], EVAL_GOALS[k], "see bench/README.md") for k in EVAL_KEYS]
    return Outcome(figures)


GROWTH_SIZES = [100_000, 1_000_000, 5_000_000]  # issue #15, item 6

# Offered events/s, rising until the server falls behind (`http._ramp` stops there).
FULL_RATES = [50, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500]


def run_http(plan: Plan) -> Outcome:
    rates = [100, 150, 200, 300, 400, 500] if plan.quick else FULL_RATES
    return http.http_benchmarks(plan.size(), seconds=3 if plan.quick else 10, rates=rates)


def run_http_cpu(plan: Plan) -> Outcome:
    if plan.quick:
        return http_cpu.cpu_per_event_vs_bare(plan.size(), seconds=2, rate=200, rounds=2)
    return http_cpu.cpu_per_event_vs_bare(plan.size(), seconds=10, rate=500, rounds=5)


POSTGRES_WORKERS = (1, 2, 4)  # server processes; 2 cores here, and PostgreSQL needs some too


def run_http_postgres(plan: Plan) -> Outcome:
    if plan.quick:
        quick = [100, 200]
        return http.http_postgres_benchmarks(plan.size(), workers=[1, 2], seconds=2, rates=quick)
    return http.http_postgres_benchmarks(
        plan.size(), workers=list(POSTGRES_WORKERS), seconds=10, rates=FULL_RATES
    )


def run_sources(plan: Plan) -> Outcome:
    if plan.quick:
        return sources.sources_benchmarks(batches=4, rounds=2, requests=50, seed=plan.seed)
    return sources.sources_benchmarks(batches=30, rounds=5, requests=500, seed=plan.seed)


def run_lead_board(plan: Plan, backend: str = "sqlite") -> Outcome:
    """Issue #15, item 5: open leads on a fifth of the contacts (200,000 at 1M)."""
    if plan.quick:
        return lead_board.lead_board_benchmarks(
            plan.size(), open_leads=plan.contacts // 5, repeats=3, boards=100, phases=1,
            per_phase=2, backend=backend)  # fmt: skip
    return lead_board.lead_board_benchmarks(
        plan.size(), open_leads=plan.contacts // 5, repeats=7, boards=100, phases=3, per_phase=4,
        backend=backend)  # fmt: skip


Part = Callable[[Plan], Outcome]
PARTS: dict[str, tuple[tuple[str, ...], Part]] = {
    "eval": (EVAL_KEYS, run_eval),
    "fetch_history_sqlite": (("fetch_history_vs_sql_sqlite",),
                             lambda p: fetch_history.fetch_history_vs_sql_sqlite(p.growth)),
    "fetch_history_postgres": (("fetch_history_vs_sql_postgres",),
                               lambda p: fetch_history.fetch_history_vs_sql_postgres(p.growth)),
    "same_rows_sqlite": (("fetch_history_vs_same_rows_sqlite",),
                         lambda p: same_rows.fetch_history_vs_same_rows("sqlite", p.size())),
    "same_rows_postgres": (("fetch_history_vs_same_rows_postgres",),
                           lambda p: same_rows.fetch_history_vs_same_rows("postgres", p.size())),
    "broad_sqlite": (("fetch_history_broad_vs_same_rows_sqlite",),
                     lambda p: broad.fetch_history_broad("sqlite", p.broad_sizes, p.repeats)),
    "broad_postgres": (("fetch_history_broad_vs_same_rows_postgres",),
                       lambda p: broad.fetch_history_broad("postgres", p.broad_sizes, p.repeats)),
    "ingest": (("ingest_vs_bare_insert",),
               lambda p: ingest.ingest_vs_bare_insert(p.size(), "sqlite", p.rounds)),
    "ingest_postgres": (("ingest_vs_bare_insert_postgres",),
                        lambda p: ingest.ingest_vs_bare_insert(p.size(), "postgres", p.rounds)),
    "ingest_same_rows": (("ingest_vs_same_rows_sqlite",),
                         lambda p: ingest_same_rows.ingest_vs_same_rows(
                             p.size(), "sqlite", p.rounds)),
    "ingest_same_rows_postgres": (("ingest_vs_same_rows_postgres",),
                                  lambda p: ingest_same_rows.ingest_vs_same_rows(
                                      p.size(), "postgres", p.rounds)),
    "unrelated_streams": (("unrelated_streams_overhead",),
                          lambda p: ingest.unrelated_streams_overhead(
                              p.size(), "sqlite", p.rounds)),
    "scoring": (("score_recompute_vs_sql", "score_sweep_vs_sql"),
                lambda p: scoring.score_recompute_and_sweep(p.size())),
    "scoring_postgres": (("score_recompute_vs_sql_postgres", "score_sweep_vs_sql_postgres"),
                         lambda p: scoring.score_recompute_and_sweep(p.size(), "postgres")),
    "ingest_scoring": (("ingest_with_scoring",),
                       lambda p: scoring.ingest_with_scoring(p.size(), p.rounds)),
    "ingest_scoring_postgres": (("ingest_with_scoring_postgres",),
                                lambda p: scoring.ingest_with_scoring(
                                    p.size(), p.rounds, "postgres")),
    "assignment": (("ingest_with_assignment",),
                   lambda p: assignment.ingest_with_assignment(p.size(), "sqlite", p.rounds)),
    "http": (("http_event_to_lead_p99_ms", "events_per_second_http"), run_http),
    "sources": (("segment_batch_vs_native_batch", "api_key_auth_vs_token"), run_sources),
    "http_cpu": (("http_cpu_per_event_vs_bare_endpoint",), run_http_cpu),
    "http_postgres": (("http_event_to_lead_p99_ms_postgres",
                       *(f"events_per_second_http_postgres_{n}" for n in POSTGRES_WORKERS)),
                      run_http_postgres),
    "reports": (("report_queries_vs_scan", "report_slowest_query_ms"),
                lambda p: reports.report_queries_vs_scan(20_000 if p.quick else 200_000, p.seed)),
    "lead_board": (lead_board.KEYS["sqlite"], run_lead_board),
    "lead_board_postgres": (lead_board.KEYS["postgres"],
                            lambda p: run_lead_board(p, "postgres")),
    "webhooks": (("webhook_delivery_vs_bare_httpx", "webhook_deliveries_per_s",
                  "event_to_webhook_p99_ms", "event_to_webhook_p99_ms_postgres",
                  "event_to_webhook_p99_ms_worker", "event_to_webhook_p99_ms_postgres_worker"),
                 lambda p: webhooks.webhook_benchmarks(quick=p.quick)),
    "ingest_webhooks": (("ingest_with_webhooks", "ingest_with_webhooks_drained"),
                        lambda p: webhooks.ingest_with_webhooks(1_000 if p.quick else 10_000)),
    "ingest_webhooks_postgres": (("ingest_with_webhooks_postgres",
                                  "ingest_with_webhooks_drained_postgres"),
                                 lambda p: webhooks.ingest_with_webhooks(
                                     1_000 if p.quick else 10_000, postgres=True)),
    "growth": (growth.KEYS, run_growth),
}  # fmt: skip


def selected(only: str | None, parser: argparse.ArgumentParser) -> list[str]:
    if not only:
        return list(PARTS)
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    known = {name for name in PARTS} | {key for keys, _ in PARTS.values() for key in keys}
    unknown = sorted(wanted - known)
    if unknown:
        parser.error(f"unknown keys {unknown}; known: {', '.join(sorted(known))}")
    return [name for name, (keys, _) in PARTS.items() if name in wanted or wanted & set(keys)]


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    keys = ", ".join(key for keys, _ in PARTS.values() for key in keys)
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Runs every benchmark, each against its baseline in the same run, "
        f"prints a table and merges the figures into bench/{RESULTS.name}. Generated databases "
        "are cached (bench/.cache/, PostgreSQL databases bench_*) and reused.",
        epilog=f"Keys: {keys}. Parts: {', '.join(PARTS)}.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (20,000 contacts, short HTTP runs): under two minutes",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (1)")
    parser.add_argument(
        "--contacts",
        type=int,
        help="contacts (events: 10 per contact); default 1,000,000, quick 20,000",
    )
    parser.add_argument("--only", metavar="KEY,...", help="run only the parts giving these keys")
    parser.add_argument(
        "--growth",
        metavar="N,...",
        help="contacts at each size of the growth part; default 100000,1000000,5000000, "
        "quick 20000",
    )
    parser.add_argument(
        "--growth-on",
        choices=("both", *growth.BACKENDS),
        default="both",
        help="the databases of the growth part (both)",
    )
    parser.add_argument(
        "--growth-memory-only",
        action="store_true",
        help="the growth part measures only the server's peak memory under HTTP load at the "
        "largest size (fetch history and ingest at 5M take an hour or more)",
    )
    parser.add_argument(
        "--growth-broad-up-to",
        type=int,
        metavar="N",
        help="the growth part runs the broad fetch history only at sizes up to N contacts "
        "(0: at none; at 5M it writes a million leads, most of an hour on a busy machine)",
    )
    args = parser.parse_args(argv)
    if args.contacts is not None and args.contacts < 1_000:
        parser.error("--contacts must be at least 1,000")
    try:
        args.growth = sorted({int(n) for n in args.growth.split(",")}) if args.growth else None
    except ValueError:
        parser.error("--growth takes contact counts separated by commas, e.g. 100000,1000000")
    if args.growth and args.growth[0] < 1_000:
        parser.error("--growth sizes must be at least 1,000")
    return args, selected(args.only, parser)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    args, parts = parse_args(argv)
    contacts = args.contacts or (20_000 if args.quick else 1_000_000)
    sizes = args.growth or ([contacts] if args.quick else GROWTH_SIZES)
    databases = growth.BACKENDS if args.growth_on == "both" else (args.growth_on,)
    plan = Plan(args.quick, contacts, args.seed, tuple(sizes), databases, args.growth_memory_only,
                args.growth_broad_up_to)  # fmt: skip
    outcomes, started = [], perf_counter()
    for name in parts:
        print(f"== {name} ({plan.contacts:,} contacts, seed {plan.seed})", flush=True)
        part_started = perf_counter()
        outcomes.append(PARTS[name][1](plan))
        print(f"   {name} took {perf_counter() - part_started:.0f}s", flush=True)
    print_table([figure for outcome in outcomes for figure in outcome.figures])
    run = {"quick": plan.quick, "contacts": plan.contacts, "seed": plan.seed, "parts": parts,
           "seconds": round(perf_counter() - started)}  # fmt: skip
    if "growth" in parts:
        run["growth_sizes"] = list(plan.growth_sizes)
        run["growth_memory_only"] = plan.growth_memory_only
        run["growth_broad_up_to"] = plan.growth_broad_up_to
    write_results(outcomes, run)
    plots.main()


if __name__ == "__main__":
    main()
