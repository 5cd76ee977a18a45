#!/usr/bin/env python3
"""Joins the columns of a proxy table computed alone (e.g. `hwnas proxies --proxies grasp`) to a shipped
proxy table of the same space, by architecture, keeping hwnas's fixed proxy order.

Both tables must hold the same architectures in the same order (`hwnas proxies` writes a finished
table in the requested order) and no proxy twice; anything else is an error naming the file and line.
"""
import argparse
import csv
import sys

# predictors/include/hwnas/predictors/proxies/zero_cost_proxies.h: proxy_names()
ORDER = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow", "naswot", "zen", "plain",
         "l2_norm", "params", "flops"]


def read(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        sys.exit(f"{path}: cannot read: {e.strerror}")
    if not rows or not rows[0] or rows[0][0] != "arch":
        sys.exit(f"{path}: not a proxy table (its header must start with 'arch')")
    unknown = [c for c in rows[0][1:] if c not in ORDER]
    if unknown:
        sys.exit(f"{path}: unknown proxy column(s) {unknown}; valid: {ORDER}")
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            sys.exit(f"{path}, line {line}: {len(row)} fields, the header has {len(rows[0])}")
    return rows[0][1:], rows[1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shipped", help="the table to extend, e.g. data/proxies/nb201.csv")
    parser.add_argument("extra", help="the finished run holding the new column(s), e.g. data/proxies/pending/nb201.csv")
    parser.add_argument("out", help="where to write the joined table")
    args = parser.parse_args()
    base_cols, base_rows = read(args.shipped)
    extra_cols, extra_rows = read(args.extra)
    twice = set(base_cols) & set(extra_cols)
    if twice:
        sys.exit(f"{args.extra}: {sorted(twice)} already in {args.shipped}")
    if len(base_rows) != len(extra_rows):
        sys.exit(f"{args.extra} has {len(extra_rows)} rows, {args.shipped} {len(base_rows)}: finish the run first")
    cols = [c for c in ORDER if c in base_cols or c in extra_cols]
    out = []
    for line, (b, e) in enumerate(zip(base_rows, extra_rows), start=2):
        if b[0] != e[0]:
            sys.exit(f"line {line}: {args.shipped} has {b[0]}, {args.extra} has {e[0]}: not the same order")
        values = dict(zip(base_cols, b[1:])) | dict(zip(extra_cols, e[1:]))
        out.append([b[0]] + [values[c] for c in cols])
    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["arch"] + cols)
        writer.writerows(out)
    print(f"wrote {args.out}: {len(out)} rows, columns {cols}")


if __name__ == "__main__":
    main()
