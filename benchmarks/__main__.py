"""`python -m benchmarks` runs every benchmark; `python -m benchmarks NAME [ARGS...]` runs one."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["knowledge", "streaks", "streaks_postgres", "e2e", "reminders", "cards"]


def main(argv: list[str]) -> int:
    if argv and not argv[0].startswith("-"):
        name, rest = argv[0], argv[1:]
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose from: {', '.join(BENCHMARKS)}")
            return 2
        names = [name]
    else:
        names, rest = BENCHMARKS, argv
    status = 0
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        status = max(status, int(module.main(rest)))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
