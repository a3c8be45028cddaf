# tap.sh - sourced by the shell tests: TAP output and scratch space.
# Each test script calls `plan N`, then `ok COND-EXIT-STATUS "description" [details]`.
n_test=0
plan() { echo "1..$1"; }
ok() { # ok STATUS DESCRIPTION [DETAILS...]
    st=$1; desc=$2; shift 2
    n_test=$((n_test + 1))
    if [ "$st" -eq 0 ]; then
        echo "ok $n_test - $desc"
    else
        echo "not ok $n_test - $desc"
        for d in "$@"; do printf '%s\n' "$d" | sed 's/^/# /'; done
    fi
}
PL=${PEERLINK_BIN:?PEERLINK_BIN must point at the peerlink binary}
TMP=$(mktemp -d /tmp/pl-test-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
