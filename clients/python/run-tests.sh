#!/usr/bin/env bash
# The Python client's tests against a real server: starts the built jar (Java 25) on free loopback
# ports with a temporary data dir and the client tests' Python tasks (tests/tasks), waits for
# readiness, runs `python3 -m unittest` on the given test modules (default: all of tests/), and
# kills the server by PID whatever happens. Builds nothing: run `./mvnw verify` (or package) first.
#
# Usage: clients/python/run-tests.sh [test_module ...]   e.g. run-tests.sh test_pool
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR=${JOBPOOL_JAR:-$ROOT/target/jobpool-0.1.0-SNAPSHOT.jar}
START_TIMEOUT=${JOBPOOL_CLIENT_START_TIMEOUT:-90}

if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
else
    JAVA=$(command -v java)
fi
[ -f "$JAR" ] || { echo "no jar at $JAR: build it first (./mvnw package)"; exit 1; }

. "$ROOT/.ci/free-ports.sh"

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

read -r PORT MANAGEMENT_PORT <<<"$(free_ports 2)"
JOBPOOL_DATA_DIR="$WORK/data" \
JOBPOOL_POOL_SIZE=2 \
JOBPOOL_PYTHON_TASKS_DIR="$HERE/tests/tasks" \
JOBPOOL_PYTHON_POOL_SIZE=2 \
SERVER_PORT=$PORT \
SERVER_ADDRESS=127.0.0.1 \
MANAGEMENT_SERVER_PORT=$MANAGEMENT_PORT \
MANAGEMENT_SERVER_ADDRESS=127.0.0.1 \
    "$JAVA" -jar "$JAR" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 $((START_TIMEOUT * 5))); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$MANAGEMENT_PORT/actuator/health/readiness', timeout=2)" 2>/dev/null; then
        ready=yes; break
    fi
    sleep 0.2  # polling readiness
done
if [ -z "$ready" ]; then
    echo "server did not become ready; last lines of its log:"; tail -n 40 "$WORK/server.log"
    exit 1
fi

cd "$HERE/tests"
status=0
if [ $# -gt 0 ]; then
    JOBPOOL_URL="http://127.0.0.1:$PORT" python3 -m unittest -v "$@" || status=$?
else
    JOBPOOL_URL="http://127.0.0.1:$PORT" python3 -m unittest discover -v -s . -t . -p 'test_*.py' || status=$?
fi
if [ $status -ne 0 ]; then
    echo "---- last lines of the server log ----"; tail -n 40 "$WORK/server.log" | cut -c1-400
fi
exit $status
