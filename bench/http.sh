#!/bin/sh
# bench/http.sh - the HTTP benchmarks of DESIGN.md §9, with wrk from a second process.
#   bench/http.sh [DB] [SECONDS] [ROUNDS]
# Serves DB (a file or a postgresql:// URL; default bench-100k.db, built by `make bench`) with the release build and
# measures, ROUNDS times each, median requests/s of:
#   healthz  - GET /healthz: the bare server, the comparison baseline;
#   read     - GET /api/v1/participants/{random id} with a bearer token: authenticated,
#              scope-checked and audited (one audit event per read);
#   write    - POST /api/v1/contacts for random participants: validated, audited and
#              durable (synchronous=FULL, group commit), answered only after the commit.
# wrk and the server share the machine's 2 cores, so these are conservative.
set -eu
cd "$(dirname "$0")/.."
DB=${1:-bench-100k.db}
SECONDS_EACH=${2:-10}
ROUNDS=${3:-3}
PL=build-release/src/cli/peerlink
command -v wrk >/dev/null || { echo "bench/http.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
case "$DB" in
postgres*) ;; # a PostgreSQL URL (bench/pg.sh)
*) [ -f "$DB" ] || { echo "bench/http.sh: $DB is missing (make bench builds it)" >&2; exit 1; } ;;
esac

printf 'bench-password-1\n' | $PL user add --db "$DB" --username bench --role admin >/dev/null 2>&1 || true
$PL serve --db "$DB" --listen 127.0.0.1:0 ${PL_THREADS:+--threads $PL_THREADS} >/tmp/pl-bench.out 2>/tmp/pl-bench.err &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
url=""
for _ in $(seq 1 100); do
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' /tmp/pl-bench.out 2>/dev/null | head -1) && [ -n "$url" ] && break
    sleep 0.1
done
token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password-1"}' "$url/api/v1/login" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
counts=$(curl -s "$url/healthz")
participants=$(printf '%s' "$counts" | sed -n 's/.*"participants":\([0-9]*\).*/\1/p')
leaders=$(printf '%s' "$counts" | sed -n 's/.*"peer_leaders":\([0-9]*\).*/\1/p')
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

lua=$(mktemp /tmp/pl-bench-XXXXXX.lua)
cat >"$lua" <<LUA
local mode = os.getenv("PL_MODE")
math.randomseed(os.time())
request = function()
  local h = { ["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json" }
  if mode == "read" then
    return wrk.format("GET", "/api/v1/participants/" .. math.random(1, $participants), h)
  elseif mode == "write" then
    local body = string.format('{"participant_id":%d,"peer_leader_id":%d,"occurred_at":"$now",'
      .. '"minutes":15,"mode":"phone","key_functions":["ongoing"],"note":"bench"}',
      math.random(1, $participants), math.random(1, $leaders))
    return wrk.format("POST", "/api/v1/contacts", h, body)
  end
  return wrk.format("GET", "/healthz")
end
LUA

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
run() { # run MODE -> median req/s over ROUNDS
    for _ in $(seq 1 "$ROUNDS"); do
        PL_MODE=$1 wrk -t2 -c64 -d"${SECONDS_EACH}s" -s "$lua" "$url" |
            awk '/Requests\/sec/ {print $2}'
    done | median
}
h=$(run healthz); r=$(run read); w=$(run write)
rm -f "$lua"
echo "| measure (median of $ROUNDS x ${SECONDS_EACH}s, wrk -t2 -c64, $participants participants) | req/s | target |"
echo "|---|---|---|"
echo "| GET /healthz (bare server baseline) | $h | |"
echo "| authenticated, audited GET /api/v1/participants/{id} | $r | >= 20,000 |"
echo "| durable POST /api/v1/contacts (audited, synchronous=FULL) | $w | >= 10,000 |"
