#!/usr/bin/env bash
# The benchmark batch: payout vs the DuckDB peer on the same generated data (benches/gen.py, the plan in
# benches/bench-workspace, the same plan as SQL in benches/peer_duckdb.py).
#
# usage (from the repository root):  benches/batch.sh [REPS] [DEALS] [THREADS]
#   defaults: 20000 reps, 10000000 deals (~690 MB of CSV), THREADS = nproc
#
# - data is generated once into target/bench-data/<REPS>x<DEALS>/ (git-ignored) and reused;
# - the peer writes target/bench-data/peer-<REPS>x<DEALS>.csv; payout writes target/bench-out/<REPS>x<DEALS>/;
# - both run under /usr/bin/time -v (wall time, user+sys CPU, peak RSS); benches/compare.py checks every
#   (rep_id, period, component) to the cent; a Markdown table and the payout/peer ratios are printed.
# Exit status: 0 when the numbers match, 1 when they differ, other non-zero on a failure.
#
# Environment:
#   BENCH_SHARED     folder holding gen.py and peer_duckdb.py (default benches/)
#   BENCH_PEER_ONLY  set to 1 to run only the generator and the peer (no cargo build, no payout run)
#   BENCH_STATEMENTS set to 1 to also time the runs that write every statement (--out), in both
#                    layouts: one CSV per payout period (per-period), then a CSV and a Markdown file
#                    per rep and payout period (per-rep)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

REPS=${1:-20000}
DEALS=${2:-10000000}
THREADS=${3:-$(nproc)}
SHARED=${BENCH_SHARED:-benches}
PEER_ONLY=${BENCH_PEER_ONLY:-0}

TAG="${REPS}x${DEALS}"
DATA="target/bench-data/${TAG}"
PEER_CSV="target/bench-data/peer-${TAG}.csv"
OUT="target/bench-out/${TAG}"
WORKSPACE="benches/bench-workspace/payout.toml"
LOGS="target/bench-logs/${TAG}"

say() { echo "batch.sh: $*" >&2; }
die() { say "error: $*"; exit 2; }

[[ "$REPS" =~ ^[0-9]+$ && "$DEALS" =~ ^[0-9]+$ && "$THREADS" =~ ^[1-9][0-9]*$ ]] \
    || die "usage: benches/batch.sh [REPS] [DEALS] [THREADS] (positive integers)"
[[ -f "$SHARED/gen.py" && -f "$SHARED/peer_duckdb.py" ]] || die "no gen.py/peer_duckdb.py in $SHARED"

# --- tools -------------------------------------------------------------------------------------------
if ! python3 -c 'import duckdb' 2>/dev/null; then
    say "installing duckdb with pip"
    python3 -m pip install --quiet duckdb
fi
if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time (Debian package 'time')"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get install -y -qq time >/dev/null 2>&1 \
        || { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq time >/dev/null; }
fi
DUCKDB_VERSION=$(python3 -c 'import duckdb; print(duckdb.__version__)')

# --- data --------------------------------------------------------------------------------------------
if [[ -f "$DATA/reps.csv" && -f "$DATA/deals.csv" && -f "$DATA/quotas.csv" ]]; then
    say "reusing $DATA"
else
    say "generating $REPS reps, $DEALS deals into $DATA"
    mkdir -p target/bench-data
    rm -rf "$DATA.tmp"
    python3 "$SHARED/gen.py" "$DATA.tmp" "$REPS" "$DEALS" >&2
    rm -rf "$DATA"
    mv "$DATA.tmp" "$DATA"   # only a complete data set ever appears under its final name
fi

# --- build -------------------------------------------------------------------------------------------
if [[ "$PEER_ONLY" != 1 ]]; then
    [[ -f "$WORKSPACE" ]] || die "missing $WORKSPACE (the bench plan's workspace)"
    say "cargo build --release"
    cargo build --release >&2
fi

# --- measure -----------------------------------------------------------------------------------------
mkdir -p "$LOGS"

# measure NAME CMD...: run CMD under /usr/bin/time -v; its report goes to $LOGS/NAME.time.
measure() {
    local name=$1
    shift
    say "running $name: $*"
    /usr/bin/time -v -o "$LOGS/$name.time" "$@"
}

# stats NAME: print "wall_s cpu_s rss_mib" from $LOGS/NAME.time.
stats() {
    awk -F': ' '
        /Elapsed \(wall clock\) time/ {
            n = split($NF, p, ":"); wall = 0
            for (i = 1; i <= n; i++) wall = wall * 60 + p[i]
        }
        /User time \(seconds\)/   { cpu += $NF }
        /System time \(seconds\)/ { cpu += $NF }
        /Maximum resident set size \(kbytes\)/ { rss = $NF / 1024 }
        END { printf "%.2f %.2f %.1f\n", wall, cpu, rss }
    ' "$LOGS/$1.time"
}

rm -f "$PEER_CSV"
# An earlier statements folder (480,000 files at 10M) is deleted before anything is timed. On an ext4
# without a journal (this machine's), for 60 s after a delete (6 min while the inode tables are not yet
# written back) each new file's inode search steps over the recently deleted ones: after deleting
# 480,000 files that costs tens of seconds of system time. So after such a delete: sync, then wait.
if [[ -d "$OUT/per-rep/statements" || -d "$OUT/full/statements" ]]; then
    rm -rf "$OUT"
    sync
    say "waiting 65 s for the file system to reuse the deleted statements' inodes"
    sleep 65
else
    rm -rf "$OUT"
fi
measure peer python3 "$SHARED/peer_duckdb.py" "$DATA" "$PEER_CSV" "$THREADS"
read -r PEER_WALL PEER_CPU PEER_RSS < <(stats peer)

STATUS=0
if [[ "$PEER_ONLY" != 1 ]]; then
    mkdir -p "$OUT"
    # The twelve monthly batches of 2026 in one invocation; the payouts file is the CSV on stdout
    # (--out would also write every rep's statements: measured separately below).
    measure payout target/release/payout run --workspace "$WORKSPACE" --data-dir "$DATA" --period 2026 \
        --format csv --threads "$THREADS" -q > "$OUT/payouts.csv"
    read -r PAY_WALL PAY_CPU PAY_RSS < <(stats payout)
    if [[ "${BENCH_STATEMENTS:-0}" == 1 ]]; then
        for layout in per-period per-rep; do
            measure "statements-$layout" target/release/payout run --workspace "$WORKSPACE" \
                --data-dir "$DATA" --period 2026 --format csv --threads "$THREADS" -q \
                --out "$OUT/$layout" --statements "$layout" > /dev/null
        done
        read -r PP_WALL PP_CPU PP_RSS < <(stats statements-per-period)
        read -r PR_WALL PR_CPU PR_RSS < <(stats statements-per-rep)
    fi

    PAYOUTS_CSV="$OUT/payouts.csv"
    if [[ ! -f "$PAYOUTS_CSV" ]]; then
        PAYOUTS_CSV=$(find "$OUT" -name payouts.csv -print | sort | head -n 1)
        [[ -n "$PAYOUTS_CSV" ]] || die "payout wrote no payouts.csv under $OUT"
        say "using $PAYOUTS_CSV"
    fi
    python3 benches/compare.py "$PEER_CSV" "$PAYOUTS_CSV" || STATUS=$?
fi

# --- report ------------------------------------------------------------------------------------------
echo
echo "### Batch ${REPS} reps × ${DEALS} deals, ${THREADS} threads ($(uname -m), $(nproc) CPUs)"
echo
echo "| tool | wall s | CPU s | peak RSS MiB |"
echo "|---|---:|---:|---:|"
echo "| DuckDB ${DUCKDB_VERSION} peer | ${PEER_WALL} | ${PEER_CPU} | ${PEER_RSS} |"
if [[ "$PEER_ONLY" != 1 ]]; then
    echo "| payout | ${PAY_WALL} | ${PAY_CPU} | ${PAY_RSS} |"
    if [[ "${BENCH_STATEMENTS:-0}" == 1 ]]; then
        echo "| payout --out, statements per period | ${PP_WALL} | ${PP_CPU} | ${PP_RSS} |"
        echo "| payout --out, statements per rep | ${PR_WALL} | ${PR_CPU} | ${PR_RSS} |"
    fi
    echo
    awk -v pw="$PAY_WALL" -v qw="$PEER_WALL" -v pr="$PAY_RSS" -v qr="$PEER_RSS" 'BEGIN {
        printf "payout/peer: wall %s, peak RSS %s\n",
            (qw > 0 ? sprintf("%.2fx", pw / qw) : "n/a"), (qr > 0 ? sprintf("%.2fx", pr / qr) : "n/a")
    }'
    if [[ "${BENCH_STATEMENTS:-0}" == 1 ]]; then
        awk -v pw="$PAY_WALL" -v pp="$PP_WALL" -v pr="$PR_WALL" 'BEGIN {
            printf "statements/batch: wall %.2fx per period, %.2fx per rep\n", pp / pw, pr / pw
        }'
    fi
    echo
    if [[ $STATUS -eq 0 ]]; then echo "numbers: match"; else echo "numbers: DIFFERENT (see above)"; fi
fi
exit "$STATUS"
