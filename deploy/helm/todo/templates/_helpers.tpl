{{/*
Names, labels and the table of services: what every template shares.
*/}}

{{/* The release's base name: the release name, or `<release>-todo` when it does not contain "todo". */}}
{{- define "todo.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "todo.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: todo
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
Labels that never change between chart versions, for resources whose operator copies their labels
onto pods and restarts the pods when they change (Strimzi's Kafka and KafkaNodePool).
*/}}
{{- define "todo.stableLabels" -}}
app.kubernetes.io/part-of: todo
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (a service, or the edge): pass (dict "root" $ "name" "task"). */}}
{{- define "todo.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
The services, in start order, and what each needs from the rest of the system. Kept equal to
scripts/lib/services.ts (SERVICES) by deploy/helm/chart.test.ts.
  api:        the API service it serves (the Gateway routes its RPC paths to it)
  paths:      plain HTTP paths it serves (the assistant's MCP endpoint)
  bus:        publishes or consumes events (the pubsub components are scoped to these)
  invokes:    the apps it calls through Dapr service invocation (every service but identity asks
              identity whether a token's session is live: docs/identity.md)
  internet:   reaches outside the cluster (webhooks and e-mail; a language model)
*/}}
{{- define "todo.serviceTable" -}}
identity:
  api: todo.identity.v1.AuthService
task:
  api: todo.task.v1.TaskService
  bus: true
  invokes: [identity]
tag:
  api: todo.tag.v1.TagService
  bus: true
  invokes: [identity]
scheduler:
  api: todo.scheduler.v1.SchedulerService
  bus: true
  invokes: [task, identity]
notification:
  api: todo.notification.v1.NotificationService
  bus: true
  internet: notification
  invokes: [identity]
assistant:
  api: todo.assistant.v1.AssistantService
  paths: [/mcp]
  invokes: [task, tag, identity]
  internet: assistant
{{- end -}}

{{/* The service names in start order (a list). */}}
{{- define "todo.serviceNames" -}}
{{- toJson (list "identity" "task" "tag" "scheduler" "notification" "assistant") -}}
{{- end -}}

{{/* The apps on the event bus, as a YAML list (the pubsub components' scopes). */}}
{{- define "todo.busApps" -}}
{{- $table := include "todo.serviceTable" . | fromYaml -}}
{{- range $name := include "todo.serviceNames" . | fromJsonArray }}
{{- if (get $table $name).bus }}
- {{ $name }}
{{- end }}
{{- end }}
{{- end -}}

{{/* One service's settings: serviceDefaults merged under services.<name>. Pass (dict "root" $ "name" "task"). */}}
{{- define "todo.serviceValues" -}}
{{- $own := get .root.Values.services .name | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.serviceDefaults) (deepCopy $own)) -}}
{{- end -}}

{{/* An image reference: pass (dict "image" .Values.image "root" $). */}}
{{- define "todo.image" -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "todo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "todo.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The Strimzi Kafka cluster's name, and its bootstrap address (host:port, plain listener). */}}
{{- define "todo.kafkaName" -}}
{{- .Values.kafka.strimzi.name | default (printf "%s-kafka" (include "todo.fullname" .)) -}}
{{- end -}}
{{- define "todo.kafkaBrokers" -}}
{{- if eq .Values.kafka.mode "strimzi" -}}
{{- printf "%s-kafka-bootstrap.%s.svc:9092" (include "todo.kafkaName" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.kafka.external.brokers -}}
{{- end -}}
{{- end -}}

{{/* The CloudNativePG cluster's name. */}}
{{- define "todo.dbName" -}}
{{- .Values.postgresql.cloudnativepg.name | default (printf "%s-db" (include "todo.fullname" .)) -}}
{{- end -}}

{{/* The Secret and key holding the database URL: `<secret>/<key>`. */}}
{{- define "todo.databaseUrlRef" -}}
{{- if eq .Values.postgresql.mode "cloudnativepg" -}}
{{- printf "%s-app/uri" (include "todo.dbName" .) -}}
{{- else -}}
{{- printf "%s/%s" .Values.postgresql.external.existingSecret .Values.postgresql.external.key -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the JWT key, and the key. */}}
{{- define "todo.jwtSecretName" -}}
{{- .Values.auth.jwt.existingSecret | default (printf "%s-jwt" (include "todo.fullname" .)) -}}
{{- end -}}
{{- define "todo.jwtSecretRef" -}}
{{- printf "%s/%s" (include "todo.jwtSecretName" .) .Values.auth.jwt.key -}}
{{- end -}}

{{/* Every Secret the pods read (the Role's resourceNames and the Dapr secret scopes), as a JSON list. */}}
{{- define "todo.readableSecrets" -}}
{{- $names := list (include "todo.jwtSecretName" .) (splitList "/" (include "todo.databaseUrlRef" .) | first) -}}
{{- if and (eq .Values.kafka.mode "external") (eq .Values.kafka.external.authType "password") -}}
{{- $names = append $names .Values.kafka.external.existingSecret -}}
{{- end -}}
{{- toJson (uniq $names) -}}
{{- end -}}

{{/* The TLS Secret of the public host. */}}
{{- define "todo.tlsSecretName" -}}
{{- printf "%s-tls" (include "todo.fullname" .) -}}
{{- end -}}

{{/*
The cert-manager issuer's name. A ClusterIssuer is cluster-wide, so its default name carries the
release's namespace too: two releases in two namespaces never claim the same one.
*/}}
{{- define "todo.issuerName" -}}
{{- $issuer := .Values.certManager.issuer -}}
{{- if $issuer.name -}}
{{- $issuer.name -}}
{{- else if eq $issuer.kind "ClusterIssuer" -}}
{{- printf "%s-%s-%s" (include "todo.fullname" .) .Release.Namespace $issuer.create | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" (include "todo.fullname" .) $issuer.create -}}
{{- end -}}
{{- end -}}

{{/* The restricted security context of every container (pod security standard "restricted"). */}}
{{- define "todo.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "todo.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Scheduling of one component's pods: only on nodes of an architecture the images have, spread over
nodes and zones. Pass (dict "root" $ "name" "task").
*/}}
{{- define "todo.scheduling" -}}
{{- $v := .root.Values -}}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - key: kubernetes.io/arch
              operator: In
              values: {{ toJson $v.nodeArchitectures }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "todo.selectorLabels" . | nindent 14 }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "todo.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* Where the services and sidecars send OTLP/HTTP (host:port): the telemetry setting, else the
release's own collector when enabled, else nothing (empty). */}}
{{- define "todo.otlpEndpoint" -}}
{{- if .Values.telemetry.otlpEndpoint -}}
{{- .Values.telemetry.otlpEndpoint -}}
{{- else if .Values.otelCollector.enabled -}}
{{- printf "%s-otel-collector.%s.svc:4318" (include "todo.fullname" .) .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/*
The OpenTelemetry settings of process "name" (a service or the edge; dict "root" "name"): its
service name, and with an endpoint the OTLP exporter for traces and logs (docs/tracing.md).
*/}}
{{- define "todo.otelEnv" -}}
- name: OTEL_SERVICE_NAME
  value: todo-{{ .name }}
{{- with include "todo.otlpEndpoint" .root }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: http://{{ . }}
- name: OTEL_LOGS_EXPORTER
  value: {{ ternary "otlp" "none" $.root.Values.telemetry.logs }}
{{- end }}
{{- end }}

{{/* The metrics settings of a process (docs/metrics.md). */}}
{{- define "todo.metricsEnv" -}}
{{- if .Values.metrics.enabled }}
- name: METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- end }}
- name: OTEL_METRICS_EXPORTER
  value: {{ ternary "otlp" "none" (eq .Values.metrics.export "otlp") }}
{{- end -}}
