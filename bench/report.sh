#!/bin/sh
# bench/report.sh - the evaluation report benchmark of DESIGN.md §9 (<= 2 s cold, <= 100 ms
# warm at 1,000,000 participants and 20,000,000 measurements), next to R's lme4 fitting the
# same mixed model on the exported CSV in the same session.
#   bench/report.sh [DB] [ROUNDS]
# DB (default bench-1m.db) is made if missing: `peerlink demo --participants 1000000
# --no-accounts` (about 30 minutes on the 2-core machine, 6 GB) and a study adopting the
# communities' arms. Measures, as medians of ROUNDS (default 3):
#   cold  - `peerlink report --study ID --out FILE`: process start to report written
#           (the database file in the OS page cache, as on a server that has been running);
#           with its --timing breakdown (load: participants, measurements, contacts on a
#           second thread; report computation; render and write);
#   warm  - GET /api/v1/studies/{id}/report on a running server, after a first request:
#           the cached report (the data unchanged) rendered and sent, measured by curl;
#   first - that first request on the running server (the report computed in the server);
#   R     - the research export written by `peerlink export research`, then in one Rscript
#           session: read.csv of wide.csv, and lme4::lmer(change ~ arm + baseline +
#           (1 | community)) with lmerTest's summary (the report's arm comparison).
set -eu
cd "$(dirname "$0")/.."
DB=${1:-bench-1m.db}
ROUNDS=${2:-3}
PL=build-release/src/cli/peerlink
[ -x "$PL" ] || { echo "bench/report.sh: build the release first (make release)" >&2; exit 1; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

if [ ! -f "$DB" ]; then
    echo "building $DB (1,000,000 participants; about 30 minutes)..." >&2
    $PL demo --db "$DB" --participants 1000000 --no-accounts >&2
fi
study=$($PL study list --db "$DB" | awk 'NR > 1 && $3 != "none" {print $1; exit}')
if [ -z "$study" ]; then
    $PL study create --db "$DB" --program SH --name "City-scale expansion" --arms-from-org-units >&2
    study=$($PL study list --db "$DB" | awk 'NR > 1 && $3 != "none" {print $1; exit}')
fi
counts=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM participant), (SELECT count(*) FROM measurement), (SELECT count(*) FROM contact)")
echo "database $DB: participants|measurements|contacts = $counts; study $study"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$DB" >/dev/null # into the page cache

out=$(mktemp -d /tmp/pl-report-bench-XXXXXX)
pid=""
trap 'if [ -n "$pid" ]; then kill $pid 2>/dev/null; wait $pid 2>/dev/null; fi; rm -rf "$out"' EXIT

# ---- cold -----------------------------------------------------------------------------
for r in $(seq 1 "$ROUNDS"); do
    t0=$(now)
    /usr/bin/time -f "cpu %U %S" -o "$out/cpu.$r" \
        $PL report --db "$DB" --study "$study" --format json --out "$out/report.json" --timing \
        >/dev/null 2>"$out/timing.$r"
    t1=$(now)
    echo "$t1 - $t0" | bc >>"$out/cold"
    awk '{print $2 + $3}' "$out/cpu.$r" >>"$out/cold_cpu"
    echo "cold round $r: $(tail -1 "$out/cold") s (CPU $(tail -1 "$out/cold_cpu") s); $(cat "$out/timing.$r")"
done
cold=$(median <"$out/cold")
cold_cpu=$(median <"$out/cold_cpu")

# ---- warm -----------------------------------------------------------------------------
program=$(sqlite3 "$DB" "SELECT program_id FROM study WHERE id = $study")
printf 'bench-password-1\n' | $PL user add --db "$DB" --username bench-evaluator --role evaluator \
    --scope "$program" >/dev/null 2>&1 || true
$PL serve --db "$DB" --listen 127.0.0.1:0 >"$out/serve.out" 2>"$out/serve.err" &
pid=$!
url=""
for _ in $(seq 1 100); do
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$out/serve.out" 2>/dev/null | head -1) && [ -n "$url" ] && break
    sleep 0.1
done
token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"username":"bench-evaluator","password":"bench-password-1"}' "$url/api/v1/login" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
get() { curl -s -o "$out/warm.json" -w '%{time_total}\n' -H "Authorization: Bearer $token" \
    "$url/api/v1/studies/$study/report?format=${1:-json}"; }
first=$(get)
for _ in $(seq 1 20); do get; done >"$out/warm"
warm=$(median <"$out/warm")
for _ in $(seq 1 10); do get html; done >"$out/warm_html"
warm_html=$(median <"$out/warm_html")
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
kill $pid
wait $pid 2>/dev/null || true
pid=""

# ---- R on the export -------------------------------------------------------------------
t0=$(now)
$PL export research --db "$DB" --study "$study" --dir "$out/export" >/dev/null
t1=$(now)
export_s=$(echo "$t1 - $t0" | bc)
r_line="R not installed"
if command -v Rscript >/dev/null 2>&1; then
    r_line=$(Rscript -e "suppressPackageStartupMessages({library(lme4); library(lmerTest)})
        t_read <- system.time(w <- read.csv('$out/export/wide.csv', stringsAsFactors = FALSE,
                                            colClasses = c(birth_year = 'character')))[['elapsed']]
        d <- data.frame(change = w\$hba1c_m12 - w\$hba1c_m0,
                        arm = factor(w\$arm, levels = c('control', 'intervention')),
                        baseline = w\$hba1c_m0, community = factor(w\$community))
        d <- d[!is.na(d\$change), ]
        t_fit <- system.time(f <- lmer(change ~ arm + baseline + (1 | community), data = d))[['elapsed']]
        t_sum <- system.time(co <- coef(summary(f)))[['elapsed']]
        cat(sprintf('read.csv %.2f s, lmer %.2f s, summary (Satterthwaite) %.2f s; n = %d, arm %.6f (SE %.6f)',
                    t_read, t_fit, t_sum, nrow(d), co[2, 1], co[2, 2]))")
fi
ours=$(jq -r '.outcomes[] | select(.outcome == "hba1c") | .arm_comparison |
    "n = \(.n), arm \(.coefficients[1].estimate) (SE \(.coefficients[1].se))"' "$out/report.json")

echo
echo "| measure (medians of $ROUNDS) | result | target |"
echo "|---|---|---|"
echo "| cold: process start to report written (JSON) | ${cold} s (CPU ${cold_cpu} s) | <= 2 s |"
echo "| first request on a running server (report computed) | ${first} s | |"
echo "| warm: repeated GET .../report?format=json (cached) | $(echo "$warm * 1000" | bc) ms | <= 100 ms |"
echo "| warm: repeated GET .../report?format=html (cached) | $(echo "$warm_html * 1000" | bc) ms | |"
echo "| server RSS after the report (KB) | $rss | |"
echo "| peerlink export research (5 files) | ${export_s} s | |"
echo "| R: $r_line | | |"
echo "| peerlink's arm comparison: $ours | | |"
