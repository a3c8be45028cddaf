#!/bin/sh
# test_server.sh - `peerlink serve` on a real loopback port: /healthz reports
# the database, unknown paths and wrong methods answer problem+json, and
# SIGTERM / SIGINT stop it cleanly with the database intact.
. "$(dirname "$0")/tap.sh"
plan 12

DB="$TMP/demo.db"
"$PL" demo --db "$DB" --participants 300 --no-accounts --seed 7 >"$TMP/demo.out" 2>"$TMP/demo.err"
ok $? "a small demo database is generated" "$(cat "$TMP/demo.err")"

# start: serves on a free port, and prints the URL on its first line
start() {
    "$PL" serve --db "$DB" --listen 127.0.0.1:0 --threads 2 >"$TMP/serve.out" 2>"$TMP/serve.err" &
    pid=$!
    url=""
    for _ in $(seq 1 100); do
        url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$TMP/serve.out" 2>/dev/null | head -1)
        [ -n "$url" ] && break
        sleep 0.1
    done
}
# stop SIGNAL: sends it and waits; sets rc
stop() { kill -"$1" "$pid"; wait "$pid"; rc=$?; }

start
[ -n "$url" ]; ok $? "serve prints the URL it listens on" "$(cat "$TMP/serve.out" "$TMP/serve.err")"

body=$(curl -sS -D "$TMP/h" "${url}healthz")
printf '%s' "$body" | grep -q '"status":"ok"' && printf '%s' "$body" | grep -q '"backend":"sqlite"' &&
    printf '%s' "$body" | grep -qE '"schema_version":[1-9]' && grep -qi '^content-type: application/json' "$TMP/h"
ok $? "/healthz answers JSON with backend and schema version" "$body"
printf '%s' "$body" | grep -q '"participants":300' && printf '%s' "$body" | grep -q '"programs":1' &&
    printf '%s' "$body" | grep -qE '"measurements":[1-9][0-9]{3,}'
ok $? "/healthz reports the demo counts" "$body"

code=$(curl -s -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' "${url}no/such/thing")
[ "$code" = 404 ] && grep -qi '^content-type: application/problem+json' "$TMP/h" && grep -q '"status":404' "$TMP/b"
ok $? "an unknown path answers 404 problem+json" "$code $(cat "$TMP/b")"

code=$(curl -s -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' -X POST -d '{}' "${url}healthz")
[ "$code" = 405 ] && grep -qi '^allow: GET' "$TMP/h" && grep -q '"status":405' "$TMP/b"
ok $? "a wrong method answers 405 with Allow" "$code $(cat "$TMP/h")"

# keep-alive: two requests on one connection (libmicrohttpd must not close it)
n=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "${url}healthz" "${url}healthz" | awk '{s += $1} END {print s}')
[ "$n" = 1 ]; ok $? "consecutive requests reuse one connection" "connects=$n"

stop TERM
[ $rc -eq 0 ] && grep -q 'stopped cleanly' "$TMP/serve.err"; ok $? "SIGTERM stops the server cleanly (exit 0)" "rc=$rc" "$(cat "$TMP/serve.err")"
curl -s -o /dev/null --max-time 2 "${url}healthz"
[ $? -ne 0 ]; ok $? "after SIGTERM the port is closed"
[ ! -s "$DB-wal" ]; ok $? "the WAL is checkpointed into the database on shutdown"

start
stop INT
[ $rc -eq 0 ] && grep -q 'SIGINT received' "$TMP/serve.err"; ok $? "SIGINT stops the server cleanly" "rc=$rc" "$(cat "$TMP/serve.err")"

start
hostport=${url#http://}
"$PL" serve --db "$DB" --listen "${hostport%/}" >/dev/null 2>"$TMP/second.err"
rc2=$?
stop TERM
[ $rc2 -eq 1 ] && grep -q 'cannot listen' "$TMP/second.err"; ok $? "a second server on a busy port fails with one line" "rc=$rc2" "$(cat "$TMP/second.err")"
