#!/bin/sh
# test_pg_cli.sh - the peerlink command against PostgreSQL (run by scripts/pg-test, which
# gives PEERLINK_TEST_PG): `demo --db postgresql://...` builds the same demo as on SQLite
# (it is built in a temporary SQLite file and copied over, verified), leaves no temporary
# file behind, and refuses a database that already holds a program, changing nothing.
. "$(dirname "$0")/tap.sh"
plan 4
: "${PEERLINK_TEST_PG:?run under scripts/pg-test}"

run() { "$PL" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null; rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err"); }
# the counts line without the database's name and the seconds it took
counts() { printf '%s\n' "$1" | grep ' participants, ' | sed -e 's/^.*: \([0-9]* programs\)/\1/' -e 's/ ([0-9]* s)$//'; }
db="pl_cli_$$"
url=$(printf '%s' "$PEERLINK_TEST_PG" | sed "s,/postgres?,/$db?,")
psql "$PEERLINK_TEST_PG" -qc "CREATE DATABASE $db" >/dev/null

run demo --db "$TMP/demo.db" --seed 5 --participants 300
sqlite_counts=$(counts "$out")
mkdir "$TMP/t"
TMPDIR="$TMP/t" "$PL" demo --db "$url" --seed 5 --participants 300 >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
pg_counts=$(counts "$out")
[ $rc -eq 0 ] && [ -n "$pg_counts" ] && [ "$pg_counts" = "$sqlite_counts" ]
ok $? "demo on PostgreSQL: the same records as the same demo on SQLite" "rc=$rc" "pg: $pg_counts" "sqlite: $sqlite_counts" "$err"
[ -z "$(ls -A "$TMP/t")" ]; ok $? "no temporary file is left behind" "$(ls -A "$TMP/t")"
n=$(psql "$url" -Atc "SELECT count(*) FROM participant")
[ "$n" -eq "$(sqlite3 "$TMP/demo.db" 'SELECT count(*) FROM participant')" ]
ok $? "the participants are in the PostgreSQL database" "pg: $n"
run demo --db "$url" --seed 6 --participants 300
after=$(psql "$url" -Atc "SELECT count(*) FROM participant")
[ $rc -eq 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s' "$err" | grep -q 'already holds a program' &&
    [ "$after" = "$n" ]
ok $? "a database that holds a program is refused in one line and left as it was" "rc=$rc" "$err" "participants: $after"
psql "$PEERLINK_TEST_PG" -qc "DROP DATABASE $db" >/dev/null
