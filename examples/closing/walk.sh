#!/bin/sh
# Replay six monthly closes of examples/closing in a scratch copy: each month, the CRM export of that
# month-end is run and closed. Run from the repository root:
#   examples/closing/walk.sh [path/to/payout]        (default target/release/payout)
set -eu
PAYOUT=${1:-target/release/payout}
DIR=$(mktemp -d)
cp -R examples/closing/. "$DIR"
rm -f "$DIR/ledger.csv" "$DIR/ledger.csv.head"
echo "scratch workspace: $DIR" >&2
for m in 01 02 03 04 05 06; do
  next=$(printf '%02d' $((${m#0} + 1)))
  echo "== close 2026-$m" >&2
  "$PAYOUT" -w "$DIR/payout.toml" --deals "$DIR/exports/deals-2026-$m.csv" \
    close --period "2026-$m" --approved-by "Dana Lee" --closed-at "2026-$next-03T17:00:00Z"
done
cmp "$DIR/ledger.csv" examples/closing/ledger.csv && cmp "$DIR/ledger.csv.head" examples/closing/ledger.csv.head &&
  echo "the ledger and its head record equal examples/closing/ledger.csv and ledger.csv.head" >&2
