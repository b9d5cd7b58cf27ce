#!/usr/bin/env bash
# Container smoke test without a container engine (none runs in CI): proves the image layout.
#
# It repeats what the Dockerfile does to the built jar: the same `jarmode=tools extract`, the four
# layers copied in the Dockerfile's order into one directory, the server's AOT cache trained there
# as the Dockerfile trains it, then the Dockerfile's ENTRYPOINT started from that directory (tini as
# init, then java) with the image's JAVA_TOOL_OPTIONS and JDK_JAVA_OPTIONS and a clean environment.
# No PID namespace here, so tini is not PID 1: TINI_SUBREAPER makes it a child subreaper, which
# gives it PID 1's role for everything below it (orphans are re-parented to it).
# When run as root it also drops to the image's numeric user 10001 and leaves the layout
# read-only, as readOnlyRootFilesystem does in Kubernetes. Then: readiness within 60 s, the AOT
# cache mapped by the server, one real job ({"task":"square","args":[7]} -> 49) on a worker
# process that leads its own session; a task's detached child (the diagnostic task orphan),
# re-parented to the init and killed when its job ends, is reaped: no zombie is left; SIGTERM
# through the init, exit within a bound, and no worker process left behind.
#
# Usage: .ci/container-smoke.sh [path/to/jobpool.jar]
# Uses bash, curl, grep, sed, awk, tini (apt-get install tini) and /proc only. Everything it starts
# is killed by PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=${1:-$ROOT/target/jobpool-0.1.0-SNAPSHOT.jar}
DOCKERFILE=$ROOT/Dockerfile
START_TIMEOUT=${JOBPOOL_SMOKE_START_TIMEOUT:-60}
# jobpool.shutdown.grace defaults to 30 s; nothing runs at SIGTERM here, so the drain is quick,
# but allow the whole grace plus slack before calling it a hang.
STOP_TIMEOUT=${JOBPOOL_SMOKE_STOP_TIMEOUT:-45}
IMAGE_UID=10001

if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
else
    JAVA=$(command -v java)
fi
JAVA_BIN=$(dirname "$JAVA")

PASSED=0
SERVER_PID=""  # the init (tini), as in the container
JAVA_PID=""
WORKER_PIDS=""
W=""

pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
die() {
    echo "FAIL: $*"
    if [ -n "$W" ] && [ -f "$W/server.log" ]; then
        echo "---- last lines of the server log ----"
        tail -n 40 "$W/server.log" | cut -c1-600 | sed "s/^/    /"
    fi
    echo "container-smoke: $PASSED passed, 1 failed"
    exit 1
}

# Direct children of a PID, from /proc (no procps needed). The comm field may hold spaces, so
# the fields are read after its closing parenthesis.
workers_of() { # PID
    local parent=$1 stat line rest pid
    for stat in /proc/[0-9]*/stat; do
        line=$(cat "$stat" 2>/dev/null) || continue
        rest=${line##*) }
        set -- $rest # state ppid pgrp ...
        if [ "${2:-}" = "$parent" ]; then
            pid=${stat#/proc/}
            echo "${pid%/stat}"
        fi
    done
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

cleanup() {
    local pid
    if alive "$SERVER_PID"; then
        [ -n "$JAVA_PID" ] || JAVA_PID=$(workers_of "$SERVER_PID" | head -n 1)
        [ -n "$JAVA_PID" ] && WORKER_PIDS="$WORKER_PIDS $(workers_of "$JAVA_PID" | tr '\n' ' ')"
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 20); do alive "$SERVER_PID" || break; sleep 0.5; done
        alive "$SERVER_PID" && kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    for pid in $JAVA_PID $WORKER_PIDS; do
        alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    done
    if [ -n "$W" ]; then
        chmod -R u+w "$W" 2>/dev/null || true
        rm -rf "$W"
    fi
}
trap cleanup EXIT

. "$(dirname "$0")/free-ports.sh"

[ -f "$JAR" ] || die "no jar at $JAR (build it first: ./mvnw -B -DskipTests package)"
[ -x "$JAVA" ] || die "no java"
if ! command -v tini >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    # A fresh machine: install the image's init, as the Dockerfile does (apt-get update first: no lists yet).
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini >&2 || true
fi
command -v tini >/dev/null 2>&1 || die "no tini, the image's init (Debian/Ubuntu: apt-get install tini)"
# (No `cmd | grep -q` under pipefail in these scripts: grep -q exits at the first match and the
# writer's SIGPIPE would fail the pipeline. Here-strings instead.)
grep -q 'version "2[5-9]' <<<"$("$JAVA" -version 2>&1)" || die "$JAVA is not Java 25+"

# ---- 1. The Dockerfile is what this script mirrors: fail if the two drift apart.
EXTRACT_CMD='java -Djarmode=tools -jar app.jar extract --layers --destination extracted'
ENTRYPOINT='ENTRYPOINT ["tini", "--", "java", "-jar", "app.jar"]'
grep -qF "RUN $EXTRACT_CMD" "$DOCKERFILE" || die "Dockerfile no longer runs: $EXTRACT_CMD"
grep -qxF "$ENTRYPOINT" "$DOCKERFILE" || die "Dockerfile ENTRYPOINT is no longer: $ENTRYPOINT"
DOCKER_LAYERS=$(sed -n 's#^COPY --from=extract /extract/extracted/\([a-z-]*\)/ \./$#\1#p' "$DOCKERFILE" | tr '\n' ' ')
[ "$DOCKER_LAYERS" = "dependencies spring-boot-loader snapshot-dependencies application " ] \
    || die "Dockerfile copies layers '$DOCKER_LAYERS'"
IMAGE_JAVA_TOOL_OPTIONS=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' "$DOCKERFILE")
[ -n "$IMAGE_JAVA_TOOL_OPTIONS" ] || die "no JAVA_TOOL_OPTIONS in the Dockerfile"
grep -q 'MaxRAMPercentage=40' <<<"$IMAGE_JAVA_TOOL_OPTIONS" || die "JAVA_TOOL_OPTIONS lacks MaxRAMPercentage=40"
pass "Dockerfile extract command, layer order and ENTRYPOINT match this script"

# ---- 2. Extract exactly as the extract stage does.
W=$(mktemp -d)
chmod 0755 "$W"
mkdir -p "$W/extract"
cp "$JAR" "$W/extract/app.jar"
# The build stage's copy of the built jar, run as written against the jar's own target directory
# (the SPI jar lies beside the application jar there): it must pick exactly the application jar.
BUILD_COPY=$(sed -n 's#^ && \(cp .* /build/app.jar\)$#\1#p' "$DOCKERFILE")
[ -n "$BUILD_COPY" ] || die "no 'cp ... /build/app.jar' in the Dockerfile's build stage"
mkdir -p "$W/context" "$W/build"
ln -s "$(cd "$(dirname "$JAR")" && pwd)" "$W/context/target"
(cd "$W/context" && eval "${BUILD_COPY//\/build\//$W/build/}") || die "the build stage's '$BUILD_COPY' fails on $(ls "$(dirname "$JAR")"/*.jar | tr '\n' ' ')"
cmp -s "$W/build/app.jar" "$JAR" || die "the build stage's '$BUILD_COPY' copies another jar than $JAR"
pass "the build stage copies the application jar (not the SPI jar beside it)"
(cd "$W/extract" && PATH="$JAVA_BIN:$PATH" $EXTRACT_CMD) >"$W/extract.log" 2>&1 \
    || { cat "$W/extract.log"; die "jarmode=tools extract failed"; }
JAR_LAYERS=$(cd "$W/extract" && "$JAVA" -Djarmode=tools -jar app.jar list-layers | tr -d '\r' | tr '\n' ' ')
[ "$JAR_LAYERS" = "$DOCKER_LAYERS" ] || die "the jar's layers '$JAR_LAYERS' differ from the Dockerfile's '$DOCKER_LAYERS'"
for layer in $DOCKER_LAYERS; do
    [ -d "$W/extract/extracted/$layer" ] || die "layer directory $layer missing (a COPY would fail)"
done
pass "extracted layers: $JAR_LAYERS"

# ---- 3. Assemble the runtime stage: each layer copied over the last, in the Dockerfile's order.
APP=$W/application
mkdir -p "$APP"
for layer in $DOCKER_LAYERS; do
    cp -a "$W/extract/extracted/$layer/." "$APP/"
done
[ -f "$APP/app.jar" ] || die "no app.jar in the assembled layout"
ls "$APP"/lib/*.jar >/dev/null 2>&1 || die "no lib/*.jar in the assembled layout"
[ "$(find "$APP/lib" -name '*.jar' | wc -l)" -gt 20 ] || die "suspiciously few libraries in lib/"
TOOL_OPTIONS=${IMAGE_JAVA_TOOL_OPTIONS//-Djava.io.tmpdir=\/tmp/-Djava.io.tmpdir=$W/tmp}
mkdir -p "$W/tmp"

# ---- 3b. The server's AOT cache, made as the runtime stage's RUN makes it: a training start in the
# layout directory with the image's JAVA_TOOL_OPTIONS (a cache is only used with the flags it was
# made with), its data and temporary files in a throw-away directory. Step 4 starts the server
# with the image's JDK_JAVA_OPTIONS and proves the JVM mapped the cache.
AOT_TRAIN=('RUN mkdir /tmp/aot-training \'
    ' && JOBPOOL_DATA_DIR=/tmp/aot-training java -Djava.io.tmpdir=/tmp/aot-training \'
    '        -XX:AOTCacheOutput=/application/app.aot -Dspring.context.exit=onRefresh -jar app.jar \'
    ' && rm -rf /tmp/aot-training'
    'ENV JDK_JAVA_OPTIONS="-XX:AOTCache=/application/app.aot"')
for line in "${AOT_TRAIN[@]}"; do
    grep -qxF -- "$line" "$DOCKERFILE" || die "the Dockerfile's AOT cache step no longer has the line: $line"
done
mkdir "$W/aot-training"
(
    cd "$APP"
    exec env -i PATH="$JAVA_BIN:/usr/local/bin:/usr/bin:/bin" HOME=/ LANG=C.UTF-8 \
        JAVA_TOOL_OPTIONS="$TOOL_OPTIONS" JOBPOOL_DATA_DIR="$W/aot-training" \
        java -Djava.io.tmpdir="$W/aot-training" -XX:AOTCacheOutput="$APP/app.aot" -Dspring.context.exit=onRefresh -jar app.jar
) >"$W/aot-training.log" 2>&1 || { tail -n 20 "$W/aot-training.log"; die "the AOT cache training start failed"; }
rm -rf "$W/aot-training"
[ -s "$APP/app.aot" ] || { tail -n 20 "$W/aot-training.log"; die "the training start wrote no AOT cache"; }
pass "server AOT cache made by a training start: $(($(stat -c %s "$APP/app.aot") / 1048576)) MB"

# Root-owned and read-only, as in the image; the only writable places are the data dir and tmp.
chmod -R a+rX,a-w "$APP"
find "$APP" -type f | sort >"$W/layout.before"
mkdir -p "$W/data"
RUN_AS=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
    chown "$IMAGE_UID:$IMAGE_UID" "$W/data" "$W/tmp"
    RUN_AS=(setpriv --reuid="$IMAGE_UID" --regid="$IMAGE_UID" --clear-groups --)
    WHO="uid $IMAGE_UID"
else
    WHO="uid $(id -u) (not root: no user switch)"
fi
pass "runtime layout assembled: app.jar + $(find "$APP/lib" -name '*.jar' | wc -l) libraries, read-only, running as $WHO"

# ---- 4. Start it the way the ENTRYPOINT does: `java -jar app.jar` from the layout directory, with
# the image's environment (a clean one: the container gets nothing else). java.io.tmpdir points
# at a private directory instead of /tmp so that the run leaves nothing behind.
read -r PORT MPORT <<<"$(free_ports 2)" || die "no free ports"
(
    cd "$APP"
    exec env -i \
        PATH="$JAVA_BIN:/usr/local/bin:/usr/bin:/bin" \
        HOME=/ LANG=C.UTF-8 \
        JAVA_TOOL_OPTIONS="$TOOL_OPTIONS" \
        JDK_JAVA_OPTIONS="-XX:AOTCache=$APP/app.aot" \
        JOBPOOL_DATA_DIR="$W/data" \
        SERVER_PORT="$PORT" \
        MANAGEMENT_SERVER_PORT="$MPORT" \
        LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs \
        JOBPOOL_TASKS_DIAGNOSTICS=true \
        TINI_SUBREAPER=1 \
        "${RUN_AS[@]}" tini -- java -jar app.jar
) >"$W/server.log" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + START_TIMEOUT))
until grep -q '"status":"UP"' <<<"$(curl -fsS --max-time 2 "http://127.0.0.1:$MPORT/actuator/health/readiness" 2>/dev/null)"; do
    alive "$SERVER_PID" || die "the server exited during startup"
    [ "$SECONDS" -lt "$deadline" ] || die "not ready within ${START_TIMEOUT}s"
    sleep 1
done
grep -q '"status":"UP"' <<<"$(curl -fsS --max-time 2 "http://127.0.0.1:$MPORT/actuator/health/liveness")" || die "liveness is not UP"
JAVA_PID=$(workers_of "$SERVER_PID" | head -n 1)
[ -n "$JAVA_PID" ] && [ "$(readlink "/proc/$JAVA_PID/exe")" = "$(readlink -f "$JAVA")" ] || die "the init's child is not the server's java"
pass "ready on management port $MPORT after $((SECONDS - deadline + START_TIMEOUT))s (readiness and liveness UP)"
# A cache the JVM cannot use (other flags, another class path) is skipped with a warning and the
# server starts anyway, only slower: its mapping is the proof it was used.
grep -qF "$APP/app.aot" "/proc/$JAVA_PID/maps" || die "the server did not map its AOT cache $APP/app.aot"
pass "the server mapped the AOT cache (JDK_JAVA_OPTIONS as in the image)"

# ---- 5. A real job through a real worker process.
code=$(curl -sS --max-time 30 -o "$W/job.json" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data '{"task":"square","args":[7]}' \
    "http://127.0.0.1:$PORT/v1/jobs?wait=10") || die "POST /v1/jobs failed"
body=$(cat "$W/job.json")
[ "$code" = 200 ] || die "POST /v1/jobs?wait=10 answered $code: $body"
grep -Eq '"status" *: *"SUCCEEDED"' <<<"$body" || die "job did not succeed: $body"
grep -Eq '"result" *: *49([^0-9.]|$)' <<<"$body" || die "result is not 49: $body"
pass "POST /v1/jobs?wait=10 square(7) -> 200 SUCCEEDED, result 49"

code=$(curl -sS --max-time 10 -o "$W/pool.json" -w '%{http_code}' "http://127.0.0.1:$PORT/v1/pool") || die "GET /v1/pool failed"
[ "$code" = 200 ] || die "GET /v1/pool answered $code"
grep -q '"workers"' "$W/pool.json" || die "GET /v1/pool has no workers: $(cat "$W/pool.json")"
WORKER_PIDS=$(workers_of "$JAVA_PID" | tr '\n' ' ')
[ -n "${WORKER_PIDS// /}" ] || die "the server has no child worker processes"
for pid in $WORKER_PIDS; do
    # The class cache training run (a worker JVM with -XX:AOTCacheOutput, no tasks of clients) may
    # be going, or have just ended; it is the server's helper, not a worker.
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    { [ -z "$cmdline" ] || grep -q 'AOTCacheOutput' <<<"$cmdline"; } && continue
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    [ "$(dirname "$exe")" = "$(readlink -f "$JAVA_BIN")" ] || die "worker $pid runs $exe, not the server's java"
    stat=$(cat "/proc/$pid/stat")
    set -- ${stat##*) } # state ppid pgrp session ...
    [ "$4" = "$pid" ] || die "worker $pid is not the leader of its own session (session $4): no setsid?"
done
pass "GET /v1/pool 200; worker processes $WORKER_PIDS run the server's own java, each leading its own session"

# ---- 5b. A task's detached child (orphan: setsid --fork sleep) is re-parented to the init; jobpool
# kills it when the job ends, and the init reaps it: its /proc entry goes, no zombie stays behind.
# (java as PID 1 would reap only its own children, and the sleep would stay a zombie.)
SECS=9$((RANDOM % 900 + 100)).$((RANDOM % 9000 + 1000))7
code=$(curl -sS --max-time 30 -o "$W/orphan.json" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data "{\"task\":\"orphan\",\"args\":[$SECS]}" \
    "http://127.0.0.1:$PORT/v1/jobs?wait=20") || die "POST orphan failed"
body=$(cat "$W/orphan.json")
[ "$code" = 200 ] && grep -Eq '"status" *: *"SUCCEEDED"' <<<"$body" || die "orphan job did not succeed ($code): $body"
ORPHAN_ID=$(sed 's/.*"id" *: *"\([^"]*\)".*/\1/' <<<"$body")
curl -fsS --max-time 10 "http://127.0.0.1:$PORT/v1/jobs/$ORPHAN_ID/logs" >"$W/orphan.log" || die "GET logs failed"
ORPHAN_PID=$(sed -n "s/.*pid \([0-9]*\) (sleep $SECS).*/\1/p" "$W/orphan.log" | head -n 1)
[ -n "$ORPHAN_PID" ] || die "the orphan job's log names no killed 'sleep $SECS': $(cat "$W/orphan.log")"
for _ in $(seq 1 50); do [ -e "/proc/$ORPHAN_PID" ] || break; sleep 0.1; done
if [ -e "/proc/$ORPHAN_PID" ]; then
    die "the detached sleep $ORPHAN_PID is still there ($(awk '{print $3, "ppid", $4}' "/proc/$ORPHAN_PID/stat" 2>/dev/null))"
fi
zombies=""
for pid in $(workers_of "$SERVER_PID"); do
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && zombies="$zombies $pid"
done
[ -z "$zombies" ] || die "zombies under the init:$zombies"
pass "orphan: detached sleep $ORPHAN_PID killed at the job's end and reaped by the init (no zombie)"

# ---- 6. What the chart relies on: ECS JSON logs, the SQLite store in JOBPOOL_DATA_DIR, nothing written
# into the application directory.
grep -Eq '"ecs\.version"|"ecs":\{"version"' "$W/server.log" || die "no ECS structured log line"
[ -n "$(ls -A "$W/data")" ] || die "nothing written to JOBPOOL_DATA_DIR"
find "$APP" -type f | sort | cmp -s - "$W/layout.before" || die "the server wrote into its application directory"
pass "ECS logs, store under JOBPOOL_DATA_DIR, application directory untouched"

# ---- 7. SIGTERM to the init (what the container runtime does): tini forwards it, the JVM drains and
# exits by itself within the bound, takes its workers along, and tini exits with java's status.
kill -TERM "$SERVER_PID"
deadline=$((SECONDS + STOP_TIMEOUT))
while alive "$SERVER_PID"; do
    [ "$SECONDS" -lt "$deadline" ] || die "still running ${STOP_TIMEOUT}s after SIGTERM"
    sleep 0.5
done
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
# 143 = 128 + SIGTERM: the JVM's normal exit status after running its shutdown hooks.
case "$status" in 0 | 143) ;; *) die "exit status $status after SIGTERM" ;; esac
sleep 1
for pid in $WORKER_PIDS; do
    if alive "$pid" && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
        die "worker $pid outlived the server"
    fi
done
pass "SIGTERM: exited with $status, no worker left behind"

echo "container-smoke: $PASSED passed, 0 failed"
