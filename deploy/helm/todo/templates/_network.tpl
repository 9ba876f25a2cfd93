{{/* Egress rules the network policies share. */}}

{{/* Name resolution: the cluster DNS in kube-system. */}}
{{- define "todo.egressDns" -}}
# Name resolution (the cluster DNS).
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
    {{- include "todo.ipBlocks" .Values.networkPolicy.dnsCIDRs | nindent 4 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{/* A list of `{cidr, except}` as NetworkPolicy peers. */}}
{{- define "todo.ipBlocks" -}}
{{- range . }}
- ipBlock:
    cidr: {{ .cidr }}
    {{- with .except }}
    except: {{ toJson . }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* PostgreSQL: the CloudNativePG cluster's pods, or the external database's addresses. */}}
{{- define "todo.egressDatabase" -}}
# PostgreSQL.
{{- if eq .Values.postgresql.mode "cloudnativepg" }}
- to:
    - podSelector:
        matchLabels:
          cnpg.io/cluster: {{ include "todo.dbName" . }}
  ports:
    - port: 5432
      protocol: TCP
{{- else }}
- to:
    {{- include "todo.ipBlocks" .Values.postgresql.external.egressCIDRs | nindent 4 }}
  ports:
    - port: {{ .Values.postgresql.external.port }}
      protocol: TCP
{{- end }}
{{- end -}}

{{/* Kafka: the Strimzi cluster's pods (plain and TLS listeners), or the external brokers' ports. */}}
{{- define "todo.egressKafka" -}}
# Kafka.
{{- if eq .Values.kafka.mode "strimzi" }}
- to:
    - podSelector:
        matchLabels:
          strimzi.io/cluster: {{ include "todo.kafkaName" . }}
  ports:
    - port: 9092
      protocol: TCP
    - port: 9093
      protocol: TCP
{{- else }}
{{- $ports := list }}
{{- range $broker := splitList "," .Values.kafka.external.brokers }}
{{- $ports = append $ports (splitList ":" (trim $broker) | last | int) }}
{{- end }}
- to:
    {{- include "todo.ipBlocks" .Values.kafka.external.egressCIDRs | nindent 4 }}
  ports:
    {{- range $port := uniq $ports }}
    - port: {{ $port }}
      protocol: TCP
    {{- end }}
{{- end }}
{{- end -}}

{{/*
Egress to the OpenTelemetry collector (traces, logs and, with metrics.export=otlp, metrics): the
release's collector, or the namespaces of telemetry.otlpEndpoint's. Nothing without an endpoint.
*/}}
{{- define "todo.egressTelemetry" -}}
{{- if include "todo.otlpEndpoint" . }}
# Traces, logs (and, with metrics.export=otlp, metrics) to the OpenTelemetry collector.
- to:
    {{- if and .Values.otelCollector.enabled (not .Values.telemetry.otlpEndpoint) }}
    - podSelector:
        matchLabels:
          {{- include "todo.selectorLabels" (dict "root" . "name" "otel-collector") | nindent 10 }}
    {{- else }}
    - namespaceSelector: {{ toJson .Values.networkPolicy.telemetryNamespaceSelector }}
    {{- end }}
  ports:
    - port: 4317
      protocol: TCP
    - port: 4318
      protocol: TCP
{{- end }}
{{- end }}
