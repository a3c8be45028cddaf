#!/bin/sh
# bench/pg.sh - the city-scale benchmarks on SQLite and PostgreSQL side by side (issue #8).
#   bench/pg.sh [DB] [SECONDS] [ROUNDS]
# DB (default bench-1m.db, `make bench-worklist` builds it) is the SQLite database. The script
# starts a PostgreSQL server of its own (initdb in PG_DIR, default DB.pg/ beside DB, on the same
# disk: a city-scale database does not fit a small /tmp; a Unix socket, fsync on, the settings
# below), builds database `peerlink` there with `peerlink migrate --from DB` (timed: the
# PostgreSQL database's build time), then runs the same benchmarks on both, each measure's
# median of ROUNDS (SECONDS each where timed by wrk or bench_store):
#   store    - bench_store: durable contact writes (64 writers) and participant reads (2 threads)
#              through the store layer;
#   http     - bench/http.sh: GET /healthz, audited GET /api/v1/participants/{id}, durable
#              POST /api/v1/contacts (wrk -t2 -c64);
#   worklist - bench/worklist.sh: p50 and p99 of a random leader's 7-day worklist (wrk -t1 -c1);
#   report   - `peerlink report --study ID`: process start to report written (cold; a study
#              adopting the communities' arms is made first when the database has none);
#   import   - `peerlink import fhir` of an NDJSON file of IMPORT_OBS observations (default
#              100,000; bench_fhir_import --write makes it), observations/s.
# and prints one table, SQLite next to PostgreSQL. The benchmarks write to both databases
# (contacts, audit events, a bench account, imported patients): run it on a copy.
# PG_URL=postgresql://... uses that database instead (already migrated; no server started).
# KEEP_PG=1 leaves the server's folder for the next run (which then skips the migrate).
set -eu
cd "$(dirname "$0")/.."
DB=${1:-bench-1m.db}
SECONDS_EACH=${2:-5}
ROUNDS=${3:-3}
IMPORT_OBS=${IMPORT_OBS:-100000}
PL=build-release/src/cli/peerlink
[ -x "$PL" ] || { echo "bench/pg.sh: build the release first (make release)" >&2; exit 1; }
[ -f "$DB" ] || { echo "bench/pg.sh: $DB is missing (make bench-worklist builds it)" >&2; exit 1; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
out=$(mktemp -d "${TMPDIR:-/tmp}/pl-pgbench-XXXXXX")

PG_DIR=${PG_DIR:-$DB.pg}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as=""
started=""
stop() {
    if [ -n "$started" ]; then
        $as "$bindir/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        [ "${KEEP_PG:-0}" = 1 ] || rm -rf "$PG_DIR"
    fi
    rm -rf "$out"
}
trap stop EXIT
trap 'exit 130' INT TERM
migrate_s=""
if [ -z "${PG_URL:-}" ]; then
    [ -x "$bindir/initdb" ] || { echo "bench/pg.sh: PostgreSQL is not installed" >&2; exit 1; }
    user=$(id -un)
    mkdir -p "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        user=postgres
        chown "$user" "$PG_DIR"
        as="runuser -u $user --"
    fi
    fresh=""
    if [ ! -d "$PG_DIR/data" ]; then
        $as "$bindir/initdb" -D "$PG_DIR/data" -A trust -U "$user" -E UTF8 --no-locale \
            >"$out/initdb.log" 2>&1 || { cat "$out/initdb.log" >&2; exit 1; }
        fresh=1
    fi
    # a server for a bulk load and then OLTP: durable (fsync on), shared_buffers for the hot
    # indexes, checkpoints spaced so that the load is not one checkpoint after another
    $as "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o "-k $PG_DIR \
        -c listen_addresses='' -c fsync=on -c shared_buffers=2GB -c max_wal_size=8GB \
        -c checkpoint_timeout=30min -c max_connections=300" start >/dev/null
    started=1
    PG_URL="postgresql:///peerlink?host=$PG_DIR&user=$user"
    if [ -n "$fresh" ]; then
        psql "postgresql:///postgres?host=$PG_DIR&user=$user" -qc "CREATE DATABASE peerlink"
        echo "building the PostgreSQL database: peerlink migrate --from $DB ..." >&2
        t0=$(now)
        $PL migrate --from "$DB" --to "$PG_URL" >"$out/migrate.log"
        migrate_s=$(echo "$(now) - $t0" | bc)
        tail -1 "$out/migrate.log"
    fi
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the benchmarks, each on both ------------------------------------------------------
for b in sqlite pg; do
    [ $b = sqlite ] && loc=$DB || loc=$PG_URL
    echo "== $b" >&2
    build-release/bench/bench_store "$loc" 64 "$SECONDS_EACH" "$ROUNDS" >"$out/store.$b"
    bench/http.sh "$loc" "$SECONDS_EACH" "$ROUNDS" >"$out/http.$b"
    bench/worklist.sh "$loc" "$SECONDS_EACH" "$ROUNDS" >"$out/worklist.$b"
    study=$($PL study list --db "$loc" | awk 'NR > 1 && $3 != "none" {print $1; exit}')
    if [ -z "$study" ]; then # as bench/report.sh: a study adopting the communities' arms
        $PL study create --db "$loc" --program SH --name "City-scale expansion" \
            --arms-from-org-units >/dev/null
        study=$($PL study list --db "$loc" | awk 'NR > 1 && $3 != "none" {print $1; exit}')
    fi
    : >"$out/report.$b"
    if [ -n "$study" ]; then
        for _ in $(seq 1 "$ROUNDS"); do
            t0=$(now)
            if $PL report --db "$loc" --study "$study" --format json --out "$out/report.json" \
                >/dev/null 2>"$out/report.err.$b"; then
                echo "$(now) - $t0" | bc >>"$out/report.$b"
            fi
        done
    fi
    cat "$out/report.err.$b" >&2 2>/dev/null || true
    build-release/bench/bench_fhir_import --write "$out/import.ndjson" "$IMPORT_OBS" >/dev/null
    t0=$(now)
    if $PL import fhir --db "$loc" "$out/import.ndjson" >/dev/null 2>"$out/import.err.$b"; then
        echo "$IMPORT_OBS / ($(now) - $t0)" | bc >"$out/import.$b"
    else
        cat "$out/import.err.$b" >&2
        echo "failed" >"$out/import.$b"
    fi
done

# ---- one table ------------------------------------------------------------------------
col() { # col FILE-PREFIX ROW-PATTERN FIELD -> "sqlite | pg"
    a=$(grep -F "$2" "$out/$1.sqlite" | head -1 | awk -F'|' -v f="$3" '{gsub(/ /, "", $f); print $f}')
    p=$(grep -F "$2" "$out/$1.pg" | head -1 | awk -F'|' -v f="$3" '{gsub(/ /, "", $f); print $f}')
    echo "${a:-n/a} | ${p:-n/a}"
}
rep() { [ -s "$out/report.$1" ] && median <"$out/report.$1" || echo "n/a"; }
echo
echo "$(grep -m1 participants "$out/worklist.sqlite" || true)"
echo "| measure (medians of $ROUNDS; ${SECONDS_EACH} s each where timed) | SQLite | PostgreSQL |"
echo "|---|---|---|"
[ -n "$migrate_s" ] && echo "| build the PostgreSQL database: peerlink migrate (s) | | $migrate_s |"
echo "| durable contact writes/s, store layer, 64 writers | $(col store 'durable contact' 3) |"
echo "| participant reads/s, store layer, 2 threads | $(col store 'participant reads' 3) |"
echo "| GET /healthz req/s (wrk -t2 -c64) | $(col http 'GET /healthz' 3) |"
echo "| audited GET /api/v1/participants/{id} req/s | $(col http 'audited GET' 3) |"
echo "| durable POST /api/v1/contacts req/s | $(col http 'durable POST' 3) |"
echo "| worklist p50 ms (wrk -t1 -c1) | $(col worklist 'worklist?' 3) |"
echo "| worklist p99 ms | $(col worklist 'worklist?' 4) |"
echo "| audited participant read p99 ms (wrk -t1 -c1) | $(col worklist 'audited GET' 4) |"
echo "| report, cold: process start to report written (s) | $(rep sqlite) | $(rep pg) |"
echo "| FHIR NDJSON import, $IMPORT_OBS observations (obs/s) | $(cat "$out/import.sqlite") | $(cat "$out/import.pg") |"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
