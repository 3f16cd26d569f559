"""Benchmark of the command line's start: ``hamkor --help`` against a bare ``import typer``.

Run (not part of the test suite)::

    .venv/bin/python bench/cli_start.py [--runs 11] [--before ../other-checkout/src]

Issue 20's goal: ``hamkor --help`` starts within 1.5 × ``python -c "import typer"``. Each
command runs in a fresh interpreter of the Python that runs this script, the commands in turn
(so that the machine's load falls on all of them alike), and the median of ``--runs`` runs is
printed with its ratio to ``import typer``. ``--before`` adds the help of another checkout's
sources (``PYTHONPATH``), measured in the same rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

HELP = 'import sys; from hamkor.cli import app; sys.argv[0] = "hamkor"; app()'
console = Console()


def seconds(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--before", help="the src folder of another checkout")
    args = parser.parse_args(argv)
    plain = dict(os.environ)
    commands = {
        "python -c 'import typer'": ([sys.executable, "-c", "import typer"], plain),
        "hamkor --help": ([sys.executable, "-c", HELP, "--help"], plain),
    }
    if args.before:
        before = {**plain, "PYTHONPATH": args.before}
        commands["hamkor --help (before)"] = ([sys.executable, "-c", HELP, "--help"], before)
    times: dict[str, list[float]] = {name: [] for name in commands}
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        for name, (command, env) in commands.items():
            times[name].append(seconds(command, env))
    baseline = statistics.median(times["python -c 'import typer'"])
    table = Table(title=f"median of {args.runs} runs; load {load:.1f} → {os.getloadavg()[0]:.1f}")
    table.add_column("command")
    table.add_column("median", justify="right")
    table.add_column("× import typer", justify="right")
    for name, measured in times.items():
        median = statistics.median(measured)
        table.add_row(name, f"{median:.3f} s", f"{median / baseline:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
