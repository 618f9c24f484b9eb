#!/usr/bin/env python3
"""Summarises seed-spread.sh's measurements as a Markdown table: mean ± standard deviation over seeds.

    python3 scripts/seed-spread-table.py OUT/quality-*.txt

Each file is `sample FILE.npy --classifier C`'s output, named quality-FRAMEWORK-seed-S[-epoch-NNNN].txt.
"""
import re
import statistics
import sys

FIGURES = [
    ("FID", r"^FID ([\d.]+)"),
    ("KID", r"^KID ([\d.]+)"),
    ("precision", r"precision ([\d.]+),"),
    ("recall", r"recall ([\d.]+) "),
    ("classes >= 2 %", None),
    ("confident (%)", r"^confident ([\d.]+) %"),
]


def main(paths):
    groups = {}
    for path in paths:
        match = re.search(r"quality-(\w+)-seed-(\d+)(?:-epoch-(\d+))?\.txt$", path)
        if not match:
            sys.exit(f"{path}: not a quality-FRAMEWORK-seed-S[-epoch-NNNN].txt file")
        framework, seed, epoch = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        text = open(path).read()
        values = {}
        for name, pattern in FIGURES:
            if pattern is None:  # classes holding at least 2 % of the samples, from the histogram
                shares = [float(x) for x in re.findall(r"\d: ([\d.]+) %", text)]
                if len(shares) < 2:
                    sys.exit(f"{path}: no class histogram in it")
                values[name] = float(sum(share >= 2 for share in shares))
                continue
            found = re.search(pattern, text, re.MULTILINE)
            if not found:
                sys.exit(f"{path}: no {name} in it")
            values[name] = float(found.group(1))
        groups.setdefault((epoch, framework), {})[seed] = values
    print("| epochs | framework | seeds | " + " | ".join(name for name, _ in FIGURES) + " |")
    print("|---|---|---|" + "---|" * len(FIGURES))
    for (epoch, framework), runs in sorted(groups.items()):
        cells = []
        for name, _ in FIGURES:
            values = [runs[seed][name] for seed in sorted(runs)]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            digits = 3 if name in ("precision", "recall") else 1
            each = ", ".join(f"{v:.{digits}f}" for v in values)
            cells.append(f"{statistics.mean(values):.{digits}f} ± {spread:.{digits}f} ({each})")
        print(f"| {epoch or '?'} | {framework} | {', '.join(map(str, sorted(runs)))} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
