{{/*
Names and labels.
*/}}
{{- define "jobpool.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "jobpool.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "jobpool.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: only name and instance. A Deployment's selector is immutable, so nothing that
changes between releases (version, chart) may ever be added here.
*/}}
{{- define "jobpool.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jobpool.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "jobpool.labels" -}}
helm.sh/chart: {{ include "jobpool.chart" . }}
{{ include "jobpool.selectorLabels" . }}
app.kubernetes.io/version: {{ include "jobpool.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: jobpool
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "jobpool.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "jobpool.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "jobpool.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "jobpool.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "jobpool.imageTag" .) }}
{{- end }}
{{- end }}

{{/* The Secret the pod reads its secret environment from: the user's, or the chart's own. */}}
{{- define "jobpool.secretName" -}}
{{- default (include "jobpool.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* True ("true") when the chart renders its own Secret. */}}
{{- define "jobpool.createSecret" -}}
{{- if and (not .Values.secrets.existingSecret) (or .Values.secrets.apiKeys (include "jobpool.generatesApiKey" .) .Values.secrets.webhookSecret .Values.secrets.webhookSecondarySecret (and .Values.postgresql.enabled .Values.postgresql.password (not .Values.postgresql.existingSecret))) -}}
true
{{- end }}
{{- end }}

{{/*
The chart never ships an open API by default: without secrets.apiKeys or secrets.existingSecret it
generates an admin key into the Secret <fullname>-api-key (kept across upgrades), and gives the
server only the key's SHA-256.
*/}}
{{- define "jobpool.generatesApiKey" -}}
{{- if and (not .Values.secrets.existingSecret) (not .Values.secrets.apiKeys) .Values.secrets.generateApiKey -}}
true
{{- end }}
{{- end }}

{{- define "jobpool.apiKeySecretName" -}}
{{- printf "%s-api-key" (include "jobpool.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The generated key: the one already in the cluster, else a new one; the same in every template of a render. */}}
{{- define "jobpool.generatedApiKey" -}}
{{- if not (hasKey .Values.secrets "_generatedApiKey") -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "jobpool.apiKeySecretName" .) -}}
{{- $key := randAlphaNum 48 -}}
{{- if and $existing $existing.data (hasKey $existing.data "api-key") -}}
{{- $key = index $existing.data "api-key" | b64dec -}}
{{- end -}}
{{- $_ := set .Values.secrets "_generatedApiKey" $key -}}
{{- end -}}
{{- .Values.secrets._generatedApiKey -}}
{{- end }}

{{/* jobpool.security.api-keys as the server gets them: the configured ones, or the generated admin key's hash. */}}
{{- define "jobpool.apiKeysJson" -}}
{{- $keys := .Values.secrets.apiKeys -}}
{{- if include "jobpool.generatesApiKey" . -}}
{{- $keys = list (dict "name" "admin" "sha256" (include "jobpool.generatedApiKey" . | sha256sum) "roles" (list "admin")) -}}
{{- end -}}
{{- dict "jobpool" (dict "security" (dict "api-keys" $keys)) | toJson -}}
{{- end }}

{{/*
Storage. The embedded SQLite store is a file that one process opens: it gets a PersistentVolumeClaim
only for one replica without PostgreSQL. With PostgreSQL, /data is an emptyDir (nothing durable
is written there).
*/}}
{{- define "jobpool.usesEmbeddedStore" -}}
{{- if not .Values.postgresql.enabled -}}true{{- end }}
{{- end }}

{{- define "jobpool.dataClaimName" -}}
{{- if and (include "jobpool.usesEmbeddedStore" .) .Values.persistence.enabled (eq (int .Values.replicaCount) 1) -}}
{{- default (printf "%s-data" (include "jobpool.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}
{{- end }}

{{/* True when the chart itself creates the PVC (not for an existingClaim). */}}
{{- define "jobpool.createPVC" -}}
{{- if and (include "jobpool.dataClaimName" .) (not .Values.persistence.existingClaim) -}}true{{- end }}
{{- end }}

{{- define "jobpool.autoscaled" -}}
{{- if or .Values.autoscaling.enabled .Values.keda.enabled -}}true{{- end }}
{{- end }}

{{/*
Durations. Spring reads "500ms", "30s", "2m", "1h", "7d" (and ISO-8601); the chart needs the grace in
seconds to size terminationGracePeriodSeconds, so only the simple forms are accepted
(values.schema.json says the same).
*/}}
{{- define "jobpool.durationSeconds" -}}
{{- $d := toString . -}}
{{- if regexMatch "^[0-9]+ms$" $d -}}
{{- div (add (trimSuffix "ms" $d | atoi) 999) 1000 -}}
{{- else if regexMatch "^[0-9]+s$" $d -}}
{{- trimSuffix "s" $d | atoi -}}
{{- else if regexMatch "^[0-9]+m$" $d -}}
{{- mul (trimSuffix "m" $d | atoi) 60 -}}
{{- else if regexMatch "^[0-9]+h$" $d -}}
{{- mul (trimSuffix "h" $d | atoi) 3600 -}}
{{- else if regexMatch "^[0-9]+d$" $d -}}
{{- mul (trimSuffix "d" $d | atoi) 86400 -}}
{{- else -}}
{{- fail (printf "cannot read duration %q: write it as e.g. 500ms, 30s, 2m, 1h" $d) -}}
{{- end -}}
{{- end }}

{{/* jobpool.shutdown.grace in seconds (the app's drain time for running jobs after SIGTERM). */}}
{{- define "jobpool.graceSeconds" -}}
{{- include "jobpool.durationSeconds" (dig "shutdown" "grace" "30s" .Values.jobpool) -}}
{{- end }}

{{/*
Spring's per-phase shutdown timeout must outlast the jobpool drain, or Spring would cut the drain
short: grace plus the slack for killing leftover workers and re-queueing their jobs.
*/}}
{{- define "jobpool.lifecycleTimeoutSeconds" -}}
{{- add (include "jobpool.graceSeconds" . | atoi) .Values.shutdown.slackSeconds -}}
{{- end }}

{{/*
The kubelet sends SIGKILL terminationGracePeriodSeconds after it starts the preStop hook, and the
preStop sleep counts against that budget. So: preStop sleep + drain grace + slack, unless set.
*/}}
{{- define "jobpool.terminationGracePeriodSeconds" -}}
{{- if .Values.terminationGracePeriodSeconds -}}
{{- .Values.terminationGracePeriodSeconds -}}
{{- else -}}
{{- add (int .Values.lifecycle.preStopSleepSeconds) (include "jobpool.lifecycleTimeoutSeconds" . | atoi) -}}
{{- end -}}
{{- end }}

{{/*
PromQL label matchers that pick this release's series. With the ServiceMonitor below, Prometheus
sets job to the Service's name and namespace to its namespace.
*/}}
{{- define "jobpool.promSelector" -}}
{{- if .Values.metrics.selector -}}
{{- .Values.metrics.selector -}}
{{- else -}}
{{- printf "job=%q,namespace=%q" (include "jobpool.fullname" .) .Release.Namespace -}}
{{- end -}}
{{- end }}

{{- define "jobpool.jdbcUrl" -}}
{{- $pg := .Values.postgresql -}}
{{- printf "jdbc:postgresql://%s:%d/%s" $pg.host (int $pg.port) $pg.database -}}
{{- with $pg.parameters }}?{{ . }}{{ end -}}
{{- end }}

{{/*
Checks that values.schema.json cannot express (or that must hold even with --skip-schema-validation).
*/}}
{{/*
Secrets under the ConfigMap's values are refused, in any spelling Spring binds: keys in any case,
with or without '-' and '_' (secondary-secret, secondarySecret, secondary_secret, Secret), nested or
written as one dotted key (webhooks.secret: ...), list entries indexed ([0]). The application reads
them all, so a check of one spelling let the others into a ConfigMap in plain text. Walks the
values recursively: .node is a map, .path the dotted path to it.
*/}}
{{- define "jobpool.refuseSecrets" -}}
{{- $path := .path }}
{{- range $key, $value := .node }}
{{- $full := printf "%s.%s" $path $key }}
{{- $normal := regexReplaceAll "\\[[0-9]+\\]" ($full | lower | replace "-" "" | replace "_" "") "" }}
{{- if hasSuffix "jobpool.webhooks.secret" $normal }}
{{- fail (printf "Set the webhook signing secret in secrets.webhookSecret (a Secret), not %s (a ConfigMap)." $full) }}
{{- end }}
{{- if hasSuffix "jobpool.webhooks.secondarysecret" $normal }}
{{- fail (printf "Set the second webhook signing secret in secrets.webhookSecondarySecret (a Secret), not %s (a ConfigMap)." $full) }}
{{- end }}
{{- if or (hasSuffix "jobpool.security.apikeys" $normal) (contains "jobpool.security.apikeys." $normal) }}
{{- fail (printf "Set API keys in secrets.apiKeys (a Secret), not %s (a ConfigMap)." $full) }}
{{- end }}
{{- if kindIs "map" $value }}
{{- include "jobpool.refuseSecrets" (dict "node" $value "path" $full) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "jobpool.validate" -}}
{{- if and .Values.autoscaling.enabled .Values.keda.enabled }}
{{- fail "autoscaling.enabled (HorizontalPodAutoscaler) and keda.enabled (KEDA ScaledObject) are mutually exclusive: KEDA creates and owns its own HPA. Enable one." }}
{{- end }}
{{- if and (not .Values.postgresql.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "replicaCount > 1 needs postgresql.enabled=true: the embedded SQLite store is a file that one process opens." }}
{{- end }}
{{- if and (not .Values.postgresql.enabled) (include "jobpool.autoscaled" .) }}
{{- fail "autoscaling.enabled / keda.enabled need postgresql.enabled=true: several replicas must share PostgreSQL." }}
{{- end }}
{{- if and .Values.postgresql.enabled (not .Values.postgresql.host) }}
{{- fail "postgresql.enabled=true needs postgresql.host." }}
{{- end }}
{{- if and .Values.keda.enabled (not .Values.keda.prometheus.serverAddress) }}
{{- fail "keda.enabled=true needs keda.prometheus.serverAddress (the Prometheus that scrapes jobpool_queue_depth)." }}
{{- end }}
{{- include "jobpool.refuseSecrets" (dict "node" .Values.jobpool "path" "jobpool") }}
{{- include "jobpool.refuseSecrets" (dict "node" (.Values.extraConfig | default dict) "path" "extraConfig") }}
{{- if and .Values.secrets.existingSecret (or .Values.secrets.apiKeys .Values.secrets.webhookSecret .Values.secrets.webhookSecondarySecret) }}
{{- fail "secrets.existingSecret is set, so secrets.apiKeys / secrets.webhookSecret / secrets.webhookSecondarySecret would be ignored: put them in that Secret (SPRING_APPLICATION_JSON, JOBPOOL_WEBHOOKS_SECRET, JOBPOOL_WEBHOOKS_SECONDARYSECRET) or drop existingSecret." }}
{{- end }}
{{- if and (not .Values.secrets.existingSecret) (not .Values.secrets.apiKeys) (not .Values.secrets.generateApiKey) (not .Values.secrets.allowOpen) }}
{{- fail "no API key: set secrets.apiKeys, secrets.existingSecret or secrets.generateApiKey=true; to run the API open to anyone who reaches it, set secrets.allowOpen=true." }}
{{- end }}
{{- if and .Values.secrets.existingSecret .Values.postgresql.password (not .Values.postgresql.existingSecret) }}
{{- fail "secrets.existingSecret is set, so postgresql.password would be ignored: use postgresql.existingSecret, or put SPRING_DATASOURCE_PASSWORD in secrets.existingSecret and leave postgresql.password empty." }}
{{- end }}
{{- if or (hasKey .Values.jobpool "data-dir") (hasKey .Values.jobpool "dataDir") (hasKey .Values.jobpool "data_dir") }}
{{- fail "jobpool.data-dir is fixed by the chart to the mounted volume /data; remove it." }}
{{- end }}
{{- if or (hasKey .Values.jobpool "node-id") (hasKey .Values.jobpool "nodeId") }}
{{- fail "jobpool.node-id is set by the chart to each pod's name (JOBPOOL_NODEID), which a value here could not override; remove it." }}
{{- end }}
{{- end }}

{{/*
The ConfigMap holding Python task modules: the chart's own (pythonTasks.files) or an existing one;
empty when Python tasks come from elsewhere (extraVolumes) or not at all.
*/}}
{{- define "jobpool.pythonTasks.configMap" -}}
{{- if .Values.pythonTasks.files -}}
{{ include "jobpool.fullname" . }}-python-tasks
{{- else if .Values.pythonTasks.existingConfigMap -}}
{{ .Values.pythonTasks.existingConfigMap }}
{{- end -}}
{{- end }}
