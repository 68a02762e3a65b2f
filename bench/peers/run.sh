#!/usr/bin/env bash
# Builds Strata and its two peers (raw RocksDB, SQLite JSON1), runs every `strata bench`
# workload on each of them in one go on this machine, and writes bench/RESULTS.md.
#
#   bench/peers/run.sh                       defaults: 100000 records, 50000 ops, 1 thread
#   RECORDS=20000 OPS=10000 bench/peers/run.sh   smaller
# Set-up on a fresh Debian 12 machine: scripts/install-deps (or the packages in README.md)
# plus libsqlite3-dev and gnuplot-nox.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${STRATA_BENCH_BUILD:-build}
RECORDS=${RECORDS:-100000}
OPS=${OPS:-50000}
# The document workloads read ~records/1000 documents per operation: fewer operations.
DOC_OPS=${DOC_OPS:-$((OPS / 10))}
THREADS=${THREADS:-1}
WORKLOADS=${WORKLOADS:-"A B C D E F index aggregate lookup"}
OUT=$BUILD/peer-results
DATA=${TMPDIR:-/tmp}/strata-peers-$$

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"${STRATA_JOBS:-2}" --target strata_cli rocksdb_peer sqlite_peer >/dev/null
rm -rf "$OUT" && mkdir -p "$OUT" "$DATA"
trap 'rm -rf "$DATA"' EXIT

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
  echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "compiler: $(c++ --version | head -1)"
  echo "build: RelWithDebInfo (-O2 -g)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

for workload in $WORKLOADS; do
  ops=$OPS
  case $workload in index|aggregate|lookup) ops=$DOC_OPS ;; esac
  for store in strata rocksdb sqlite; do
    case $store in
      strata) program=("$BUILD/strata" bench) ;;
      rocksdb) program=("$BUILD/bench/peers/rocksdb_peer") ;;
      sqlite) program=("$BUILD/bench/peers/sqlite_peer") ;;
    esac
    args=(--db "$DATA/$store" --workload "$workload" --records "$RECORDS" --ops "$ops"
          --threads "$THREADS" --relaxed --json --quiet)
    echo "${program[*]#$BUILD/} ${args[*]}" | sed "s|$DATA|\$DATA|" >> "$OUT/commands.txt"
    echo "== $store $workload" >&2
    "${program[@]}" "${args[@]}" > "$OUT/$store-$workload.json"
    rm -rf "${DATA:?}/$store"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
/usr/bin/python3 bench/peers/results.py "$OUT" bench/peers/analysis.md > bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
