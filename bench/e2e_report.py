"""The end-to-end benchmark's tables: per system and rate, then Concord against the baseline."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any


def _ms(value: float) -> str:
    if math.isinf(value):
        return "—"
    if math.isnan(value):
        return "?"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def brief(row: dict[str, Any]) -> str:
    return (f"ack p99 {_ms(row['ack_ms']['p99'])} ms, reply p50 {_ms(row['reply_ms']['p50'])} "
            f"p99 {_ms(row['reply_ms']['p99'])} ms, backlog {row['backlog_after_window']}")  # fmt: skip


def print_table(name: str, result: dict[str, Any]) -> None:
    rows = result["rates"]
    print(f"\n   {name}  (milliseconds; — = no reply within the window; "
          f"{result['unmatched_posts']} posts matched no command)")  # fmt: skip
    print(f"   {'offered':>7} {'sent/s':>6} | {'ack p50':>7} {'p95':>6} {'p99':>6} {'max':>6} | "
          f"{'reply p50':>9} {'p95':>6} {'p99':>6} {'max':>6} | {'replies/s':>9} "
          f"{'backlog':>7} {'errors':>6}")  # fmt: skip
    for r in rows:
        ack, reply = r["ack_ms"], r["reply_ms"]
        print(f"   {r['offered_per_s']:>5.0f}/s {r['sent_per_s']:>6.1f} | {_ms(ack['p50']):>7} "
              f"{_ms(ack['p95']):>6} {_ms(ack['p99']):>6} {_ms(ack['max']):>6} | "
              f"{_ms(reply['p50']):>9} {_ms(reply['p95']):>6} {_ms(reply['p99']):>6} "
              f"{_ms(reply['max']):>6} | {r['replies_per_s']:>9.1f} "
              f"{r['backlog_after_window']:>7} {r['errors']:>6}")  # fmt: skip


def ratios(concord: list[dict[str, Any]], base: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def ratio(a: float, b: float) -> float:
        return a / b if b and not math.isinf(b) else math.nan

    return [
        {
            "offered_per_s": c["offered_per_s"],
            "ack_p99": ratio(c["ack_ms"]["p99"], b["ack_ms"]["p99"]),
            "reply_p50": ratio(c["reply_ms"]["p50"], b["reply_ms"]["p50"]),
            "reply_p99": ratio(c["reply_ms"]["p99"], b["reply_ms"]["p99"]),
        }
        for c, b in zip(concord, base, strict=True)
    ]


def print_ratios(name: str, rows: list[dict[str, Any]]) -> None:
    def times(value: float) -> str:
        return "∞" if math.isinf(value) else f"{value:.1f}×"

    print(f"\n   {name} / baseline")
    print(f"   {'offered':>7}  {'ack p99':>8}  {'reply p50':>9}  {'reply p99':>9}")
    for r in rows:
        print(f"   {r['offered_per_s']:>5.0f}/s  {times(r['ack_p99']):>8}  "
              f"{times(r['reply_p50']):>9}  {times(r['reply_p99']):>9}")  # fmt: skip


def plain(value: Any) -> Any:
    """JSON without Infinity/NaN: a missing reply or an undefined ratio becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def commit_of(tree: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), "log", "-1", "--format=%h %s"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() or "?"


def report(figures: dict[str, Any]) -> None:
    found = figures["systems"]
    for name, result in found.items():
        print_table(name, result)
    figures["ratios"] = {}
    if "baseline" in found:
        for name in (n for n in found if n != "baseline"):
            rows = ratios(found[name]["rates"], found["baseline"]["rates"])
            figures["ratios"][name] = rows
            print_ratios(name, rows)
