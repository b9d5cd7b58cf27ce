#!/usr/bin/env bash
# Builds the example plugin, installs it into a plugins directory, starts the built jobpool jar
# with that directory and runs the plugin's task through the HTTP API. Used by CI; also a recipe.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jar=target/jobpool-0.1.0-SNAPSHOT.jar
spi=target/jobpool-0.1.0-SNAPSHOT-spi.jar
[ -f "$jar" ] && [ -f "$spi" ] || ./mvnw -B -ntp -q package -DskipTests
java_bin=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -x "$java_bin" ] || java_bin=java

# Put the SPI jar where the plugin's build resolves it, without rebuilding jobpool.
./mvnw -B -ntp -q install:install-file -Dfile="$spi" -DgroupId=io.jobpool -DartifactId=jobpool \
    -Dversion=0.1.0-SNAPSHOT -Dclassifier=spi -Dpackaging=jar
./mvnw -B -ntp -q -f examples/word-count/pom.xml package

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        workers=$(pgrep -P "$server_pid" || true)
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" $workers 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins"
cp examples/word-count/target/jobpool-word-count-1.0.0.jar "$work/plugins/"

# Both ports chosen by the kernel at once: port + 1 was once taken by another process's connection
# and the server refused to start.
. "$root/.ci/free-ports.sh"
read -r port mport <<<"$(free_ports 2)"
JOBPOOL_POOL_PLUGINS_DIR="$work/plugins" JOBPOOL_POOL_SIZE=1 JOBPOOL_DATA_DIR="$work/data" \
    SERVER_PORT=$port MANAGEMENT_SERVER_PORT=$mport "$java_bin" -Djava.io.tmpdir="$work" -jar "$jar" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$mport/actuator/health/readiness" >/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
done

tasks=$(curl -sf "http://127.0.0.1:$port/v1/tasks")
echo "$tasks" | grep -q '"name":"word-count"' || { echo "FAIL: word-count not registered: $tasks"; exit 1; }
answer=$(curl -sf -X POST "http://127.0.0.1:$port/v1/jobs?wait=30" -H 'Content-Type: application/json' \
    -d '{"task":"word-count","args":["the cat and the hat"]}')
echo "$answer"
echo "$answer" | grep -q '"status":"SUCCEEDED"' || { echo "FAIL: job did not succeed"; exit 1; }
echo "$answer" | grep -q '"result":{"words":5,"counts":{"and":1,"cat":1,"hat":1,"the":2}}' \
    || { echo "FAIL: unexpected result"; exit 1; }
echo "$answer" | grep -q '"progress":{"fraction":1.0,"message":"5 words counted"}' \
    || { echo "FAIL: the plugin's progress report is missing"; exit 1; }
refused=$(curl -sf -X POST "http://127.0.0.1:$port/v1/jobs?wait=30" -H 'Content-Type: application/json' \
    -d '{"task":"word-count","args":["a b"],"kwargs":{"lang":"en"}}')
echo "$refused" | grep -q '"status":"FAILED"' && echo "$refused" | grep -q "unexpected keyword argument 'lang'" \
    || { echo "FAIL: an argument the plugin takes no parameter for was not refused: $refused"; exit 1; }
echo "PASS: example plugin word-count ran through the API"
