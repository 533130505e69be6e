"""Helpers shared by the benchmarks: timing, percentiles, a plain table and JSON results."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

RESULTS_DIR = Path(__file__).resolve().parent / "results"

T = TypeVar("T")


def percentiles(samples_ns: Sequence[int]) -> dict[str, float]:
    """p50, p90, p99 and max of `samples_ns`, in milliseconds (nearest-rank percentiles)."""
    if not samples_ns:
        raise ValueError("no samples")
    ordered = sorted(samples_ns)
    n = len(ordered)

    def rank(p: float) -> float:
        # Nearest rank: the smallest sample with at least p% of samples at or below it.
        index = max(0, min(n - 1, math.ceil(n * p / 100) - 1))
        return ordered[index] / 1e6

    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1] / 1e6}


def time_calls(
    fn: Callable[[T], object], inputs: Sequence[T], repeat: int, warmup: int = 1
) -> list[int]:
    """Nanoseconds per call of `fn` on every input, `repeat` times over, after `warmup` passes."""
    clock = time.perf_counter_ns
    for _ in range(warmup):
        for item in inputs:
            fn(item)
    samples: list[int] = []
    append = samples.append
    for _ in range(repeat):
        for item in inputs:
            start = clock()
            fn(item)
            append(clock() - start)
    return samples


def print_table(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> None:
    """Print `rows` as an aligned plain-text table; numbers are right-aligned."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        if isinstance(value, list):
            return " ".join(cell(v) for v in value)
        return "" if value is None else str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    numeric = [
        all(isinstance(row.get(c), int | float) for row in rows if row.get(c) is not None)
        for c in columns
    ]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    print(line(list(columns)))
    print(line(["-" * w for w in widths]))
    for r in cells:
        print(line(r))


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other work on the machine skews the tail latencies."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def storage_reads() -> int | None:
    """Bytes this process has read from storage devices so far (not from the page cache);
    None where the system does not say (Linux's /proc/self/io)."""
    try:
        lines = Path("/proc/self/io").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in lines if line.startswith("read_bytes:")), None)


def git_revision() -> dict[str, Any] | None:
    """The commit measured, and whether the working tree had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return None


def metadata() -> dict[str, Any]:
    return {
        "git": git_revision(),
        "load_average": load_average(),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "argv": sys.argv[1:],
    }


def write_results(name: str, data: Mapping[str, Any]) -> Path:
    """Write `data` with run metadata to benchmarks/results/<name>.json; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "metadata": metadata(), "results": data}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def pin_to_one_core() -> int | None:
    """Pin this process, and the threads it starts from now on, to one core (the
    highest-numbered it may use); return that core, or None where affinity cannot be set."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core
