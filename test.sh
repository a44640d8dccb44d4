#!/usr/bin/env bash
# Installs what the tests need and runs every test:
#   1. system packages (apt-get when run as root, otherwise it names them) and npm packages;
#   2. a Release build of the whole solution, with warnings as errors;
#   3. dotnet format --verify-no-changes;
#   4. every xunit test project (real DuckDB, real files and fsync, real HTTP over loopback, other products' SDKs in
#      Node and in headless Chromium, driven by playwright-core);
#   5. the two commands end to end: ./weir serve answers /healthz and stops on SIGTERM;
#   6. a smoke run of the benchmarks on small data, so they cannot rot (the full runs: see docs/performance.md).
# The last line reads "tests: N passed, N failed".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\n== %s\n' "$*"; }

# command -> Debian package, for what the tests call beyond the SDK and Node.
declare -A packages=([curl]=curl [chromium]=chromium)

step "Prerequisites"
for tool in dotnet node npm; do
  command -v "$tool" >/dev/null || { echo "test.sh: '$tool' is required (the .NET 10 SDK, Node.js 20+ and npm)" >&2; exit 1; }
done
missing=()
for tool in "${!packages[@]}"; do
  command -v "$tool" >/dev/null || missing+=("${packages[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing with apt-get: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing packages: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# Other products' SDKs, used unchanged by the compatibility tests.
if [ ! -f tests/sdk/node_modules/.package-lock.json ] || [ tests/sdk/package-lock.json -nt tests/sdk/node_modules/.package-lock.json ]; then
  (cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error)
fi
if grep -q '"resolved"' package-lock.json tests/sdk/package-lock.json; then
  echo "test.sh: package-lock.json records download addresses; regenerate it (the repository's .npmrc omits them)" >&2
  exit 1
fi

step "Build (Release)"
dotnet build Weir.slnx -c Release -nologo -clp:"ErrorsOnly;Summary"

step "Code style (dotnet format --verify-no-changes)"
dotnet format Weir.slnx --verify-no-changes --no-restore

step "Tests"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test Weir.slnx -c Release --no-build -nologo 2>&1 | tee "$log"
test_status=${PIPESTATUS[0]}
set -e
passed=$(awk -F'Passed: *' '/(Passed|Failed)! +- +Failed:/ { split($2, a, ","); s += a[1] } END { print s + 0 }' "$log")
failed=$(awk -F'Failed: *' '/(Passed|Failed)! +- +Failed:/ { split($2, a, ","); s += a[1] } END { print s + 0 }' "$log")

step "The two commands: ./weir serve answers /healthz"
smoke_failed=0
data="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
./weir serve --data "$data" --urls "http://127.0.0.1:$port" > "$data/serve.log" 2>&1 &
server=$!
healthy=0
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then healthy=1; break; fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1 # polling a condition with a deadline, not standing in for one
done
if [ "$healthy" = 1 ]; then
  kill -TERM "$server"
  if wait "$server"; then echo "serve: /healthz answered 200 and the server stopped cleanly on SIGTERM"; passed=$((passed + 1))
  else echo "serve: the server did not exit cleanly on SIGTERM"; cat "$data/serve.log"; smoke_failed=1; failed=$((failed + 1)); fi
else
  echo "serve: /healthz never answered"; cat "$data/serve.log"; kill "$server" 2>/dev/null || true; smoke_failed=1; failed=$((failed + 1))
fi
rm -rf "$data"

# Nothing changed since that build, so ./weir must start without building again.
if ./weir --version 2>&1 >/dev/null | grep -q "building"; then
  echo "weir: rebuilt although nothing changed"; failed=$((failed + 1)); smoke_failed=1
else
  echo "weir: a second run started without rebuilding"; passed=$((passed + 1))
fi

step "Benchmark smoke run (small data; ratios are not meaningful at this size)"
bench_status=0
dotnet artifacts/bin/Weir.Bench/release/Weir.Bench.dll duckdb --rows 200000 --iterations 1 --no-fail | tail -n 6 || bench_status=$?
if [ "$bench_status" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
lake_status=0
dotnet artifacts/bin/Weir.Bench/release/Weir.Bench.dll lake --events 20000 --compact-events 20000 --no-fail | grep -E '^(MET|MISS)' || lake_status=$?
dotnet artifacts/bin/Weir.Bench/release/Weir.Bench.dll freshness 2000 3 5000 | tail -n 2 || lake_status=$?
if [ "$lake_status" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); bench_status=$lake_status; fi
query_status=0
dotnet artifacts/bin/Weir.Bench/release/Weir.Bench.dll query --events 20000 --iterations 1 --no-fail | grep -E '^(MET|MISS)' || query_status=$?
if [ "$query_status" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); bench_status=$query_status; fi

echo
echo "tests: $passed passed, $failed failed"
[ "$test_status" = 0 ] && [ "$smoke_failed" = 0 ] && [ "$bench_status" = 0 ]
