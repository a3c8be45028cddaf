#!/bin/sh
# bench/worklist.sh - the worklist latency of issue #4 against DESIGN.md §9 (p99 <= 5 ms).
#   bench/worklist.sh [DB] [SECONDS] [ROUNDS]
# Serves DB (a file or a postgresql:// URL; default bench-1m.db: `peerlink demo --participants 1000000 --no-accounts`, built
# by `make bench-worklist` when missing) with the release build and measures, with wrk on one
# connection (latency, not throughput), ROUNDS times each, the median p50 and p99 of:
#   healthz  - GET /healthz: the bare server, the comparison baseline;
#   read     - GET /api/v1/participants/{random id}: one audited record read;
#   worklist - GET /api/v1/worklist?peer_leader_id={random leader}&days=7: the leader's
#              alerts and due tasks, each listed participant read and audited.
set -eu
cd "$(dirname "$0")/.."
DB=${1:-bench-1m.db}
SECONDS_EACH=${2:-10}
ROUNDS=${3:-3}
PL=build-release/src/cli/peerlink
command -v wrk >/dev/null || { echo "bench/worklist.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
case "$DB" in
postgres*) ;; # a PostgreSQL URL (bench/pg.sh)
*) [ -f "$DB" ] || { echo "bench/worklist.sh: $DB is missing (make bench-worklist builds it)" >&2; exit 1; } ;;
esac

# the measure is of a warm server: the database file in the page cache, as a server that has
# run a while keeps its working set (a cold 6 GB file puts disk reads in every tail)
case "$DB" in postgres*) ;; *) cat "$DB" >/dev/null ;; esac
printf 'bench-password-1\n' | $PL user add --db "$DB" --username bench --role admin >/dev/null 2>&1 || true
$PL serve --db "$DB" --listen 127.0.0.1:0 >/tmp/pl-wl.out 2>/tmp/pl-wl.err &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
url=""
for _ in $(seq 1 100); do
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' /tmp/pl-wl.out 2>/dev/null | head -1) && [ -n "$url" ] && break
    sleep 0.1
done
token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password-1"}' "$url/api/v1/login" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
counts=$(curl -s "$url/healthz")
participants=$(printf '%s' "$counts" | sed -n 's/.*"participants":\([0-9]*\).*/\1/p')
leaders=$(printf '%s' "$counts" | sed -n 's/.*"peer_leaders":\([0-9]*\).*/\1/p')
# how big a day is: the items of 200 leaders' worklists
sizes=0
for i in $(seq 1 200); do
    n=$(curl -s -H "Authorization: Bearer $token" \
        "$url/api/v1/worklist?days=7&peer_leader_id=$(( (i * 7919) % leaders + 1 ))" |
        grep -o '"participant_id"' | wc -l)
    sizes=$((sizes + n))
done

lua=$(mktemp /tmp/pl-wl-XXXXXX.lua)
cat >"$lua" <<LUA
local mode = os.getenv("PL_MODE")
math.randomseed(os.time())
request = function()
  local h = { ["Authorization"] = "Bearer $token" }
  if mode == "read" then
    return wrk.format("GET", "/api/v1/participants/" .. math.random(1, $participants), h)
  elseif mode == "worklist" then
    return wrk.format("GET", "/api/v1/worklist?days=7&peer_leader_id=" .. math.random(1, $leaders), h)
  end
  return wrk.format("GET", "/healthz")
end
LUA

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# wrk --latency prints "50%  1.23ms" / "99%  812.00us": in milliseconds
pct() { awk -v p="$1%" '$1 == p { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v) }'; }
run() { # run MODE -> "p50 p99" medians over ROUNDS
    out=$(mktemp)
    for _ in $(seq 1 "$ROUNDS"); do
        PL_MODE=$1 wrk -t1 -c1 -d"${SECONDS_EACH}s" --latency -s "$lua" "$url" >"$out.r"
        printf '%s %s\n' "$(pct 50 <"$out.r")" "$(pct 99 <"$out.r")" >>"$out"
    done
    printf '%s %s' "$(cut -d' ' -f1 "$out" | median)" "$(cut -d' ' -f2 "$out" | median)"
    rm -f "$out" "$out.r"
}
h=$(run healthz); r=$(run read); w=$(run worklist)
rm -f "$lua"
echo "$participants participants, $leaders peer leaders; a 7-day worklist lists $((sizes / 200)) participants on average"
echo "| measure (median of $ROUNDS x ${SECONDS_EACH}s, wrk -t1 -c1 --latency) | p50 ms | p99 ms | target |"
echo "|---|---|---|---|"
echo "| GET /healthz (bare server baseline) | ${h% *} | ${h#* } | |"
echo "| audited GET /api/v1/participants/{id} | ${r% *} | ${r#* } | |"
echo "| GET /api/v1/worklist?peer_leader_id={random}&days=7 | ${w% *} | ${w#* } | p99 <= 5 |"
