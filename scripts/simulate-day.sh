#!/usr/bin/env bash
# A national network's day, compressed: the real muster binary (release) on
# a seeded SQLite database on loopback, loaded by wrk (Debian's, with the
# Lua script scripts/simulate-day/class.lua) with five classes of traffic at
# once, each its own wrk process so that each has its own latencies:
#
#   feeds      N subscribers polling every 15 minutes: the public feed (some
#              with filters), group feeds and private feeds, gzip and
#              If-None-Match as calendar apps send them (mostly 304s)
#   browsing   200 signed-in people, a page or a GraphQL read every 30 s
#   desk       20 coordinators working the queue, a request every 20 s
#   trainers   50 trainers looking at their offers, one a minute
#   writes     one RSVP taken or given up a second (and a new event every
#              40th), through GraphQL
#
# Every rate is a busy hour's, multiplied by --compress K (default 15: a
# 15-minute polling cycle a minute). Before the day, every feed is fetched
# once (a subscriber's first poll), and each class runs alone for a few
# seconds to measure the server's CPU per request of that class. Then the
# day runs in steps of --duration seconds at K, 2K, 4K, ... (--steps) and
# stops at the first step where some class misses p99 < 100 ms. It prints,
# per step and class: the rate asked and served, p50 and p99, errors
# (anything but 2xx/304 and rate-limit answers: must be 0), rate-limited
# answers; the server's RSS sampled every second (CSV in the temp dir,
# printed as min/max per step); and where the first class missed.
#
#   scripts/simulate-day.sh                     # 60 s per step, up to 4 steps
#   scripts/simulate-day.sh --smoke             # debug build, small, 3 s steps
#   scripts/simulate-day.sh --duration 120 --steps 6 --subscribers 20000
#
# Options: --duration SECS (60), --steps N (4), --compress K (15),
# --subscribers N (20000), --private-share PCT (15), --group-share PCT (25),
# --events N (2000), --calibrate SECS (10), --muster PATH (a muster binary
# built before, instead of building this checkout). Loopback only; bounded (steps ×
# duration plus set-up), stops by itself; the server and the temp dir are
# removed on exit, also on failure. Needs root only to install wrk.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
DURATION=60
STEPS=4
COMPRESS=15
SUBSCRIBERS=20000
PRIVATE_SHARE=15
GROUP_SHARE=25
EVENTS=2000
CALIBRATE=10
GIVEN_MUSTER=""
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1; DURATION=3; STEPS=2; SUBSCRIBERS=400; EVENTS=200; CALIBRATE=1 ;;
        --duration) DURATION=$2; shift ;;
        --steps) STEPS=$2; shift ;;
        --compress) COMPRESS=$2; shift ;;
        --subscribers) SUBSCRIBERS=$2; shift ;;
        --private-share) PRIVATE_SHARE=$2; shift ;;
        --group-share) GROUP_SHARE=$2; shift ;;
        --events) EVENTS=$2; shift ;;
        --calibrate) CALIBRATE=$2; shift ;;
        --muster) GIVEN_MUSTER=$(realpath "$2"); shift ;;
        -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'simulate-day: %s\n' "$*" >&2; exit 1; }

MISSING=()
for tool in wrk curl jq python3; do command -v "$tool" >/dev/null || MISSING+=("$tool"); done
if [ ${#MISSING[@]} -gt 0 ]; then
    log "installing ${MISSING[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${MISSING[@]}" ca-certificates >/dev/null
fi

if [ -n "$GIVEN_MUSTER" ]; then
    PROFILE="given binary"
    MUSTER=$GIVEN_MUSTER
else
    if [ "$SMOKE" = 1 ]; then
        PROFILE=debug
        cargo build --quiet --bin muster
    else
        PROFILE=release
        log "building muster (release)"
        cargo build --quiet --release --bin muster
    fi
    MUSTER=$PWD/target/$PROFILE/muster
fi
LUA=$PWD/scripts/simulate-day/class.lua

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
    die "no free loopback port"
}

# --- the network and its people ----------------------------------------------

DB=$WORK/muster.db
DB_URL="sqlite://$DB?mode=rwc"
log "seeding $EVENTS events"
MUSTER_DATABASE_URL=$DB_URL MUSTER_DATA_DIR=$WORK "$MUSTER" seed-demo --scale "$EVENTS" >"$WORK/seed.log" 2>&1 \
    || { cat "$WORK/seed.log" >&2; die "seed-demo failed"; }
PASSWORD="sim-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
person() {
    printf '%s\n' "$PASSWORD" | MUSTER_DATABASE_URL=$DB_URL MUSTER_DATA_DIR=$WORK \
        "$MUSTER" create-user --email "$1@example.org" --name "$2" "${@:3}" >>"$WORK/people.log" 2>&1 \
        || { cat "$WORK/people.log" >&2; die "create-user $1 failed"; }
}
person browser "Sim Browser"
person desk "Sim Desk" --role coordinator
person trainer "Sim Trainer" --trainer
person writer "Sim Writer"

# Private feeds for the seeded members, as createFeedToken makes them (a
# random secret, its SHA-256 stored): written straight to the database,
# since the seeded accounts cannot sign in. Prints the secrets.
PRIVATE=$(( SUBSCRIBERS * PRIVATE_SHARE / 100 ))
python3 - "$DB" "$PRIVATE" >"$WORK/private-secrets" <<'PY'
import base64, hashlib, os, sqlite3, sys, uuid
db, wanted = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
people = db.execute(
    "SELECT u.id, u.created_at FROM users u WHERE u.erased_at IS NULL "
    "AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.status = 'ACTIVE') "
    "ORDER BY u.id").fetchall() or db.execute("SELECT id, created_at FROM users WHERE erased_at IS NULL").fetchall()
for k in range(wanted):
    user_id, created_at = people[k % len(people)]
    secret = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    token_id = uuid.uuid4().bytes if isinstance(user_id, bytes) else str(uuid.uuid4())
    db.execute(
        "INSERT INTO feed_tokens (id, user_id, label, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (token_id, user_id, "sim", hashlib.sha256(secret.encode()).hexdigest(), created_at))
    print(secret)
db.commit()
PY

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
log "starting muster on 127.0.0.1:$PORT"
MUSTER_DATABASE_URL=$DB_URL MUSTER_DATA_DIR=$WORK MUSTER_BIND="127.0.0.1:$PORT" \
    MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR=100 MUSTER_FEED_FETCHES_PER_HOUR=100000 \
    "$MUSTER" serve >"$WORK/muster.log" 2>&1 &
PID=$!
PIDS+=("$PID")
for _ in $(seq 300); do
    curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/muster.log" >&2; die "muster exited at start"; }
    sleep 0.1
done

graphql() {
    curl -sS -X POST "$URL/graphql" -H 'Content-Type: application/json' ${2:+-H "Authorization: Bearer $2"} --data-binary "$1"
}
token_of() {
    local body
    body=$(jq -cn --arg e "$1@example.org" --arg p "$PASSWORD" \
        '{query: "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", variables: {e: $e, p: $p}}')
    graphql "$body" | jq -er .data.login.token || die "$1 could not sign in"
}
session_of() {
    local jar=$WORK/jar-$1 csrf
    curl -sS -c "$jar" -o "$WORK/signin.html" "$URL/signin"
    csrf=$(grep -o 'name="csrf" value="[^"]*"' "$WORK/signin.html" | head -n 1 | sed -E 's/.*value="([^"]*)"/\1/')
    curl -sS -b "$jar" -c "$jar" -o /dev/null "$URL/signin" --data-urlencode "csrf=$csrf" \
        --data-urlencode "email=$1@example.org" --data-urlencode "password=$PASSWORD" --data-urlencode "next=/me"
    awk '$6 == "muster_session" { print "Cookie: muster_session=" $7 }' "$jar" | grep . || die "$1 got no session"
}
BROWSER=$(session_of browser)
DESK=$(session_of desk)
TRAINER=$(session_of trainer)
DESK_TOKEN=$(token_of desk)
WRITER_TOKEN=$(token_of writer)

# --- what each class asks for --------------------------------------------------

TAB=$'\t'
EVENTS_JSON=$(graphql '{"query":"{ events(first: 100) { edges { node { id status } } } }"}')
EVENT_IDS=$(echo "$EVENTS_JSON" | jq -r '.data.events.edges[].node | select(.status == "SCHEDULED") | .id')
[ -n "$EVENT_IDS" ] || die "no upcoming events to visit: $EVENTS_JSON"
SLUGS=$(graphql '{"query":"{ groups(first: 100) { edges { node { slug region } } } }"}' | jq -r '.data.groups.edges[].node.slug')
REQUEST_IDS=$(graphql '{"query":"{ requests(first: 50) { edges { node { id } } } }"}' "$DESK_TOKEN" | jq -r '.data.requests.edges[].node.id')

{
    # Public subscribers: the whole calendar and a few filtered ones.
    for _ in $(seq 6); do printf 'GET\t/calendar.ics\t-\t\n'; done
    printf 'GET\t/calendar.ics?kind=WORKSHOP\t-\t\n'
    printf 'GET\t/calendar.ics?kind=TALK&kind=TRAINING\t-\t\n'
    for slug in $(echo "$SLUGS" | head -n 4); do printf 'GET\t/calendar.ics?group=%s\t-\t\n' "$slug"; done
} >"$WORK/public.lines"
for slug in $SLUGS; do printf 'GET\t/groups/%s/calendar.ics\t-\t\n' "$slug"; done >"$WORK/group.lines"
while read -r secret; do printf 'GET\t/feeds/%s/calendar.ics\t-\t\n' "$secret"; done <"$WORK/private-secrets" >"$WORK/private.lines"
# The feeds class draws from the three in the subscribers' proportions.
python3 - "$WORK" "$SUBSCRIBERS" "$PRIVATE_SHARE" "$GROUP_SHARE" <<'PY'
import sys
work, subscribers, private_share, group_share = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
read = lambda name: [l for l in open(f"{work}/{name}.lines") if l.strip()]
public, group, private = read("public"), read("group"), read("private")
shares = {"public": 100 - private_share - group_share, "group": group_share, "private": private_share}
with open(f"{work}/feeds.lines", "w") as out:
    for name, lines in (("public", public), ("group", group), ("private", private)):
        wanted = subscribers * shares[name] // 100
        for k in range(wanted if lines else 0):
            out.write(lines[k % len(lines)])
PY
EVENTS_QUERY='{"query":"query { events(first: 50) { totalCount edges { node { id title startsAt group { name } topic { name } goingCount placesLeft } } } }"}'
{
    printf 'GET\t/\t%s\t\n' "$BROWSER"
    printf 'GET\t/groups\t%s\t\n' "$BROWSER"
    printf 'GET\t/me\t%s\t\n' "$BROWSER"
    for slug in $(echo "$SLUGS" | head -n 5); do printf 'GET\t/groups/%s\t%s\t\n' "$slug" "$BROWSER"; done
    for id in $(echo "$EVENT_IDS" | head -n 20); do printf 'GET\t/events/%s\t%s\t\n' "$id" "$BROWSER"; done
    printf 'POST\t/graphql\t-\t%s\n' "$EVENTS_QUERY"
    printf 'GET\t/static/style.css\t-\t\n'
} >"$WORK/browsing.lines"
QUEUE_QUERY='{"query":"{ requests(first: 50) { totalCount edges { node { id reference state topic { name } group { name } preferredWindows { startsAt endsAt } assignments { status trainer { displayName } } } } } }"}'
{
    printf 'GET\t/desk\t%s\t\n' "$DESK"
    printf 'GET\t/desk/requests\t%s\t\n' "$DESK"
    printf 'GET\t/desk/requests?state=SUBMITTED\t%s\t\n' "$DESK"
    for id in $(echo "$REQUEST_IDS" | head -n 10); do printf 'GET\t/desk/requests/%s\t%s\t\n' "$id" "$DESK"; done
    printf 'POST\t/graphql\tAuthorization: Bearer %s\t%s\n' "$DESK_TOKEN" "$QUEUE_QUERY"
} >"$WORK/desk.lines"
printf 'GET\t/offers\t%s\t\n' "$TRAINER" >"$WORK/trainers.lines"
for id in $EVENT_IDS; do printf 'POST\t/graphql\tAuthorization: Bearer %s\t%s\n' "$WRITER_TOKEN" "$id"; done >"$WORK/writes.lines"

# Each request line must answer before it is loaded.
for class in browsing desk trainers; do
    while IFS="$TAB" read -r method path header body; do
        [ "$header" != - ] || header=""
        status=$(curl -sS -o "$WORK/check.out" -w '%{http_code}' -X "$method" ${header:+-H "$header"} \
            ${body:+-H 'Content-Type: application/json' --data-binary "$body"} "$URL$path")
        [ "$status" = 200 ] || die "$class: $method $path answered $status"
        if grep -q '"errors"' "$WORK/check.out"; then die "$class: $method $path answered errors: $(head -c 300 "$WORK/check.out")"; fi
    done <"$WORK/$class.lines"
done

# A subscriber's first poll of each feed (the renders of a new day).
log "first poll of $(sort -u "$WORK/feeds.lines" | wc -l) distinct feeds"
cut -f2 "$WORK/feeds.lines" | sort -u | sed "s#^#$URL#" >"$WORK/feed-urls"
xargs -P 2 -I{} curl -sS -o /dev/null -H 'Accept-Encoding: gzip' {} <"$WORK/feed-urls"

# --- load ----------------------------------------------------------------------

# class: connections and busy-hour rate (requests a second at K = 1).
CLASSES=(feeds browsing desk trainers writes)
declare -A CONNECTIONS=([feeds]=8 [browsing]=4 [desk]=2 [trainers]=1 [writes]=1)
declare -A BASE_RATE
BASE_RATE[feeds]=$(awk -v n="$SUBSCRIBERS" 'BEGIN { print n / 900 }')
BASE_RATE[browsing]=$(awk 'BEGIN { print 200 / 30 }')
BASE_RATE[desk]=1
BASE_RATE[trainers]=$(awk 'BEGIN { print 50 / 60 }')
BASE_RATE[writes]=1

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
TICKS=$(getconf CLK_TCK)

# load CLASS K SECS OUT: one wrk process for the class at K times its rate.
load() {
    local class=$1 k=$2 secs=$3 out=$4 c pace
    c=${CONNECTIONS[$class]}
    pace=$(awk -v c="$c" -v r="${BASE_RATE[$class]}" -v k="$k" 'BEGIN { printf "%d", c * 1000 / (r * k) }')
    SIM_REQUESTS="$WORK/$class.lines" SIM_PACE_MS=$pace \
        SIM_CONDITIONAL=$([ "$class" = feeds ] && echo 1 || echo 0) SIM_RSVP=$([ "$class" = writes ] && echo 1 || echo 0) \
        wrk -t"$c" -c"$c" -d"${secs}s" --timeout 10s -s "$LUA" "$URL/" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $class"; }
}
field() { grep '^SIM ' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

log "each class alone for ${CALIBRATE}s: CPU per request"
declare -A CPU_MS
for class in "${CLASSES[@]}"; do
    before=$(cpu_ticks)
    load "$class" "$COMPRESS" "$CALIBRATE" "$WORK/alone-$class.txt"
    after=$(cpu_ticks)
    CPU_MS[$class]=$(awk -v t=$((after - before)) -v hz="$TICKS" -v n="$(field "$WORK/alone-$class.txt" requests)" \
        'BEGIN { if (n > 0) printf "%.2f", t * 1000 / hz / n; else print "-" }')
done

RSS_CSV=$WORK/rss.csv
echo "seconds,rss_kb,step" >"$RSS_CSV"
START=$(date +%s)
FIRST_MISS=""
ROWS=()
k=$COMPRESS
for step in $(seq "$STEPS"); do
    log "step $step: ${k}× a busy hour for ${DURATION}s"
    (
        while kill -0 "$PID" 2>/dev/null; do
            echo "$(( $(date +%s) - START )),$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$PID/status"),$step"
            sleep 1
        done
    ) >>"$RSS_CSV" &
    SAMPLER=$!
    LOADS=()
    for class in "${CLASSES[@]}"; do
        load "$class" "$k" "$DURATION" "$WORK/step$step-$class.txt" &
        LOADS+=($!)
    done
    for pid in "${LOADS[@]}"; do wait "$pid" || die "a load failed in step $step"; done
    kill "$SAMPLER" 2>/dev/null || true
    wait "$SAMPLER" 2>/dev/null || true
    missed=""
    for class in "${CLASSES[@]}"; do
        out=$WORK/step$step-$class.txt
        asked=$(awk -v r="${BASE_RATE[$class]}" -v k="$k" 'BEGIN { printf "%.1f", r * k }')
        served=$(awk -v n="$(field "$out" requests)" -v s="$(field "$out" seconds)" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print 0 }')
        p99=$(field "$out" p99_ms)
        errors=$(( $(field "$out" bad) + $(field "$out" socket_errors) ))
        ROWS+=("$step|${k}×|$class|$asked|$served|$(field "$out" p50_ms)|$p99|$errors|$(field "$out" limited)|$(field "$out" not_modified)|${CPU_MS[$class]}")
        if awk -v p="$p99" 'BEGIN { exit !(p >= 100) }' && [ -z "$missed" ]; then missed=$class; fi
    done
    RSS_RANGE=$(awk -F, -v s="$step" '$3 == s { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 }
        END { printf "%.1f–%.1f MB", min / 1024, max / 1024 }' "$RSS_CSV")
    ROWS+=("$step|${k}×|RSS|$RSS_RANGE|||||||")
    if [ -n "$missed" ]; then FIRST_MISS="$missed, at step $step (${k}× a busy hour)"; break; fi
    k=$(( k * 2 ))
done

echo
echo "simulated day, muster $(git describe --always --dirty 2>/dev/null || echo '?') ($PROFILE), $(nproc) cores" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg)); $EVENTS events, $SUBSCRIBERS subscribers" \
    "($PRIVATE_SHARE% private, $GROUP_SHARE% group), ${DURATION}s a step"
printf '%-4s %-6s %-9s %9s %9s %8s %8s %6s %8s %8s %11s\n' step load class "asked/s" "served/s" "p50 ms" "p99 ms" errors limited "304s" "CPU ms/req"
ERRORS=0
for row in "${ROWS[@]}"; do
    IFS='|' read -r step load class asked served p50 p99 errors limited notmod cpu <<<"$row"
    if [ "$class" = RSS ]; then printf '%-4s %-6s %-9s %s\n' "$step" "$load" RSS "$asked"; continue; fi
    printf '%-4s %-6s %-9s %9s %9s %8s %8s %6s %8s %8s %11s\n' "$step" "$load" "$class" "$asked" "$served" "$p50" "$p99" "$errors" "$limited" "$notmod" "$cpu"
    ERRORS=$(( ERRORS + errors ))
done
echo "first class to miss p99 < 100 ms: ${FIRST_MISS:-none within $STEPS steps}"
echo "RSS peak $(awk '$1 == "VmHWM:" { printf "%.1f MB", $2 / 1024 }' "/proc/$PID/status")"
[ "$ERRORS" = 0 ] || die "$ERRORS errors (besides rate limiting): see above"
