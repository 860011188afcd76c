#!/usr/bin/env bash
# A longer load soak than CI's five seconds: mixed reads, writes and feed
# fetches against the real binary on a seeded SQLite database, on loopback
# only. Prints requests, errors by kind and the server's memory before and
# after; fails on any error besides rate limiting or on memory growth past the
# bound stated in tests/faults.rs.
#
#   scripts/soak.sh            # 60 seconds
#   scripts/soak.sh 600        # ten minutes
#   scripts/soak.sh 600 --release
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
MUSTER_SOAK_SECS=$secs exec cargo test "$@" --test faults soak -- --nocapture
