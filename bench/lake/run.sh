#!/usr/bin/env bash
# Lake benchmark (issue 4): `weir-bench lake`, built in Release, in a temporary folder under /tmp that is removed
# afterwards (also when the run is interrupted). One process measures, each against a reference in the same run:
#   1. the loader: events/s from the durable log to the hot table, cold (a new process) and after a flush as in a
#      running server (goal >= 500 000/s on 2 cores, judged on the second), against reading the same log alone, with
#      reading, decoding and appending timed on one thread and the ceiling they give on every lane;
#   2. the flush of the hot table to Parquet, against DuckDB's own COPY of the same rows (goal: COPY time / flush
#      time >= 0.8);
#   3. bytes per event in the lake's files, and against the records' JSON (goal <= 25 B/event), per column;
#   4. compaction of one day flushed as 20 files into one, against DuckDB's COPY of the same files (no goal).
# The figures are only meaningful on an otherwise idle machine: the run prints the load average and, for every step,
# how many cores it kept busy.
#   bench/lake/run.sh [weir-bench lake flags: --events N (2 000 000) --compact-events N --compact-files N (20)
#                      --with-context --message-ids random|v7 --no-fail]
# The defaults take about 5 minutes on the 2-core VM. Compaction's own default day is 10 000 000 events; loading such
# a day through the log and the lake takes longer than that, so this script passes a smaller day unless told otherwise.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/weir-bench-lake.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if ! build="$(dotnet build -c Release "$root/bench/Weir.Bench" -nologo -v quiet -clp:ErrorsOnly 2>&1)"; then
  echo "$build" >&2
  exit 1
fi

# Later flags win, so the caller's override these.
TMPDIR="$work" dotnet "$root/artifacts/bin/Weir.Bench/release/Weir.Bench.dll" lake --compact-events 2000000 "$@"
