#!/usr/bin/env python3
"""Sums the kernel times of each profiled step from `ncu --csv --metrics gpu__time_duration.sum`.

Usage: ncu --profile-from-start off --metrics gpu__time_duration.sum --csv stride-bench --profile-steps 7b:1,13 \
           > ncu.csv; python3 bench/ncu_steps.py ncu.csv 1,13
A step starts at its embedding kernel (the first kernel of every forward pass); prints, per kernel
name, the microseconds it takes in each step, then each step's total. NCU_BY_GRID=1 keeps launches
of one kernel with different grids apart (e.g. the products of one layer).
"""
import csv
import os
import re
import sys
from collections import OrderedDict


def short(name: str) -> str:
    name = name.replace("(anonymous namespace)::", "")
    name = re.sub(r"\(.*", "", name)  # drop the argument list
    name = re.sub(r"^void ", "", name)
    return re.sub(r"^[\w:]*::", "", name)  # drop namespaces


def main() -> int:
    path, labels = sys.argv[1], sys.argv[2].split(",")
    with open(path, newline="") as f:
        lines = [l for l in f if l.startswith('"')]  # ncu prints its own log lines before the CSV
    rows = [r for r in csv.DictReader(lines) if r.get("Metric Name") == "gpu__time_duration.sum"]
    steps = []
    for r in rows:
        name = short(r["Kernel Name"])
        if os.environ.get("NCU_BY_GRID") == "1":
            name = name + " " + r.get("Grid Size", "").replace(" ", "")
        if name.startswith("embedding_kernel") or not steps:
            steps.append(OrderedDict())
        value = float(r["Metric Value"].replace(",", ""))
        us = value / 1000.0 if r["Metric Unit"] in ("nsecond", "ns") else value * (1000.0 if r["Metric Unit"] in ("msecond", "ms") else 1.0)
        steps[-1][name] = steps[-1].get(name, 0.0) + us
    if len(steps) != len(labels):
        print(f"found {len(steps)} steps, expected {len(labels)}", file=sys.stderr)
    names = list(OrderedDict.fromkeys(n for s in steps for n in s))
    print("| kernel | " + " | ".join(f"M={l} us" for l in labels[: len(steps)]) + " |")
    print("| --- |" + " --- |" * len(steps))
    for n in names:
        print(f"| {n[:72]} | " + " | ".join(f"{s.get(n, 0.0):.1f}" for s in steps) + " |")
    print("| total | " + " | ".join(f"{sum(s.values()):.1f}" for s in steps) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
