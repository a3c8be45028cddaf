#!/bin/sh
# test_cli.sh - the peerlink command's behaviour on good and bad arguments:
# exit codes (0 ok, 1 failure, 2 usage), one-line errors on stderr, help.
. "$(dirname "$0")/tap.sh"
plan 41

# run ARGS...: runs peerlink, keeping status, stdout and stderr
run() { "$PL" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null; rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err"); }
runin() { input=$1; shift; printf '%s\n' "$input" | "$PL" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err"); }
one_line() { [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s' "$err" | grep -q '^peerlink: '; }

run
[ $rc -eq 2 ] && printf '%s' "$err" | grep -q 'usage: peerlink'; ok $? "no arguments: usage on stderr, exit 2" "rc=$rc" "$err"
run --help
[ $rc -eq 0 ] && for c in init serve demo user import export; do printf '%s' "$out" | grep -q "  $c " || exit 1; done; ok $? "--help lists every command, exit 0" "$out"
run --version
[ $rc -eq 0 ] && printf '%s' "$out" | grep -qE '^peerlink [0-9]+\.[0-9]+\.[0-9]+$'; ok $? "--version prints the version" "$out"
run frobnicate
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q "unknown command 'frobnicate'"; ok $? "unknown command: one line, exit 2" "rc=$rc" "$err"
for c in init serve demo user; do
    run $c --help
    [ $rc -eq 0 ] && printf '%s' "$out" | grep -q "usage: peerlink $c"; ok $? "$c --help prints its usage" "rc=$rc" "$out$err"
done
run serve --bogus
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q "unknown option '--bogus'"; ok $? "unknown option: one line, exit 2" "rc=$rc" "$err"
run serve --threads abc
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q 'threads'; ok $? "bad --threads value: one line naming the option, exit 2" "$err"
run serve --listen nonsense --db "$TMP/none.db"
[ $rc -eq 2 ] && one_line; ok $? "bad --listen: exit 2" "rc=$rc" "$err"
run serve --db "$TMP/none.db"
[ $rc -eq 1 ] && one_line && printf '%s' "$err" | grep -q 'does not exist' && [ ! -e "$TMP/none.db" ]; ok $? "serve on a missing database: exit 1, file not created" "rc=$rc" "$err"

run init --db "$TMP/a.db"
[ $rc -eq 0 ] && [ -s "$TMP/a.db" ] && printf '%s' "$out" | grep -qE 'schema version [1-9][0-9]*$'; ok $? "init creates a database at the current schema" "rc=$rc" "$out$err"
run init --db "$TMP/a.db"
[ $rc -eq 0 ]; ok $? "init on an existing peerlink database is harmless" "rc=$rc" "$err"
printf 'name,hba1c\nli,7.1\n' >"$TMP/sheet.csv"
before=$(md5sum <"$TMP/sheet.csv")
run init --db "$TMP/sheet.csv"
[ $rc -eq 1 ] && one_line && printf '%s' "$err" | grep -q 'not a SQLite database' && [ "$(md5sum <"$TMP/sheet.csv")" = "$before" ]
ok $? "init on a non-database: exit 1, file untouched" "rc=$rc" "$err"
run init --db "$TMP/a.db" extra
[ $rc -eq 2 ] && one_line; ok $? "stray argument: exit 2" "$err"

run user add --db "$TMP/a.db" --username admin
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q -- '--role'; ok $? "user add without --role: exit 2" "$err"
run user add --db "$TMP/a.db" --username admin --role wizard
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q 'role must be'; ok $? "user add with an unknown role: exit 2" "$err"
run user add --db "$TMP/a.db" --username 'A B' --role admin
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q 'username'; ok $? "user add with a bad username: exit 2, names the field" "$err"
runin short user add --db "$TMP/a.db" --username admin --role admin
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q 'at least 10'; ok $? "user add with a short password: exit 2, states the rule" "$err"
runin 'a long enough secret' user add --db "$TMP/a.db" --username admin --role admin
[ $rc -eq 0 ] && printf '%s' "$out" | grep -q "created admin account 'admin'"; ok $? "user add creates an account" "rc=$rc" "$out$err"
runin 'a long enough secret' user add --db "$TMP/a.db" --username admin --role admin
[ $rc -eq 1 ] && one_line && printf '%s' "$err" | grep -q 'already taken'; ok $? "user add twice: exit 1, already taken" "rc=$rc" "$err"
runin 'a long enough secret' user add --db "$TMP/a.db" --username nurse --role clinician --scope 999
[ $rc -eq 1 ] && one_line && printf '%s' "$err" | grep -q 'no org unit has id 999'; ok $? "user add with an unknown scope: exit 1" "rc=$rc" "$err"

q() { sqlite3 "$TMP/a.db" "$1"; }
hash_before=$(q "SELECT password_hash FROM staff_account WHERE username = 'admin'")
runin 'another long secret' user passwd --db "$TMP/a.db" --username admin
[ $rc -eq 0 ] && [ "$(q "SELECT password_hash FROM staff_account WHERE username = 'admin'")" != "$hash_before" ]
ok $? "user passwd stores a new password hash" "rc=$rc" "$out$err"
runin 'short' user passwd --db "$TMP/a.db" --username admin
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q 'at least 10'; ok $? "user passwd refuses a short password: exit 2" "$err"
runin 'another long secret' user passwd --db "$TMP/a.db" --username nobody
[ $rc -eq 1 ] && one_line && printf '%s' "$err" | grep -q "no account is named 'nobody'"; ok $? "user passwd for an unknown name: exit 1" "rc=$rc" "$err"
run user disable --db "$TMP/a.db" --username admin
[ $rc -eq 0 ] && [ "$(q "SELECT disabled FROM staff_account WHERE username = 'admin'")" = 1 ]; ok $? "user disable disables the account" "rc=$rc" "$err"
run user enable --db "$TMP/a.db" --username admin
[ $rc -eq 0 ] && [ "$(q "SELECT disabled FROM staff_account WHERE username = 'admin'")" = 0 ]; ok $? "user enable enables it again" "rc=$rc" "$err"
run user disable --db "$TMP/a.db" --username admin --role admin
[ $rc -eq 2 ] && one_line; ok $? "user disable takes no --role: exit 2" "$err"
[ "$(q "SELECT count(*) FROM audit_event WHERE entity = 'staff_account' AND client_addr = 'cli'")" -ge 4 ]
ok $? "account changes from the shell are audited" "$(q "SELECT action, entity_id, client_addr FROM audit_event")"

run demo --db "$TMP/a.db"
[ $rc -eq 1 ] && one_line && printf '%s' "$err" | grep -q -- '--force'; ok $? "demo refuses to overwrite without --force" "rc=$rc" "$err"

# import hsds / export hsds: a program's community resource directory
run import hsds --db "$TMP/a.db" "$TMP/none.json"
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q -- '--program is required'; ok $? "import hsds without --program: exit 2" "rc=$rc" "$err"
run import csv --db "$TMP/a.db" --program 1 "$TMP/none.json"
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q "unknown format 'csv'"; ok $? "import of an unknown format: exit 2" "rc=$rc" "$err"
run demo --db "$TMP/d.db" --participants 3 --no-accounts
prog=$(sqlite3 "$TMP/d.db" "SELECT id FROM org_unit WHERE kind = 'program'")
unit=$(sqlite3 "$TMP/d.db" "SELECT id FROM org_unit WHERE kind = 'community' LIMIT 1")
cat >"$TMP/org.json" <<'JSON'
{"id": "org-1", "name": "Tianping Community Canteen", "description": "Lunches for older residents",
 "tax_status": "nonprofit",
 "services": [{"id": "svc-1", "name": "Low-salt lunches", "status": "active",
   "attributes": [{"id": "at-1", "taxonomy_term": {"id": "t-food", "code": "food", "name": "Food"}}]}]}
JSON
run import hsds --db "$TMP/d.db" --program "$unit" "$TMP/org.json"
[ $rc -eq 2 ] && one_line && printf '%s' "$err" | grep -q 'not a program'; ok $? "import into a unit that is not a program: exit 2" "rc=$rc" "$err"
run import hsds --db "$TMP/d.db" --program "$prog" "$TMP/org.json"
[ $rc -eq 0 ] && printf '%s' "$out" | grep -qE 'services +1 created, 0 updated' && printf '%s' "$out" | grep -q 'field not kept: organization.tax_status (1)'
ok $? "import hsds creates the records and names the fields not kept" "rc=$rc" "$out$err"
run import hsds --db "$TMP/d.db" --program "$prog" "$TMP/org.json"
[ $rc -eq 0 ] && printf '%s' "$out" | grep -qE 'services +0 created, 1 updated' && [ "$(sqlite3 "$TMP/d.db" "SELECT count(*) FROM resource_service")" = 1 ]
ok $? "importing the same file again updates, creates nothing" "rc=$rc" "$out$err"
printf '%s' '[{"id": "org-2", "name": "Broken", "description": "x", "services": [{"id": "svc-2", "status": "open"}]}]' >"$TMP/bad.json"
cp "$TMP/org.json" "$TMP/org2.json" && sed -i 's/org-1/org-3/; s/svc-1/svc-3/' "$TMP/org2.json"
run import hsds --db "$TMP/d.db" --program "$prog" "$TMP/org2.json" "$TMP/bad.json"
[ $rc -eq 1 ] && printf '%s' "$err" | grep -q '\[0\].services\[0\].name: is required' && printf '%s' "$err" | grep -q 'nothing was written' && [ "$(sqlite3 "$TMP/d.db" "SELECT count(*) FROM resource_organization")" = 1 ]
ok $? "a refused file: exit 1, errors named by path, nothing written from any file" "rc=$rc" "$err"
[ "$(sqlite3 "$TMP/d.db" "SELECT count(*) FROM audit_event WHERE entity = 'resource_directory' AND action = 'import' AND client_addr = 'cli'")" = 2 ]
ok $? "each import from the shell is audited once" "$(sqlite3 "$TMP/d.db" "SELECT action, entity, client_addr FROM audit_event")"
run export hsds --db "$TMP/d.db" --program "$prog" --output "$TMP/e1.json"
[ $rc -eq 0 ] && grep -q '"id": "svc-1"' "$TMP/e1.json" && ! grep -q 'tax_status' "$TMP/e1.json"
ok $? "export hsds writes the directory, only what is kept" "rc=$rc" "$err"
run demo --db "$TMP/e.db" --participants 3 --no-accounts
run import hsds --db "$TMP/e.db" --program "$(sqlite3 "$TMP/e.db" "SELECT id FROM org_unit WHERE kind = 'program'")" "$TMP/e1.json"
run export hsds --db "$TMP/e.db" --program "$(sqlite3 "$TMP/e.db" "SELECT id FROM org_unit WHERE kind = 'program'")"
[ $rc -eq 0 ] && printf '%s\n' "$out" | cmp -s - "$TMP/e1.json"
ok $? "export, import into a fresh database, export again: the same text" "rc=$rc" "$err"
run export hsds --db "$TMP/d.db" --program "$prog" --output "$TMP/no/such/dir/e.json"
[ $rc -eq 1 ] && one_line; ok $? "export to a path that cannot be written: exit 1" "rc=$rc" "$err"
