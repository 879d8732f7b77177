#!/usr/bin/env python3
"""Recompute a payout ledger's hash chain without payout: python3 verify-ledger.py ledger.csv

Cells are the CSV cells as read (UTF-8, not trimmed), in file order, without the row_hash cell.
enc(cells) = for each cell: its length in bytes (decimal), ":", its bytes, ",".
h0 = sha256(enc(header cells)); row i: h_i = sha256(h_(i-1) as 64 lowercase hex digits + enc(cells)).
Each row's row_hash must be h_i; the head record (ledger.csv.head) names the row count and the last h.
Exit 0 when intact, 1 at the first bad row.
"""
import csv
import hashlib
import re
import sys


def enc(cells):
    return b"".join(b"%d:%s," % (len(c.encode()), c.encode()) for c in cells)


def main(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        k = [c.strip() for c in header].index("row_hash")
        prev = hashlib.sha256(enc(header[:k] + header[k + 1:])).hexdigest()
        rows = 0
        for row in reader:
            if not row:  # an empty line is no row
                continue
            rows += 1
            h = hashlib.sha256(prev.encode() + enc(row[:k] + row[k + 1:])).hexdigest()
            stored = row[k].strip() if k < len(row) else ""
            if stored != h:
                print(f"{path}:{reader.line_num}: row_hash {stored!r} does not match (expected {h})")
                return 1
            prev = h
    try:
        with open(path + ".head", encoding="utf-8") as f:
            text = f.read()
        recorded = (int(re.search(r"^rows = (\d+)", text, re.M).group(1)),
                    re.search(r'^row_hash = "([0-9a-f]{64})"', text, re.M).group(1))
    except OSError:
        print(f"{path}: chain intact, but no head record {path}.head: deleted last rows cannot be seen")
        return 1
    if recorded != (rows, prev):
        print(f"{path}: the head record names {recorded[0]} rows ending in {recorded[1]}; "
              f"the ledger has {rows} ending in {prev}")
        return 1
    print(f"{path}: intact: {rows} row(s), head {prev}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
