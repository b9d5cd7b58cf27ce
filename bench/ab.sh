#!/bin/bash
# Server CPU per job of two jars side by side: bench/ab.sh OLD.jar NEW.jar [pairs]
# Each jar in turn (old, new, old, new, ...) is started fresh on its own data directory, warmed by 60 s
# of `wrk -t2 -c32 ?wait=10`, then measured over three 10 s rounds: jobs/s and the server's CPU
# (utime + stime from /proc) per job. Alternating cancels most of the machine's drift; only the
# difference between the two jars within one run means anything. Needs wrk; ports 18090-18093.
set -euo pipefail
OLD=$1; NEW=$2; PAIRS=${3:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
measure() { # JAR PORT NAME
    local jar=$1 port=$2 name=$3 pid
    mkdir -p "$WORK/$name"
    SERVER_PORT=$port MANAGEMENT_SERVER_PORT=$((port + 1)) JOBPOOL_DATA_DIR="$WORK/$name" JOBPOOL_POOL_SIZE=2 \
        "$JAVA" -jar "$jar" > "$WORK/$name.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 120); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$((port + 1))/actuator/health/readiness")" = 200 ] && break
        sleep 1
    done
    wrk -t2 -c32 -d60s -s "$HERE/submit.lua" "http://127.0.0.1:$port/v1/jobs?wait=10" > /dev/null
    for round in 1 2 3; do
        local before after jobs
        before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        jobs=$(wrk -t2 -c32 -d10s -s "$HERE/submit.lua" "http://127.0.0.1:$port/v1/jobs?wait=10" | awk '/requests in/ {print $1}')
        after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        echo "$name round $round: $((jobs / 10)) jobs/s, $(echo "scale=3; ($after - $before) * 1000 / $(getconf CLK_TCK) / $jobs" | bc) ms CPU/job"
    done
    kill "$pid"; wait "$pid" 2> /dev/null || true
    rm -rf "${WORK:?}/$name"
}
for pair in $(seq 1 "$PAIRS"); do
    measure "$OLD" 18090 "old-$pair"
    measure "$NEW" 18092 "new-$pair"
done
