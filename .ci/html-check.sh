#!/usr/bin/env bash
# Renders the example's HTML insights report and one HTML statement in a real headless browser (Debian's
# chromium) and checks that they render: a screenshot that is not blank, and the page's text holding
# the example's figures (read from `payout insights` itself, so the check follows the data); the
# statement of Julien Lefèvre (A006, paid in EUR) for March 2026 shows his payable, worked out by
# hand, and prints to PDF.
#
# usage (any folder):  .ci/html-check.sh [PAYOUT_BINARY]     (default target/release/payout)
# Needs chromium (installed by .ci/run) and python3 (standard library only).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
payout=${1:-target/release/payout}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$payout" -q insights --period 2026-Q1 --format html --out "$work/report.html"
# The figures the page must show, as the table prints them.
"$payout" -q insights --period 2026-Q1 > "$work/table.txt"

browser() {
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$work/profile" "$@" 2>/dev/null
}
browser --screenshot="$work/shot.png" --window-size=1280,2000 "file://$work/report.html" >/dev/null
browser --dump-dom "file://$work/report.html" > "$work/dom.html"

"$payout" -q run --period 2026-03 --format csv --out "$work/run" --statements-html > "$work/payouts.csv"
statement="$work/run/statements/2026-03/A006.html"
browser --screenshot="$work/statement.png" --window-size=1280,1600 "file://$statement" >/dev/null
browser --dump-dom "file://$statement" > "$work/statement-dom.html"
browser --print-to-pdf="$work/statement.pdf" --no-pdf-header-footer "file://$statement" >/dev/null
python3 - "$work/shot.png" "$work/dom.html" "$work/table.txt" "$work/statement.png" <<'PY'
import re, struct, sys, zlib

shot, dom_file, table_file, statement_shot = sys.argv[1:5]

def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, standard library only."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unsupported PNG (depth {depth}, colour {colour})"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows

for path, least in ((shot, 0.02), (statement_shot, 0.005)):
    w, h, ch, rows = png_pixels(path)
    ink = sum(1 for row in rows for x in range(0, w * ch, ch) if min(row[x:x + 3]) < 240)
    share = ink / (w * h)
    print(f"screenshot {w}x{h}: {share:.1%} of the pixels are not white")
    assert share > least, f"the screenshot {path} is blank"

dom = open(dom_file, encoding="utf-8").read()
text = re.sub(r"<[^>]+>", " ", dom).replace("&amp;", "&")
assert dom.count("<svg") >= 6, "the charts are missing"
wanted = {}
for line in open(table_file, encoding="utf-8"):
    cells = [c.strip() for c in line.strip("│\n").split("┆")]
    if len(cells) == 3 and cells[0] in ("win_rate_count", "average_deal_size", "slip_rate",
                                        "incentive_cost_of_sales", "reps_at_or_above_100"):
        wanted[cells[0]] = cells[1]
assert len(wanted) == 5, f"figures not found in the table: {wanted}"
missing = {k: v for k, v in wanted.items() if v not in text}
assert not missing, f"the page does not show {missing}"
print("the page shows " + ", ".join(f"{k} {v}" for k, v in wanted.items()))
PY

# The statement (rendered above, with the report): Julien Lefèvre (A006), March 2026. His payable, by hand from the
# example's data: 35,463.15 earned to date on the Q1 commission less 15,429.46 paid in February =
# 20,033.69 USD; paid in EUR at 1.0929 (the rate of 2026-03-31): 20,033.69 ÷ 1.0929 =
# 18,330.762…, rounded half away from zero to 18,330.76 EUR.
python3 - "$work/statement.png" "$work/statement-dom.html" "$work/statement.pdf" "$work/payouts.csv" <<'PY'
import csv, re, sys
from decimal import Decimal
shot, dom_file, pdf, payouts = sys.argv[1:5]
dom = open(dom_file, encoding="utf-8").read()
text = re.sub(r"<[^>]+>", " ", dom).replace("&amp;", "&")
payable = sum(Decimal(r["payable"]) for r in csv.DictReader(open(payouts, encoding="utf-8"))
              if r["rep_id"] == "A006" and r["payout_period"] == "2026-03")
assert payable == Decimal("20033.69"), f"A006's payable is {payable}, not the 20,033.69 worked out by hand"
for wanted in ("Julien Lefèvre", "Total payable for 2026-03: 20,033.69 USD", "Paid in EUR: 18,330.76 EUR"):
    assert wanted in text, f"the statement does not show {wanted!r}"
assert "<script" not in dom, "the statement runs a script"
data = open(pdf, "rb").read()
assert data.startswith(b"%PDF") and len(data) > 1000, "the statement does not print to PDF"
print(f"the statement shows Julien Lefèvre's payable 20,033.69 USD (18,330.76 EUR); PDF {len(data)} bytes")
PY
echo "html-check: the report and the statement render"
