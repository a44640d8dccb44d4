#!/usr/bin/env bash
# Ingest benchmark (issue 3): wrk against Weir's durable POST /v1/track, and in the same run against two references:
# nginx's empty_gif with a buffered access log, and a no-op Kestrel endpoint. Everything runs on this machine, over
# loopback. Prints req/s for each and the ratios against the goals (>= 0.6x nginx, >= 0.85x no-op Kestrel).
#   bench/ingest/run.sh [seconds per run, default 15] [connections, default 256]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/ingest"
seconds="${1:-15}"
connections="${2:-256}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for tool in wrk:wrk nginx:nginx-light curl:curl; do
  command -v "${tool%%:*}" >/dev/null && continue
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool##*:}" >/dev/null
  else echo "run.sh: install ${tool##*:} (apt-get install ${tool##*:})" >&2; exit 1; fi
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "run.sh: $1 never answered" >&2; return 1; }
rps() { awk '/Requests\/sec/ { print $2 }'; }

dotnet build -c Release "$root/bench/Weir.Bench" -nologo -v quiet -clp:ErrorsOnly >/dev/null
(cd "$root" && ./weir --version >/dev/null)

# nginx empty_gif + buffered access_log
nginx_port=$(free_port)
mkdir -p "$work/nginx"
sed -e "s|@DIR@|$work/nginx|g" -e "s|@PORT@|$nginx_port|g" "$here/nginx.conf.template" > "$work/nginx/nginx.conf"
nginx -c "$work/nginx/nginx.conf" & pids+=($!)
wait_for "http://127.0.0.1:$nginx_port/p.gif"
nginx_rps=$(wrk -t2 -c"$connections" -d"${seconds}s" -s "$here/pixel.lua" "http://127.0.0.1:$nginx_port" | tee "$work/nginx.txt" | rps)
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# no-op Kestrel endpoint, same request as Weir gets
noop_port=$(free_port)
dotnet "$root/artifacts/bin/Weir.Bench/release/Weir.Bench.dll" noop-server --urls "http://127.0.0.1:$noop_port" & pids+=($!)
wait_for "http://127.0.0.1:$noop_port/healthz"
export WEIR_BENCH_AUTH="$(printf 'bench:' | base64)"
noop_rps=$(wrk -t2 -c"$connections" -d"${seconds}s" -s "$here/track.lua" "http://127.0.0.1:$noop_port" | tee "$work/noop.txt" | rps)
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# Weir with the durable acknowledgement
weir_port=$(free_port)
export WEIR_ADMIN_TOKEN="bench-admin-token-0123456789"
(cd "$root" && ./weir serve --data "$work/weir-data" --urls "http://127.0.0.1:$weir_port" --log-level Warning) & pids+=($!)
wait_for "http://127.0.0.1:$weir_port/healthz"
write_key=$(curl -fsS -H "Authorization: Bearer $WEIR_ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d '{"domain":"bench.example"}' "http://127.0.0.1:$weir_port/api/v1/sites" | python3 -c 'import json,sys; print(json.load(sys.stdin)["writeKey"])')
export WEIR_BENCH_AUTH="$(printf '%s:' "$write_key" | base64 -w0)"
weir_rps=$(wrk -t2 -c"$connections" -d"${seconds}s" -s "$here/track.lua" "http://127.0.0.1:$weir_port" | tee "$work/weir.txt" | rps)
non2xx=$(awk '/Non-2xx/ { print $4 }' "$work/weir.txt")

echo
cat "$work/weir.txt"
echo
python3 - "$nginx_rps" "$noop_rps" "$weir_rps" "${non2xx:-0}" <<'PY'
import sys
nginx, noop, weir, bad = (float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
def line(name, ratio, goal): print(f"{'MET ' if ratio >= goal else 'MISS'} {name}: ratio {ratio:.2f} (goal >= {goal:.2f})")
print(f"nginx empty_gif + buffered access_log: {nginx:,.0f} req/s")
print(f"no-op Kestrel endpoint:                {noop:,.0f} req/s")
print(f"Weir POST /v1/track, durable ack:      {weir:,.0f} req/s ({bad} non-2xx responses)")
line("Weir vs nginx", weir / nginx, 0.6)
line("Weir vs no-op Kestrel", weir / noop, 0.85)
PY
