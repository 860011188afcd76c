#!/usr/bin/env bash
# HTTP load harness: the real muster binary on loopback, loaded with wrk
# (installed from Debian's packages if missing), beside a baseline server in
# the same run (examples/bench_baseline.rs: a hand-written handler sending
# the same SQL as muster for events(first: 50) through sqlx, and a trivial
# handler), so that every figure is read against what this machine allows.
#
# It seeds a fresh SQLite database in a temp dir, creates an account, signs
# in over GraphQL and makes a private feed, then loads each endpoint for a
# bounded time with 8 connections on 2 threads, and prints one table (req/s,
# p50, p99, non-2xx/3xx responses, ratio to the relevant baseline), the
# server's idle and peak memory, and, on a second database, how much memory
# serving one very large feed takes against the feed's size.
#
#   scripts/bench-http.sh                 # release build, 10 s per endpoint
#   scripts/bench-http.sh --duration 30   # longer runs
#   scripts/bench-http.sh --smoke         # debug build, small data, 1 s each:
#                                         # fails only when an endpoint answers
#                                         # wrongly, never on a figure
#   scripts/bench-http.sh --growth "2000 20000 200000"
#                                         # only the growth table: the feed,
#                                         # the events page, the queue and an
#                                         # event page at each size, beside
#                                         # the smallest (add --postgres URL
#                                         # to run it on PostgreSQL too)
#
# Options: --duration SECS, --events N (main network, default 2000),
# --big-events N (the memory step, default 100000; 0 skips it),
# --connections N (8), --threads N (2), --growth "N N ...", --postgres URL
# (a PostgreSQL server's admin URL; the growth step makes and drops a
# database of its own there), --muster PATH (a muster binary built before,
# to measure an earlier commit in the same run of the harness; the baseline
# server is then the bench_baseline example beside it). Needs root only to
# install wrk (and curl or jq if missing) with apt-get.
# Loopback only; servers and the temp dir are removed on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
DURATION=10
EVENTS=2000
BIG_EVENTS=100000
CONNECTIONS=8
THREADS=2
GROWTH=""
POSTGRES=""
GIVEN_MUSTER=""
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1; DURATION=1; EVENTS=200; BIG_EVENTS=1000 ;;
        --duration) DURATION=$2; shift ;;
        --events) EVENTS=$2; shift ;;
        --big-events) BIG_EVENTS=$2; shift ;;
        --connections) CONNECTIONS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        --growth) GROWTH=$2; shift ;;
        --postgres) POSTGRES=$2; shift ;;
        --muster) GIVEN_MUSTER=$(realpath "$2"); shift ;;
        -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench-http: %s\n' "$*" >&2; exit 1; }

MISSING=()
for tool in wrk curl jq; do command -v "$tool" >/dev/null || MISSING+=("$tool"); done
if [ ${#MISSING[@]} -gt 0 ]; then
    log "installing ${MISSING[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${MISSING[@]}" ca-certificates >/dev/null
fi
for tool in wrk curl jq gzip; do command -v "$tool" >/dev/null || die "$tool is needed"; done

if [ -n "$GIVEN_MUSTER" ]; then
    PROFILE="given binary $GIVEN_MUSTER"
    MUSTER=$GIVEN_MUSTER
    BASELINE=$(dirname "$GIVEN_MUSTER")/examples/bench_baseline
    [ -x "$BASELINE" ] || BASELINE=$(dirname "$GIVEN_MUSTER")/bench_baseline
else
    if [ "$SMOKE" = 1 ]; then
        PROFILE=debug
        log "building muster and the baseline server (debug)"
        cargo build --quiet --bin muster --example bench_baseline
    else
        PROFILE=release
        log "building muster and the baseline server (release)"
        cargo build --quiet --release --bin muster --example bench_baseline
    fi
    MUSTER=$PWD/target/$PROFILE/muster
    BASELINE=$PWD/target/$PROFILE/examples/bench_baseline
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "${PG_DB:-}" ]; then
        psql -q "$POSTGRES" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free loopback port"
}

# Seeds a fresh SQLite database (a file) or the database of a URL with
# about $2 events; prints its URL.
seed() {
    local file=$1 events=$2 url args=(seed-demo)
    case "$file" in
        postgres://*) url=$file; file=$WORK/postgres-seed ;;
        *) url="sqlite://$file?mode=rwc" ;;
    esac
    if "$MUSTER" seed-demo --help 2>/dev/null | grep -q -- '--scale'; then
        args+=(--scale "$events")
    else
        log "this muster has no seed-demo --scale yet: the plain demo network instead of $events events"
    fi
    MUSTER_DATABASE_URL=$url MUSTER_DATA_DIR=$WORK "$MUSTER" "${args[@]}" >"$file.log" 2>&1 \
        || { cat "$file.log" >&2; die "seed-demo failed"; }
    grep '^seeded' "$file.log" >&2 || true
    echo "$url"
}

# Starts a process in the background, logging to $WORK/$1.log; waits until
# $3 answers. Sets STARTED_PID.
start() {
    local name=$1 port=$2 ready=$3
    shift 3
    "$@" >"$WORK/$name.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    for _ in $(seq 300); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port$ready" 2>/dev/null; then
            return
        fi
        kill -0 "$STARTED_PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; die "$name exited at start"; }
        sleep 0.1
    done
    cat "$WORK/$name.log" >&2
    die "$name did not answer on port $port"
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# Memory of a process in kB: VmRSS (now) or VmHWM (peak).
memory_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f MB", kb / 1024 }'; }

graphql() {
    local port=$1 body=$2 token=${3:-}
    if [ -n "$token" ]; then
        curl -sS -X POST "http://127.0.0.1:$port/graphql" -H 'Content-Type: application/json' \
            -H "Authorization: Bearer $token" --data-binary "$body"
    else
        curl -sS -X POST "http://127.0.0.1:$port/graphql" -H 'Content-Type: application/json' --data-binary "$body"
    fi
}

# A header's value from a dump of response headers (curl -D).
header() { awk -v name="$(echo "$2" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1) == name { sub(/\r$/, "", $2); print $2 }' "$1"; }

# Fails unless a GraphQL answer has data and no errors.
check_graphql() {
    local what=$1 answer=$2 filter=$3
    echo "$answer" | jq -e 'has("errors") | not' >/dev/null || die "$what answered errors: $answer"
    echo "$answer" | jq -e "$filter" >/dev/null || die "$what answered unexpectedly ($filter): $answer"
}

# --- growth: the same pages as the network grows ------------------------------

# wrk_row URL [wrk options]: "req/s|p50|p99|errors" of a short run.
wrk_row() {
    local url=$1 out=$WORK/wrk-growth.txt
    shift
    wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$@" "$url" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $url"; }
    local bad socket
    bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    socket=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
    echo "$(awk '/^Requests\/sec:/ { print $2 }' "$out")|$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")|$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")|$(( ${bad:-0} + ${socket:-0} ))"
}

# counter PORT NAME: the sum of a counter's samples on a metrics listener.
counter() {
    curl -sS "http://127.0.0.1:$1/metrics" | awk -v name="$2" '
        $1 == name || index($1, name "{") == 1 { sum += $NF } END { printf "%.0f", sum }'
}

# settle PORT: waits (up to 300 s) until the server's own work is done: its
# first purge (five seconds after start) and the mail worker's first scan,
# which on a seeded network writes thousands of reminders (as .eml files
# without SMTP) at over a thousand statements a second. Done when fewer
# than 20 statements are sent in a second, at least six seconds in.
settle() {
    local before after
    for second in $(seq 300); do
        before=$(counter "$1" muster_db_statements_total)
        sleep 1
        after=$(counter "$1" muster_db_statements_total)
        if [ "$second" -ge 6 ] && [ $((after - before)) -lt 20 ]; then
            return
        fi
    done
    log "the server was still busy on its own after 300 s"
}

# growth_on BACKEND: for each size, a fresh database, a coordinator's
# session, and the four reads; rows
# "backend|size|what|bytes|req/s|p50|p99|errors|statements per request".
# Statements per request are the server's statement count over the run,
# less what it sends at rest in as long, divided by the requests it
# answered; the runs start once its own start-up work is done (settle).
growth_on() {
    local backend=$1 size url port mport pid jar csrf session event bytes row what path
    local statements requests per_request idle
    for size in $GROWTH; do
        if [ "$backend" = postgres ]; then
            PG_DB="muster_growth_$$"
            psql -q "$POSTGRES" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
            psql -q "$POSTGRES" -c "CREATE DATABASE $PG_DB" >/dev/null
            url=$(seed "${POSTGRES%/*}/$PG_DB" "$size")
        else
            rm -f "$WORK/growth.db"*
            url=$(seed "$WORK/growth.db" "$size")
        fi
        log "growth: $size events on $backend"
        printf '%s\n' "$PASSWORD" | MUSTER_DATABASE_URL=$url MUSTER_DATA_DIR=$WORK \
            "$MUSTER" create-user --email growth@example.org --name "Growth Desk" --role coordinator >/dev/null 2>&1 \
            || die "create-user failed"
        # The seeded network's years of ended events and requests would be
        # purged over those years; purged first, so the runs measure the
        # reads and not the server's first purge working through them (in
        # batches, five seconds after start).
        MUSTER_DATABASE_URL=$url MUSTER_DATA_DIR=$WORK "$MUSTER" purge >/dev/null 2>&1 || die "purge failed"
        port=$(free_port)
        mport=$(free_port)
        # A command substitution's subshell draws from the same $RANDOM
        # sequence as the one before it unless the parent moves it on.
        while [ "$mport" = "$port" ]; do
            : "$RANDOM"
            mport=$(free_port)
        done
        start "muster-growth-$size" "$port" /healthz env \
            MUSTER_DATABASE_URL="$url" MUSTER_DATA_DIR="$WORK" MUSTER_BIND="127.0.0.1:$port" \
            MUSTER_METRICS_BIND="127.0.0.1:$mport" \
            MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR=100 "$MUSTER" serve
        pid=$STARTED_PID
        # Before signing in: on SQLite the mail worker's first scan of a
        # seeded network holds the write lock for seconds, and a sign-in
        # behind it can wait out the busy timeout.
        settle "$mport"
        jar=$WORK/growth-cookies
        rm -f "$jar"
        curl -sS -c "$jar" -o "$WORK/signin.html" "http://127.0.0.1:$port/signin"
        csrf=$(grep -o 'name="csrf" value="[^"]*"' "$WORK/signin.html" | head -n 1 | sed -E 's/.*value="([^"]*)"/\1/')
        curl -sS -b "$jar" -c "$jar" -o /dev/null "http://127.0.0.1:$port/signin" \
            --data-urlencode "csrf=$csrf" --data-urlencode "email=growth@example.org" \
            --data-urlencode "password=$PASSWORD" --data-urlencode "next=/desk"
        session=$(awk '$6 == "muster_session" { print $7 }' "$jar")
        [ -n "$session" ] || die "growth: signing in set no session cookie"
        event=$(graphql "$port" '{"query":"{ events(first: 1) { edges { node { id } } } }"}' | jq -r '.data.events.edges[0].node.id')
        for what in "feed /calendar.ics" "events page /" "queue /desk/requests" "event page /events/$event"; do
            path=${what##* }
            bytes=$(curl -sS -o /dev/null -w '%{size_download}' -H "Cookie: muster_session=$session" "http://127.0.0.1:$port$path")
            # The server's own statements in a second at rest, taken off
            # the run's count in proportion (a few a second: the mail
            # worker's poll).
            idle=$(counter "$mport" muster_db_statements_total)
            sleep 1
            statements=$(counter "$mport" muster_db_statements_total)
            idle=$((statements - idle))
            requests=$(counter "$mport" muster_http_requests_total)
            row=$(wrk_row "http://127.0.0.1:$port$path" -H "Cookie: muster_session=$session")
            per_request=$(awk -v s="$(( $(counter "$mport" muster_db_statements_total) - statements ))" \
                -v r="$(( $(counter "$mport" muster_http_requests_total) - requests ))" \
                -v idle="$idle" -v d="$DURATION" \
                'BEGIN { s -= idle * d; if (s < 0) s = 0; if (r > 0) printf "%.2f", s / r; else print "-" }')
            GROWTH_ROWS+=("$backend|$size|${what% *}|$bytes|$row|$per_request")
        done
        stop "$pid"
        if [ "$backend" = postgres ]; then
            psql -q "$POSTGRES" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
            PG_DB=""
        fi
    done
}

if [ -n "$GROWTH" ]; then
    PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    to_ms() {
        awk -v v="$1" 'BEGIN {
            n = v + 0
            if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
            printf "%.2f", n
        }'
    }
    GROWTH_ROWS=()
    growth_on sqlite
    [ -z "$POSTGRES" ] || growth_on postgres
    echo
    echo "growth, muster $(git describe --always --dirty 2>/dev/null || echo '?') ($PROFILE), load average" \
        "$(cut -d' ' -f1-3 /proc/loadavg), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
    printf '%-9s %8s %-12s %11s %9s %9s %9s %6s %9s  %s\n' database events read bytes req/s "p50 ms" "p99 ms" errors \
        "stmts/req" "time per byte against the smallest"
    declare -A FIRST
    for row in "${GROWTH_ROWS[@]}"; do
        IFS='|' read -r backend size what bytes rps p50 p99 bad per_request <<<"$row"
        # Time per byte: (1 / req/s) / bytes, against the smallest size's.
        per_byte=$(awk -v r="$rps" -v b="$bytes" 'BEGIN { if (r > 0 && b > 0) printf "%.6g", 1 / (r * b); else print 0 }')
        key="$backend $what"
        [ -n "${FIRST[$key]:-}" ] || FIRST[$key]=$per_byte
        ratio=$(awk -v a="$per_byte" -v b="${FIRST[$key]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        printf '%-9s %8s %-12s %11s %9.0f %9s %9s %6s %9s  %s ×\n' "$backend" "$size" "$what" "$bytes" "$rps" "$p50" "$p99" "$bad" \
            "$per_request" "$ratio"
        [ "$bad" = 0 ] || FAILED_GROWTH=1
    done
    [ -z "${FAILED_GROWTH:-}" ] || die "something answered wrongly during the growth runs"
    exit 0
fi

# --- the main network ---------------------------------------------------------

log "seeding $EVENTS events into a fresh SQLite database"
DB_URL=$(seed "$WORK/muster.db" "$EVENTS")
PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PASSWORD" | MUSTER_DATABASE_URL=$DB_URL MUSTER_DATA_DIR=$WORK \
    "$MUSTER" create-user --email bench@example.org --name "Bench Runner" >"$WORK/create-user.log" 2>&1 \
    || { cat "$WORK/create-user.log" >&2; die "create-user failed"; }

printf '%s\n' "$PASSWORD" | MUSTER_DATABASE_URL=$DB_URL MUSTER_DATA_DIR=$WORK \
    "$MUSTER" create-user --email desk@example.org --name "Bench Coordinator" --role coordinator \
    >>"$WORK/create-user.log" 2>&1 || { cat "$WORK/create-user.log" >&2; die "create-user (coordinator) failed"; }

PORT=$(free_port)
log "starting muster on 127.0.0.1:$PORT"
# Private feeds are limited per token per hour; one token's 304s pass
# 100,000 in seconds now, so the limit is set far above what the runs send.
start muster "$PORT" /healthz env \
    MUSTER_DATABASE_URL="$DB_URL" MUSTER_DATA_DIR="$WORK" MUSTER_BIND="127.0.0.1:$PORT" \
    MUSTER_FEED_FETCHES_PER_HOUR=100000000 MUSTER_FEED_PAST_DAYS=3650 MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR=100 \
    "$MUSTER" serve
MUSTER_PID=$STARTED_PID
IDLE_RSS=$(memory_kb "$MUSTER_PID" VmRSS)

# The public feed's bytes, for the baseline to serve as a static body.
curl -sS -o "$WORK/static-feed.ics" "http://127.0.0.1:$PORT/calendar.ics"

BASE_PORT=$(free_port)
log "starting the baseline server on 127.0.0.1:$BASE_PORT"
start baseline "$BASE_PORT" /trivial env \
    MUSTER_DATABASE_URL="$DB_URL" MUSTER_BIND="127.0.0.1:$BASE_PORT" \
    MUSTER_BENCH_STATIC_BODY="$WORK/static-feed.ics" "$BASELINE"
BASE_PID=$STARTED_PID

URL="http://127.0.0.1:$PORT"
BASE_URL="http://127.0.0.1:$BASE_PORT"

log "signing in and making a private feed"
LOGIN=$(jq -cn --arg p "$PASSWORD" '{query: "mutation($p: String!) { login(email: \"bench@example.org\", password: $p) { token } }", variables: {p: $p}}')
ANSWER=$(graphql "$PORT" "$LOGIN")
check_graphql login "$ANSWER" '.data.login.token'
TOKEN=$(echo "$ANSWER" | jq -r .data.login.token)
ANSWER=$(graphql "$PORT" '{"query":"mutation { createFeedToken(label: \"bench\") { url } }"}' "$TOKEN")
check_graphql createFeedToken "$ANSWER" '.data.createFeedToken.url'
FEED_PATH=$(echo "$ANSWER" | jq -r .data.createFeedToken.url | sed -E 's#^[a-z]+://[^/]+##')

# A public upcoming event for its page, with the bench account going.
ANSWER=$(graphql "$PORT" '{"query":"{ events(first: 1) { edges { node { id } } } }"}')
check_graphql events "$ANSWER" '.data.events.edges[0].node.id'
EVENT_ID=$(echo "$ANSWER" | jq -r '.data.events.edges[0].node.id')
ANSWER=$(graphql "$PORT" "{\"query\":\"mutation { rsvp(eventId: \\\"$EVENT_ID\\\") { status } }\"}" "$TOKEN")
check_graphql rsvp "$ANSWER" '.data.rsvp.status'

# A web session, signed in through the sign-in page as a browser is: its
# form's anti-forgery token, then the POST; prints the session's cookie
# header, for the signed-in pages' runs.
web_session() {
    local jar=$WORK/cookies-$1 csrf status session
    curl -sS -c "$jar" -o "$WORK/signin.html" "$URL/signin"
    csrf=$(grep -o 'name="csrf" value="[^"]*"' "$WORK/signin.html" | head -n 1 | sed -E 's/.*value="([^"]*)"/\1/')
    [ -n "$csrf" ] || die "/signin has no anti-forgery token"
    status=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{http_code}' "$URL/signin" \
        --data-urlencode "csrf=$csrf" --data-urlencode "email=$1" \
        --data-urlencode "password=$PASSWORD" --data-urlencode "next=/me")
    [ "$status" = 303 ] || die "signing in on /signin as $1 answered $status, not 303"
    session=$(awk '$6 == "muster_session" { print $7 }' "$jar")
    [ -n "$session" ] || die "signing in as $1 set no session cookie"
    echo "Cookie: muster_session=$session"
}
SESSION_COOKIE=$(web_session bench@example.org)
DESK_COOKIE=$(web_session desk@example.org)

# The coordinator's queue over GraphQL, with what the queue page shows,
# and a request waiting for a trainer for its page (with the seeded
# network's trainers as candidates).
LOGIN=$(jq -cn --arg p "$PASSWORD" '{query: "mutation($p: String!) { login(email: \"desk@example.org\", password: $p) { token } }", variables: {p: $p}}')
ANSWER=$(graphql "$PORT" "$LOGIN")
check_graphql 'login (coordinator)' "$ANSWER" '.data.login.token'
DESK_TOKEN=$(echo "$ANSWER" | jq -r .data.login.token)
QUEUE_QUERY='query Queue { requests(first: 50) { totalCount
  edges { node { id reference state kind organisationName submittedAt topic { name } group { name region }
    preferredWindows { startsAt endsAt } currentAssignment { status trainer { displayName } } } }
  pageInfo { hasNextPage endCursor } } }'
QUEUE_BODY=$(jq -cn --arg q "$QUEUE_QUERY" '{query: $q}')
ANSWER=$(graphql "$PORT" "$QUEUE_BODY" "$DESK_TOKEN")
check_graphql 'requests(first: 50)' "$ANSWER" '.data.requests.edges | length > 0'
QUEUE_ROWS=$(echo "$ANSWER" | jq '.data.requests.edges | length')
ANSWER=$(graphql "$PORT" '{"query":"{ requests(first: 1, filter: { states: [SUBMITTED] }) { edges { node { id } } } }"}' "$DESK_TOKEN")
check_graphql 'a submitted request' "$ANSWER" '.data.requests.edges[0].node.id'
REQUEST_ID=$(echo "$ANSWER" | jq -r '.data.requests.edges[0].node.id')
ANSWER=$(graphql "$PORT" '{"query":"{ trainers { monthlyCap } }"}' "$DESK_TOKEN")
TRAINERS=$(echo "$ANSWER" | jq -r '.data.trainers | length')

ANSWER=$(graphql "$PORT" '{"query":"{ groups(first: 1) { edges { node { slug } } } }"}')
check_graphql groups "$ANSWER" '.data.groups.edges[0].node.slug'
SLUG=$(echo "$ANSWER" | jq -r '.data.groups.edges[0].node.slug')

# The operations, as clients send them (the events one is the in-process
# bench's, which the baseline answers by hand).
EVENTS_QUERY=$("$BASELINE" --events-query)
EVENTS_BODY=$(jq -cn --arg q "$EVENTS_QUERY" '{query: $q, variables: {first: 50}}')
GROUP_QUERY='query Group($slug: String!) {
  group(slug: $slug) { name slug region description contactEmail memberCount }
  events(first: 10, filter: { groups: [$slug] }) {
    edges { node { id title startsAt endsAt venue onlineUrl kind topic { name } goingCount placesLeft } }
  }
}'
GROUP_BODY=$(jq -cn --arg q "$GROUP_QUERY" --arg s "$SLUG" '{query: $q, variables: {slug: $s}}')
# lua_post NAME BODY [TOKEN]: a wrk script POSTing BODY, signed in with
# TOKEN when given.
lua_post() {
    cat >"$WORK/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[$2]==]
LUA
    if [ -n "${3:-}" ]; then
        echo "wrk.headers[\"Authorization\"] = \"Bearer $3\"" >>"$WORK/$1.lua"
    fi
}
lua_post events "$EVENTS_BODY"
lua_post group "$GROUP_BODY"
lua_post queue "$QUEUE_BODY" "$DESK_TOKEN"

# --- check every endpoint answers rightly before loading it -------------------

log "checking the answers"
H=$WORK/headers
curl -sS -D "$H" -o "$WORK/feed.ics" "$URL/calendar.ics"
grep -q '^HTTP/1.1 200' "$H" || die "/calendar.ics: $(head -n 1 "$H")"
head -c 15 "$WORK/feed.ics" | grep -q 'BEGIN:VCALENDAR' || die "/calendar.ics is not a calendar"
FEED_EVENTS=$(grep -c '^BEGIN:VEVENT' "$WORK/feed.ics" || true)
FEED_BYTES=$(stat -c %s "$WORK/feed.ics")
ETAG=$(header "$H" etag)
[ -n "$ETAG" ] || die "/calendar.ics sent no ETag"

curl -sS -D "$H" -o "$WORK/feed.gz" -H 'Accept-Encoding: gzip' "$URL/calendar.ics"
grep -q '^HTTP/1.1 200' "$H" || die "/calendar.ics (gzip): $(head -n 1 "$H")"
GZIP_BYTES=$(stat -c %s "$WORK/feed.gz")
if [ "$(header "$H" content-encoding)" = gzip ]; then
    # Whole, not piped into head: pipefail would count gzip's SIGPIPE.
    gzip -dc "$WORK/feed.gz" >"$WORK/feed.unzipped" || die "/calendar.ics (gzip) is not valid gzip"
    cmp -s "$WORK/feed.unzipped" "$WORK/feed.ics" || die "/calendar.ics (gzip) does not unzip to the same calendar"
    GZIP_NOTE="gzip"
else
    GZIP_NOTE="no gzip sent"
fi
# Each variant has its own ETag, which must give its own 304.
GZIP_ETAG=$(header "$H" etag)
[ -n "$GZIP_ETAG" ] || die "/calendar.ics (gzip) sent no ETag"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: $GZIP_ETAG" "$URL/calendar.ics")
[ "$STATUS" = 304 ] || die "/calendar.ics (gzip) with If-None-Match answered $STATUS, not 304"

# The ETag of the variant asked for (it may differ between encodings).
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$URL/calendar.ics")
[ "$STATUS" = 304 ] || die "/calendar.ics with If-None-Match answered $STATUS, not 304"

curl -sS -D "$H" -o "$WORK/private.ics" "$URL$FEED_PATH"
grep -q '^HTTP/1.1 200' "$H" || die "private feed: $(head -n 1 "$H")"
head -c 15 "$WORK/private.ics" | grep -q 'BEGIN:VCALENDAR' || die "the private feed is not a calendar"
PRIVATE_ETAG=$(header "$H" etag)
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $PRIVATE_ETAG" "$URL$FEED_PATH")
[ "$STATUS" = 304 ] || die "the private feed with If-None-Match answered $STATUS, not 304"
cmp -s "$WORK/static-feed.ics" <(curl -sS "$BASE_URL/static-body") || die "the baseline's static body is not the feed"

# The pages: each answers 200 with HTML, the signed-in ones for the
# session (the event page shows the bench account's place).
for page in "/" "/events/$EVENT_ID"; do
    curl -sS -D "$H" -o "$WORK/page.html" "$URL$page"
    grep -q '^HTTP/1.1 200' "$H" || die "$page: $(head -n 1 "$H")"
    grep -q '<main' "$WORK/page.html" || die "$page is not a page"
done
curl -sS -D "$H" -o "$WORK/page.html" -H "$SESSION_COOKIE" "$URL/events/$EVENT_ID"
grep -q '^HTTP/1.1 200' "$H" || die "the event page, signed in: $(head -n 1 "$H")"
grep -q 'You are going' "$WORK/page.html" || die "the event page, signed in, does not show the place taken"
curl -sS -D "$H" -o "$WORK/page.html" -H "$SESSION_COOKIE" "$URL/me"
grep -q '^HTTP/1.1 200' "$H" || die "/me, signed in: $(head -n 1 "$H")"
curl -sS -D "$H" -o "$WORK/page.html" -H "$DESK_COOKIE" "$URL/desk/requests"
grep -q '^HTTP/1.1 200' "$H" || die "/desk/requests: $(head -n 1 "$H")"
grep -q 'table class="queue"' "$WORK/page.html" || die "/desk/requests shows no queue"
curl -sS -D "$H" -o "$WORK/page.html" -H "$DESK_COOKIE" "$URL/desk/requests/$REQUEST_ID"
grep -q '^HTTP/1.1 200' "$H" || die "/desk/requests/{id}: $(head -n 1 "$H")"
grep -q 'class="choice suggestion"' "$WORK/page.html" || die "the request's page suggests no trainer"

ANSWER=$(graphql "$PORT" "$EVENTS_BODY")
check_graphql 'events(first: 50)' "$ANSWER" '.data.events.edges | length == ([50, '"$(echo "$ANSWER" | jq .data.events.totalCount)"'] | min)'
OURS=$(echo "$ANSWER" | jq -S .)
THEIRS=$(curl -sS -X POST "$BASE_URL/graphql" -H 'Content-Type: application/json' --data-binary "$EVENTS_BODY" | jq -S .)
[ "$OURS" = "$THEIRS" ] || log "warning: the baseline's answer differs from muster's (an event may have ended between the two)"
ANSWER=$(graphql "$PORT" "$GROUP_BODY")
check_graphql 'group(slug)' "$ANSWER" '.data.group.slug and (.data.events.edges | type == "array")'
[ "$(curl -sS "$BASE_URL/trivial")" = ok ] || die "the baseline's /trivial answered wrongly"

# --- load ---------------------------------------------------------------------

ROWS=()
FAILED=0

# Latency as wrk prints it (850.00us, 1.23ms, 1.02s, 2.00m) in ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n
    }'
}

# run NAME SERVER URL [wrk options...]: loads one endpoint, records a row
# "name|server|req/s|p50|p99|errors".
run() {
    local name=$1 server=$2 url=$3
    shift 3
    local out="$WORK/wrk-$(echo "$name-$server" | tr -c 'a-zA-Z0-9' '_').txt"
    log "loading $name ($server) for ${DURATION}s"
    wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$@" "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        die "wrk failed on $name"
    }
    local rps p50 p99 bad socket requests
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    socket=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
    requests=$(awk '/requests in/ { print $1 }' "$out")
    bad=$(( ${bad:-0} + ${socket:-0} ))
    if [ "$bad" -gt 0 ] || [ "${requests:-0}" -eq 0 ]; then
        FAILED=1
        cat "$out" >&2
        log "$name ($server): $bad bad responses or socket errors, ${requests:-0} requests"
    fi
    ROWS+=("$name|$server|$rps|$p50|$p99|$bad")
}

run "trivial handler" baseline "$BASE_URL/trivial"
run "static body, the feed's bytes" baseline "$BASE_URL/static-body"
run "/healthz" muster "$URL/healthz"
run "/calendar.ics ($FEED_EVENTS events)" muster "$URL/calendar.ics"
run "/calendar.ics, Accept-Encoding: gzip ($GZIP_NOTE)" muster "$URL/calendar.ics" -H 'Accept-Encoding: gzip'
run "/calendar.ics, If-None-Match (304)" muster "$URL/calendar.ics" -H "If-None-Match: $ETAG"
run "private feed" muster "$URL$FEED_PATH"
run "private feed, Accept-Encoding: gzip" muster "$URL$FEED_PATH" -H 'Accept-Encoding: gzip'
run "private feed, If-None-Match (304)" muster "$URL$FEED_PATH" -H "If-None-Match: $PRIVATE_ETAG"
run "events(first: 50) + relations" muster "$URL/graphql" -s "$WORK/events.lua"
run "events(first: 50) hand-written" baseline "$BASE_URL/graphql" -s "$WORK/events.lua"
run "group(slug) + next 10 events" muster "$URL/graphql" -s "$WORK/group.lua"
run "page / (public events, 60 days)" muster "$URL/"
run "page /events/{id}, anonymous" muster "$URL/events/$EVENT_ID"
run "page /events/{id}, signed in" muster "$URL/events/$EVENT_ID" -H "$SESSION_COOKIE"
run "page /me, signed in" muster "$URL/me" -H "$SESSION_COOKIE"
run "page /, Accept-Encoding: gzip" muster "$URL/" -H 'Accept-Encoding: gzip'
run "requests(first: 50), coordinator's queue" muster "$URL/graphql" -s "$WORK/queue.lua"
run "page /desk/requests ($QUEUE_ROWS a page)" muster "$URL/desk/requests" -H "$DESK_COOKIE"
run "page /desk/requests/{id} ($TRAINERS trainers)" muster "$URL/desk/requests/$REQUEST_ID" -H "$DESK_COOKIE"

sleep 1
AFTER_RSS=$(memory_kb "$MUSTER_PID" VmRSS)
PEAK_RSS=$(memory_kb "$MUSTER_PID" VmHWM)
BASE_PEAK=$(memory_kb "$BASE_PID" VmHWM)
stop "$MUSTER_PID"
stop "$BASE_PID"

rps_of() {
    local row
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name server rps _ <<<"$row"
        if [ "$name" = "$1" ] && [ "$server" = "$2" ]; then echo "$rps"; return; fi
    done
}
TRIVIAL_RPS=$(rps_of "trivial handler" baseline)
HANDWRITTEN_RPS=$(rps_of "events(first: 50) hand-written" baseline)
FULL_RPS=$(rps_of "/calendar.ics ($FEED_EVENTS events)" muster)
EVENTS_PAGE_RPS=$(rps_of "page / (public events, 60 days)" muster)
QUEUE_RPS=$(rps_of "requests(first: 50), coordinator's queue" muster)
STATIC_RPS=$(rps_of "static body, the feed's bytes" baseline)
HEALTHZ_RPS=$(rps_of "/healthz" muster)

echo
echo "muster $(git describe --always --dirty 2>/dev/null || echo '?') ($PROFILE), $(nproc) cores (load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg)), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s;" \
    "feed: $FEED_EVENTS events, $FEED_BYTES bytes ($GZIP_BYTES with Accept-Encoding: gzip)"
printf '%-52s %-9s %10s %9s %9s %7s  %s\n' endpoint server req/s "p50 ms" "p99 ms" errors "ratio (req/s against)"
for row in "${ROWS[@]}"; do
    IFS='|' read -r name server rps p50 p99 bad <<<"$row"
    case "$name" in
        "events(first: 50) + relations") against=$HANDWRITTEN_RPS; label="hand-written events" ;;
        "/calendar.ics ($FEED_EVENTS events)") against=$STATIC_RPS; label="static body (target 0.8)" ;;
        "/calendar.ics, If-None-Match (304)"|"private feed, If-None-Match (304)") against=$HEALTHZ_RPS; label="/healthz (target 0.5)" ;;
        "private feed") against=$FULL_RPS; label="full /calendar.ics (target 0.5)" ;;
        "private feed, Accept"*) against=$FULL_RPS; label="full /calendar.ics" ;;
        "page /events/{id}"*|"page /me"*|"page /, Accept"*) against=$EVENTS_PAGE_RPS; label="page /" ;;
        "page /desk/"*) against=$QUEUE_RPS; label="GraphQL queue" ;;
        *) against=$TRIVIAL_RPS; label="trivial" ;;
    esac
    ratio=$(awk -v a="$rps" -v b="$against" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-52s %-9s %10.0f %9s %9s %7s  %s × %s\n' "$name" "$server" "$rps" "$p50" "$p99" "$bad" "$ratio" "$label"
done
echo
echo "muster memory: idle $(mb "$IDLE_RSS") after start, $(mb "$AFTER_RSS") after the runs, peak $(mb "$PEAK_RSS") (VmHWM);" \
    "baseline peak $(mb "$BASE_PEAK")"

# --- memory while serving one very large feed ----------------------------------

growth() { awk -v p="$1" -v b="$2" -v s="$3" 'BEGIN { printf "%.2f", (p - b) * 1024 / s }'; }

if [ "$BIG_EVENTS" -gt 0 ]; then
    log "seeding $BIG_EVENTS events into a second database"
    if BIG_URL=$(seed "$WORK/big.db" "$BIG_EVENTS"); then
        BIG_PORT=$(free_port)
        BIG=http://127.0.0.1:$BIG_PORT/calendar.ics
        start muster-big "$BIG_PORT" /healthz env \
            MUSTER_DATABASE_URL="$BIG_URL" MUSTER_DATA_DIR="$WORK" MUSTER_BIND="127.0.0.1:$BIG_PORT" \
            MUSTER_FEED_PAST_DAYS=3650 "$MUSTER" serve
        BIG_PID=$STARTED_PID
        BEFORE=$(memory_kb "$BIG_PID" VmRSS)
        # In turn: three plain fetches (the first renders), then three gzipped.
        TIMES=()
        for encoding in identity identity identity gzip gzip gzip; do
            TIMES+=("$(curl -sS -D "$H" -o "$WORK/big-$encoding" -w '%{time_total}' -H "Accept-Encoding: $encoding" "$BIG")")
            grep -q '^HTTP/1.1 200' "$H" || die "large /calendar.ics ($encoding): $(head -n 1 "$H")"
        done
        BIG_BYTES=$(stat -c %s "$WORK/big-identity")
        BIG_GZIP_BYTES=$(stat -c %s "$WORK/big-gzip")
        BIG_COUNT=$(grep -c '^BEGIN:VEVENT' "$WORK/big-identity" || true)
        SEQUENTIAL_PEAK=$(memory_kb "$BIG_PID" VmHWM)
        # Calendar apps do not take turns: eight at once, half of them gzipped.
        CURLS=()
        for encoding in identity gzip identity gzip identity gzip identity gzip; do
            curl -sS -o /dev/null -w '%{http_code}\n' -H "Accept-Encoding: $encoding" "$BIG" >>"$WORK/big-statuses" &
            CURLS+=($!)
        done
        for pid in "${CURLS[@]}"; do wait "$pid" || true; done
        [ "$(grep -vc '^200$' "$WORK/big-statuses" || true)" = 0 ] \
            || die "the large feed answered: $(sort "$WORK/big-statuses" | uniq -c | tr '\n' ' ')"
        CONCURRENT_PEAK=$(memory_kb "$BIG_PID" VmHWM)
        AFTER=$(memory_kb "$BIG_PID" VmRSS)
        stop "$BIG_PID"
        echo
        echo "large feed: $BIG_COUNT events, $BIG_BYTES bytes ($BIG_GZIP_BYTES gzipped); fetched in" \
            "$(printf '%s s, ' "${TIMES[@]}" | sed 's/, $//') (3 plain, 3 gzipped)"
        echo "muster RSS $(mb "$BEFORE") before; peak $(mb "$SEQUENTIAL_PEAK") after the fetches in turn" \
            "(growth $(growth "$SEQUENTIAL_PEAK" "$BEFORE" "$BIG_BYTES")× the feed's size), peak $(mb "$CONCURRENT_PEAK")" \
            "after 8 at once (growth $(growth "$CONCURRENT_PEAK" "$BEFORE" "$BIG_BYTES")×); $(mb "$AFTER") at the end"
    else
        FAILED=1
        log "could not seed $BIG_EVENTS events: no large-feed figures"
    fi
fi

if [ "$FAILED" = 1 ]; then
    die "something answered wrongly or failed (see above)"
fi
