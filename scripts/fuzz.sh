#!/usr/bin/env bash
# An outside property-based fuzzer against the real binary: schemathesis
# (pinned, from PyPI, into a virtualenv under target/) reads the served
# GraphQL schema and generates requests for every query and mutation, once
# anonymously and once signed in as an admin, on a seeded SQLite database on
# loopback. Fails on any 5xx, any answer that is not JSON, any error whose
# extensions.code is INTERNAL or missing (scripts/fuzz_checks.py), and any
# panic or internal error in the server's log.
#
#   scripts/fuzz.sh                 # debug build, 30 examples per operation
#   scripts/fuzz.sh 200 --release   # more examples, release build
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${1:-30}
shift || true
PROFILE=debug
[ "${1:-}" = "--release" ] && PROFILE=release
SCHEMATHESIS_VERSION=4.32.5

log() { printf '==> %s\n' "$*"; }

VENV=target/fuzz-venv
if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ "$PROFILE" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
BIN=target/$PROFILE/muster

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=""
for port in $(seq 18080 18180); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then PORT=$port; break; fi
done
[ -n "$PORT" ] || { echo "no free port for the server" >&2; exit 1; }

export MUSTER_DATABASE_URL="sqlite://$WORK/muster.db?mode=rwc"
export MUSTER_BIND="127.0.0.1:$PORT"
export MUSTER_PUBLIC_URL="http://127.0.0.1:$PORT"
export MUSTER_METRICS_BIND=off
# The fuzzer is one client sending thousands of requests: the limits meant
# for people would answer most of them RATE_LIMITED and test nothing else.
export MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR=100000
export MUSTER_LOGIN_PER_ADDRESS_PER_HOUR=100000
export MUSTER_REGISTER_PER_ADDRESS_PER_HOUR=100000
export MUSTER_ANONYMOUS_REQUESTS_PER_HOUR=100000
export MUSTER_STATUS_LOOKUPS_PER_HOUR=100000
export RUST_LOG=info

log "seeding a demo network and an admin for the fuzzer"
"$BIN" seed-demo >/dev/null
ADMIN_EMAIL=fuzzer-admin@example.org
ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64)
printf '%s\n' "$ADMIN_PASSWORD" | "$BIN" create-user --email "$ADMIN_EMAIL" --name "Fuzzer admin" --role admin >/dev/null

"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

TOKEN=$(curl -fsS "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
    --data "{\"query\":\"mutation(\$e:String!,\$p:String!){login(email:\$e,password:\$p){token}}\",\"variables\":{\"e\":\"$ADMIN_EMAIL\",\"p\":\"$ADMIN_PASSWORD\"}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')

# What would end the fuzzer's own session (its token) or its admin role
# part-way through is left out of the signed-in run; the anonymous run
# covers their refusals.
OWN_ACCOUNT='deleteMyAccount|changePassword|signOutEverywhere|setUserRole|eraseUser'

fuzz() {
    local name=$1
    shift
    log "schemathesis ($name): $EXAMPLES examples per operation"
    PYTHONPATH=scripts SCHEMATHESIS_HOOKS=fuzz_checks "$VENV/bin/st" run "http://127.0.0.1:$PORT/graphql" \
        --checks answers_json_and_never_internal \
        --max-examples "$EXAMPLES" --seed 20261202 --workers 2 \
        --phases examples,coverage,fuzzing --generation-database none \
        --no-color --report junit --report-dir "$WORK/report-$name" "$@" |
        tee "target/fuzz-$name.out" | tail -n 30
    grep -h -A1 "Test cases:" "target/fuzz-$name.out" || true
}

fuzz anonymous
fuzz admin -H "Authorization: Bearer $TOKEN" --exclude-name-regex "$OWN_ACCOUNT"

if grep -nE "panicked|internal error while answering" "$WORK/server.log"; then
    echo "the server's log shows a panic or an internal error (above)" >&2
    exit 1
fi
log "fuzzing found nothing"
