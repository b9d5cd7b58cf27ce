#!/usr/bin/env bash
# The dashboard and the alerts, checked against a real server and a real Prometheus.
#
#  1. Starts the built jar (Java 25) on free loopback ports with a temporary data dir and
#     JOBPOOL_POOL_SIZE=2, and waits for readiness.
#  2. promtool check metrics on a live scrape of /actuator/prometheus.
#  3. Starts Debian's prometheus on 127.0.0.1, scraping the management port every second and
#     loading the chart's rendered PrometheusRule, with the job/namespace labels a ServiceMonitor
#     would give (so the rules' default selector matches).
#  4. Drives a short, bounded load: square, sleep(0.05), echo and fail jobs, a few with a webhook to
#     a local receiver, one that times out (a worker restart), worker recycling, and one job that
#     leaves a detached process behind (the diagnostic task orphan, so the leftover-kill counter
#     has a sample).
#  5. Runs every PromQL expression of the dashboard (Grafana variables replaced) and of the
#     PrometheusRule through /api/v1/query: each must succeed and return data, except the alerts
#     listed in EXPECTED_EMPTY (they must not fire on a healthy service): for those the query must
#     be valid and every metric it reads must exist for this job. Every rule must also evaluate
#     without error inside Prometheus.
#
# Usage: .ci/prometheus-check.sh [path/to/jobpool.jar]
# Only 127.0.0.1 is contacted. Everything started here is killed by PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Tool installers and render helpers (ensure_helm, ensure_promtool, ensure_jq, manifest, ...).
# shellcheck source=ops-checks.sh
source "$ROOT/.ci/ops-checks.sh"

JAR=${1:-$ROOT/target/jobpool-0.1.0-SNAPSHOT.jar}
START_TIMEOUT=${JOBPOOL_PROM_START_TIMEOUT:-60}
LOAD_JOBS=${JOBPOOL_PROM_LOAD_JOBS:-200}
LOAD_SECONDS=${JOBPOOL_PROM_LOAD_SECONDS:-60}
DRAIN_TIMEOUT=${JOBPOOL_PROM_DRAIN_TIMEOUT:-120}
MIN_SCRAPES=${JOBPOOL_PROM_MIN_SCRAPES:-15}
# The labels Prometheus would attach through the chart's ServiceMonitor: job = Service name
# (the release's fullname), namespace = release namespace. The rules are rendered for the same.
RELEASE=jobpool
NAMESPACE=jobpool-ci
SCOPE="job=\"$RELEASE\",namespace=\"$NAMESPACE\""

# Alerts that must stay silent on a healthy service. Their expressions are only checked for
# validity and for reading metrics that exist; any alert not listed here must return data.
EXPECTED_EMPTY=(
    JobpoolQueueNotDraining
    JobpoolNoIdleWorker
    JobpoolWorkerRestartsHigh
    JobpoolWorkerBootFailing
    JobpoolWebhookDeliveriesFailing
    JobpoolWebhookDeliveriesGaveUp
    JobpoolWebhookBacklog
    JobpoolInstanceDown
    JobpoolMetricsAbsent
)

if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
else
    JAVA=$(command -v java)
fi

PIDS=()        # everything started here, killed in reverse order on exit
SERVER_PID=""
W=""
PASSED=0
FAILED=0

ok() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
abort() {
    bad "$*"
    for f in server.log prometheus.log; do
        if [ -n "$W" ] && [ -s "$W/$f" ]; then
            echo "---- last lines of $f ----"
            tail -n 30 "$W/$f" | cut -c1-600 | sed 's/^/    /'
        fi
    done
    echo "prometheus-check: $PASSED passed, $FAILED failed"
    exit 1
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

children_of() { # PID: direct children, from /proc
    local parent=$1 stat line rest pid
    for stat in /proc/[0-9]*/stat; do
        line=$(cat "$stat" 2>/dev/null) || continue
        rest=${line##*) }
        set -- $rest
        if [ "${2:-}" = "$parent" ]; then pid=${stat#/proc/}; echo "${pid%/stat}"; fi
    done
}

cleanup() {
    local i pid workers=""
    alive "$SERVER_PID" && workers=$(children_of "$SERVER_PID" | tr '\n' ' ')
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[$i]}
        alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 20); do
        local any=""
        for pid in "${PIDS[@]}"; do alive "$pid" && any=1; done
        [ -z "$any" ] && break
        sleep 0.5
    done
    for pid in "${PIDS[@]}" $workers; do
        alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    done
    [ -n "$W" ] && rm -rf "$W"
}
trap cleanup EXIT

. "$(dirname "$0")/free-ports.sh"

wait_http() { # URL SECONDS PID [GREP]
    local deadline=$((SECONDS + $2))
    until grep -q "${4:-.}" <<<"$(curl -fsS --max-time 2 "$1" 2>/dev/null)"; do
        alive "$3" || return 1
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 1
    done
}

# Instant query; prints the JSON answer.
promql() {
    curl -sS --max-time 10 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
}

# Grafana's variables: intervals become 1m, template variables match anything.
grafana_to_promql() {
    sed -e 's/\$__rate_interval/1m/g' -e 's/\$__interval/1m/g' -e 's/\$__range/1h/g' \
        -e 's/\${[A-Za-z_][A-Za-z0-9_]*}/.*/g' -e 's/\$[A-Za-z_][A-Za-z0-9_]*/.*/g'
}

# Metric names an expression reads (every selector in our queries carries braces).
metrics_in() {
    grep -oE '[a-zA-Z_:][a-zA-Z0-9_:]*\{' <<<"$1" | tr -d '{' | sort -u
}

# ------------------------------------------------------------------------------------------------

[ -f "$JAR" ] || abort "no jar at $JAR (build it first)"
grep -q 'version "2[5-9]' <<<"$("$JAVA" -version 2>&1)" || abort "$JAVA is not Java 25+"
ensure_helm
ensure_promtool
ensure_jq
command -v python3 >/dev/null 2>&1 || apt_install python3

W=$(mktemp -d)
mkdir -p "$W/data" "$W/tmp" "$W/tsdb"
read -r APP_PORT MGMT_PORT PROM_PORT HOOK_PORT <<<"$(free_ports 4)"

# ---- 1. the server
JOBPOOL_POOL_SIZE=2 \
JOBPOOL_POOL_MAX_TASKS_PER_WORKER=40 \
JOBPOOL_TASKS_DIAGNOSTICS=true \
JOBPOOL_DATA_DIR="$W/data" \
JOBPOOL_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true \
JOBPOOL_WEBHOOKS_SECRET="whsec_$(head -c 32 /dev/urandom | base64)" \
SERVER_PORT=$APP_PORT \
MANAGEMENT_SERVER_PORT=$MGMT_PORT \
    "$JAVA" -Djava.io.tmpdir="$W/tmp" -jar "$JAR" >"$W/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_http "http://127.0.0.1:$MGMT_PORT/actuator/health/readiness" "$START_TIMEOUT" "$SERVER_PID" '"status":"UP"' \
    || abort "server not ready within ${START_TIMEOUT}s"
ok "server ready (API 127.0.0.1:$APP_PORT, management 127.0.0.1:$MGMT_PORT)"

# ---- 2. webhook receiver: answers 204 to every POST, so deliveries succeed.
cat >"$W/receiver.py" <<'EOF'
import http.server, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
EOF
python3 "$W/receiver.py" "$HOOK_PORT" >"$W/receiver.log" 2>&1 &
PIDS+=("$!")

# ---- 3. Prometheus with the chart's rules
helm template "$RELEASE" "$CHART" --namespace "$NAMESPACE" --api-versions monitoring.coreos.com/v1 \
    --set metrics.prometheusRule.enabled=true --show-only templates/prometheusrule.yaml >"$W/prometheusrule.yaml" \
    || abort "helm template of the PrometheusRule failed"
rules_from_render "$W/prometheusrule.yaml" >"$W/rules.yaml"
promtool check rules "$W/rules.yaml" >/dev/null || abort "promtool check rules failed on the rendered rules"
cat >"$W/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $W/rules.yaml
scrape_configs:
  - job_name: $RELEASE
    metrics_path: /actuator/prometheus
    static_configs:
      - targets: ["127.0.0.1:$MGMT_PORT"]
        labels:
          namespace: $NAMESPACE
EOF
prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$W/prometheus.log" 2>&1 &
PROM_PID=$!
PIDS+=("$PROM_PID")
wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 30 "$PROM_PID" || abort "prometheus not ready"
ok "prometheus on 127.0.0.1:$PROM_PORT scraping every 1s with $(grep -c 'alert:' "$W/rules.yaml") alert rules"

# ---- 4. bounded load
submit() { # BODY -> prints the HTTP status
    curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data "$1" "http://127.0.0.1:$APP_PORT/v1/jobs" || echo 000
}
hook="http://127.0.0.1:$HOOK_PORT/hook"
accepted=0
rejected=0
deadline=$((SECONDS + LOAD_SECONDS))
# One job that overruns its timeout: the worker is killed and replaced (reason timeout).
[ "$(submit '{"task":"sleep","args":[5],"timeoutSeconds":1}')" = 202 ] && accepted=$((accepted + 1)) || rejected=$((rejected + 1))
# One job that leaves a detached process running: killed when the job ends (leftover processes).
[ "$(submit '{"task":"orphan","args":[97.5]}')" = 202 ] && accepted=$((accepted + 1)) || rejected=$((rejected + 1))
for i in $(seq 1 "$LOAD_JOBS"); do
    [ "$SECONDS" -lt "$deadline" ] || break
    case $((i % 4)) in
        0) body="{\"task\":\"square\",\"args\":[$i]}" ;;
        1) body='{"task":"sleep","args":[0.05]}' ;;
        2) body='{"task":"fail","args":["boom"]}' ;;
        3) body="{\"task\":\"echo\",\"args\":[$i]}" ;;
    esac
    if [ $((i % 20)) -eq 0 ]; then
        body="${body%\}},\"callbackUrl\":\"$hook\",\"errorCallbackUrl\":\"$hook\"}"
    fi
    if [ "$(submit "$body")" = 202 ]; then accepted=$((accepted + 1)); else rejected=$((rejected + 1)); fi
done
[ "$rejected" -eq 0 ] && ok "load: $accepted jobs accepted (202)" || bad "load: $accepted accepted, $rejected not 202"

# Drained: every accepted job has reached a final state (counted from the server's own counter,
# which is what the dashboard shows).
completed_total() {
    curl -fsS --max-time 5 "http://127.0.0.1:$MGMT_PORT/actuator/prometheus" 2>/dev/null \
        | awk '/^jobpool_jobs_completed_total\{/ { s += $NF } END { printf "%d\n", s }'
}
deadline=$((SECONDS + DRAIN_TIMEOUT))
until [ "$(completed_total)" -ge "$accepted" ]; do
    alive "$SERVER_PID" || abort "the server died under load"
    [ "$SECONDS" -lt "$deadline" ] || abort "only $(completed_total) of $accepted jobs finished within ${DRAIN_TIMEOUT}s"
    sleep 1
done
ok "all $accepted accepted jobs finished (jobpool_jobs_completed_total)"
sleep 2
pool=$(curl -fsS --max-time 5 "http://127.0.0.1:$APP_PORT/v1/pool" || true)
grep -Eq '"queued":0,' <<<"$pool" && ok "GET /v1/pool reports an empty queue after the drain" \
    || bad "GET /v1/pool still reports queued jobs after every job finished: $pool"

# ---- 5. promtool check metrics on a live scrape (now that every family has samples)
curl -fsS --max-time 5 "http://127.0.0.1:$MGMT_PORT/actuator/prometheus" >"$W/scrape.txt" || abort "scrape failed"
for family in jobpool_jobs_submitted_total jobpool_jobs_completed_total jobpool_job_duration_seconds_bucket \
              jobpool_job_queue_wait_seconds_bucket jobpool_queue_depth jobpool_workers jobpool_worker_restarts_total \
              jobpool_webhook_deliveries_total jobpool_webhook_deliveries_pending jobpool_leftover_processes_killed_total; do
    grep -q "^${family}[{ ]" "$W/scrape.txt" && ok "scrape has $family" || bad "scrape lacks $family"
done
status=0
promtool check metrics <"$W/scrape.txt" >"$W/lint.txt" 2>&1 || status=$?
# Exit 3 means lint findings, anything else but 0 a parse error.
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    bad "promtool check metrics could not parse the scrape (exit $status)"; sed 's/^/      /' "$W/lint.txt"
elif [ -s "$W/lint.txt" ]; then
    # The whole scrape, not only jobpool_*: dashboards and CI lint what they scrape
    # (io.jobpool.metrics.PrometheusLint fixes or leaves out the upstream names promtool rejects).
    bad "promtool check metrics: findings on the scrape"; sed 's/^/      /' "$W/lint.txt"
else
    ok "promtool check metrics: the whole scrape is clean ($(grep -c . "$W/scrape.txt") lines scraped)"
fi

# ---- 6. enough samples in Prometheus, including the drained state
deadline=$((SECONDS + 90))
while :; do
    n=$(promql "count_over_time(up{$SCOPE}[10m])" | jq -r '.data.result[0].value[1] // 0')
    [ "${n%.*}" -ge "$MIN_SCRAPES" ] && break
    [ "$SECONDS" -lt "$deadline" ] || abort "prometheus has only $n scrapes of the server"
    sleep 1
done
sleep 3 # a few more scrapes after the drain
[ "$(promql "up{$SCOPE}" | jq -r '.data.result[0].value[1]')" = 1 ] || abort "target not up in prometheus"
ok "prometheus holds $n+ scrapes of the server"

# ---- 7. every dashboard query returns data
check_query() { # KIND NAME EXPR
    local answer
    answer=$(promql "$3") || { bad "$1 $2: query request failed"; return; }
    if [ "$(jq -r .status <<<"$answer")" != success ]; then
        bad "$1 $2: $(jq -r .error <<<"$answer")"; echo "      $3"; return
    fi
    if [ "$(jq '.data.result | length' <<<"$answer")" -eq 0 ]; then
        bad "$1 $2: no data"; echo "      $3"; return
    fi
    ok "$1 $2 ($(jq '.data.result | length' <<<"$answer") series)"
}

n=0
while IFS= read -r expr; do
    n=$((n + 1))
    title=$(jq -r --argjson e "$expr" '[.. | objects | select(.targets? != null) | select(any(.targets[]; .expr == $e)) | .title][0]' \
        "$CHART/dashboards/jobpool.json")
    check_query dashboard "#$n \"$title\"" "$(jq -r . <<<"$expr" | grafana_to_promql)"
done < <(jq -c '.. | objects | select(has("expr")) | .expr' "$CHART/dashboards/jobpool.json")
[ "$n" -gt 10 ] || bad "only $n dashboard queries found"

# ---- 8. every alert: valid, reads existing metrics of this job, returns data unless expected empty
sleep 2 # at least one rule evaluation after the load
curl -fsS --max-time 10 "http://127.0.0.1:$PROM_PORT/api/v1/rules" >"$W/rules.json" || abort "cannot list rules"
rule_count=$(jq '[.data.groups[].rules[]] | length' "$W/rules.json")
[ "$rule_count" -eq "$(grep -c 'alert:' "$W/rules.yaml")" ] || bad "prometheus loaded $rule_count rules"
while IFS=$'\t' read -r name health query; do
    [ "$health" = ok ] || bad "alert $name evaluates with health '$health': $(jq -r --arg n "$name" '.data.groups[].rules[] | select(.name == $n) | .lastError' "$W/rules.json")"
    if grep -qx "$name" <<<"$(printf '%s\n' "${EXPECTED_EMPTY[@]}")"; then
        answer=$(promql "$query")
        if [ "$(jq -r .status <<<"$answer")" != success ]; then
            bad "alert $name: $(jq -r .error <<<"$answer")"; continue
        fi
        missing=""
        for m in $(metrics_in "$query"); do
            c=$(promql "count($m{$SCOPE})" | jq '.data.result | length')
            [ "$c" -gt 0 ] || missing="$missing $m"
        done
        if [ -n "$missing" ]; then
            bad "alert $name reads metrics that do not exist for {$SCOPE}:$missing"
        else
            ok "alert $name: valid, reads existing series ($(metrics_in "$query" | tr '\n' ' ')), expected silent"
        fi
    else
        check_query alert "$name" "$query"
    fi
done < <(jq -r '.data.groups[].rules[] | [.name, .health, .query] | @tsv' "$W/rules.json")

echo "prometheus-check: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
