#!/usr/bin/env python3
"""Joins the columns of a proxy table computed alone (e.g. `hwnas proxies --proxies grasp`) to a shipped
proxy table of the same space, by architecture, keeping hwnas's fixed proxy order.

    scripts/join_proxy_column.py data/proxies/nb201.csv data/proxies/pending/nb201.csv OUT.csv

Both tables must hold the same architectures in the same order (`hwnas proxies` writes a finished
table in the requested order) and no proxy twice; anything else is an error naming the row.
"""
import csv
import sys

# predictors/include/hwnas/predictors/proxies/zero_cost_proxies.h: proxy_names()
ORDER = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow", "naswot", "zen", "plain",
         "l2_norm", "params", "flops"]


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][0] != "arch":
        sys.exit(f"{path}: not a proxy table (its header must start with 'arch')")
    unknown = [c for c in rows[0][1:] if c not in ORDER]
    if unknown:
        sys.exit(f"{path}: unknown proxy column(s) {unknown}; valid: {ORDER}")
    return rows[0][1:], rows[1:]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    base_path, extra_path, out_path = sys.argv[1:]
    base_cols, base_rows = read(base_path)
    extra_cols, extra_rows = read(extra_path)
    twice = set(base_cols) & set(extra_cols)
    if twice:
        sys.exit(f"{extra_path}: {sorted(twice)} already in {base_path}")
    if len(base_rows) != len(extra_rows):
        sys.exit(f"{extra_path} has {len(extra_rows)} rows, {base_path} {len(base_rows)}: finish the run first")
    cols = [c for c in ORDER if c in base_cols or c in extra_cols]
    out = []
    for line, (b, e) in enumerate(zip(base_rows, extra_rows), start=2):
        if b[0] != e[0]:
            sys.exit(f"line {line}: {base_path} has {b[0]}, {extra_path} has {e[0]}: not the same order")
        values = dict(zip(base_cols, b[1:])) | dict(zip(extra_cols, e[1:]))
        out.append([b[0]] + [values[c] for c in cols])
    with open(out_path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["arch"] + cols)
        writer.writerows(out)
    print(f"wrote {out_path}: {len(out)} rows, columns {cols}")


if __name__ == "__main__":
    main()
