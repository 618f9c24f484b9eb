#!/usr/bin/env python3
"""Summarises gan-per-minute.sh's measurements as a Markdown table, one row per run and time.

    python3 scripts/gan-per-minute-table.py OUT

Reads OUT/quality-RUN-M.txt (`sample ... --classifier C`'s output) and the steps each run reached
(OUT/gk.log's snapshot lines, OUT/torch-*/log.json).
"""
import glob
import json
import os
import re
import sys

FIGURES = [
    ("FID", r"^FID ([\d.]+)"),
    ("KID", r"^KID ([\d.]+ \+- [\d.]+)"),
    ("precision", r"precision ([\d.]+),"),
    ("recall", r"recall ([\d.]+) "),
    ("confident %", r"^confident ([\d.]+) %"),
]


def reached(out, run):
    """minutes -> (steps, batch) for one run."""
    if run == "gk":
        text = open(os.path.join(out, "gk.log")).read()
        batch = re.search(r" of batch (\d+)", text)
        batch = int(batch.group(1)) if batch else 0
        return {float(m): (int(s), batch)
                for m, s in re.findall(r"snapshot after ([\d.]+) minutes of training \(step (\d+),", text)}
    log = json.load(open(os.path.join(out, run, "log.json")))
    return {float(r["minutes"]): (r["steps"], log["batch"]) for r in log["reached"]}


def class_spread(text):
    """The largest distance of a class's share from 10 %, in percentage points."""
    shares = [float(v) for v in re.findall(r"\d: ([\d.]+) %", text.split("ClassHistogram", 1)[-1])]
    return f"{max(abs(s - 10) for s in shares):.1f}" if len(shares) == 10 else "-"


def main(out):
    rows = []
    for path in glob.glob(os.path.join(out, "quality-*-*.txt")):
        match = re.search(r"quality-(.+)-([\d.]+)\.txt$", path)
        run, minutes = match.group(1), float(match.group(2))
        text = open(path).read()
        values = []
        for _, pattern in FIGURES:
            found = re.search(pattern, text, re.M)
            values.append(found.group(1) if found else "-")
        steps, batch = reached(out, run).get(minutes, (0, 0))
        rows.append((minutes, run, steps, steps * batch / 60000, values, class_spread(text)))
    if not rows:
        sys.exit(f"{out}: no quality-RUN-M.txt files")
    print("| minutes | run | steps | epochs | " + " | ".join(name for name, _ in FIGURES) + " | worst class vs 10 % (points) |")
    print("|---" * (len(FIGURES) + 5) + "|")
    for minutes, run, steps, epochs, values, spread in sorted(rows):
        print(f"| {minutes:g} | {run} | {steps} | {epochs:.2f} | " + " | ".join(values) + f" | {spread} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "output/gan-per-minute")
