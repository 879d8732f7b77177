#!/usr/bin/env python3
"""Compare the DuckDB peer's numbers with payout's payouts, to the cent.

usage: compare.py PEER_CSV PAYOUTS_CSV

PEER_CSV     rep_id,period,component,amount            (written by benches/peer_duckdb.py)
PAYOUTS_CSV  payout's payouts.csv: columns rep_id, component, payout_period, payable (others ignored)

Either file may use either spelling (period/payout_period, amount/payable), so two peer files or two
payouts files can be compared too. Every (rep_id, period, component) key is compared as an exact decimal
(decimal.Decimal, so 0 == 0.00 but 0.01 != 0.010000001). Missing keys, extra keys, duplicate keys,
unparseable amounts and mismatches are reported (the first 10 of each); exit 1 on any difference, else
print "N rows match" and exit 0. Exit 2 on usage or I/O errors.
"""
import csv
import sys
from decimal import Decimal, InvalidOperation

SHOW = 10
PERIOD_COLS = ("period", "payout_period")
AMOUNT_COLS = ("amount", "payable")


def pick(header, names, path):
    for n in names:
        if n in header:
            return n
    print(f"compare.py: {path}: no column named {' or '.join(names)} (header: {','.join(header)})", file=sys.stderr)
    sys.exit(2)


def load(path):
    """Return ({key: Decimal}, problems) for one file."""
    rows, problems = {}, []
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        sys.exit(2)
    with f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        for need in ("rep_id", "component"):
            if need not in header:
                print(f"compare.py: {path}: no column named {need} (header: {','.join(header)})", file=sys.stderr)
                sys.exit(2)
        pcol, acol = pick(header, PERIOD_COLS, path), pick(header, AMOUNT_COLS, path)
        for rec in reader:
            line = reader.line_num
            key = (rec["rep_id"], rec[pcol], rec["component"])
            raw = (rec[acol] or "").strip()
            try:
                value = Decimal(raw)
                if not value.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(f"{path}:{line}: {acol}: {raw!r}: not a decimal")
                continue
            if key in rows:
                problems.append(f"{path}:{line}: duplicate key {','.join(key)}")
                continue
            rows[key] = value
    return rows, problems


def show(title, items):
    if items:
        print(f"{title}: {len(items)}")
        for item in items[:SHOW]:
            print(f"  {item}")
        if len(items) > SHOW:
            print(f"  ... and {len(items) - SHOW} more")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    peer_path, ours_path = argv[1], argv[2]
    peer, peer_problems = load(peer_path)
    ours, our_problems = load(ours_path)

    missing = sorted(k for k in peer if k not in ours)
    extra = sorted(k for k in ours if k not in peer)
    mismatched = sorted(k for k in peer if k in ours and peer[k] != ours[k])

    show("unusable rows", peer_problems + our_problems)
    show(f"missing from {ours_path} (in peer)", [",".join(k) + f" = {peer[k]}" for k in missing])
    show(f"extra in {ours_path} (not in peer)", [",".join(k) + f" = {ours[k]}" for k in extra])
    show("mismatches (key: peer vs payout, difference)",
         [f"{','.join(k)}: {peer[k]} vs {ours[k]}, diff {ours[k] - peer[k]}" for k in mismatched])

    if peer_problems or our_problems or missing or extra or mismatched:
        matched = len(peer) - len(missing) - len(mismatched)
        print(f"DIFFERENT: {matched} of {len(peer)} peer rows match")
        return 1
    print(f"{len(peer)} rows match")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
