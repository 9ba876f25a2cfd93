{{/* The Kafka connection of both pub/sub components: brokers, authentication, TLS. */}}
{{- define "todo.kafkaMetadata" -}}
- name: brokers
  value: {{ include "todo.kafkaBrokers" . | quote }}
{{- if and (eq .Values.kafka.mode "external") (eq .Values.kafka.external.authType "password") }}
- name: authType
  value: password
- name: saslMechanism
  value: {{ .Values.kafka.external.saslMechanism | quote }}
- name: saslUsername
  secretKeyRef:
    name: {{ .Values.kafka.external.existingSecret }}
    key: {{ .Values.kafka.external.usernameKey }}
- name: saslPassword
  secretKeyRef:
    name: {{ .Values.kafka.external.existingSecret }}
    key: {{ .Values.kafka.external.passwordKey }}
- name: disableTls
  value: {{ not .Values.kafka.external.tls | quote }}
{{- else }}
- name: authType
  value: none
{{- end }}
- name: clientID
  value: "{appID}"
# Retries are the runtime's (files/dapr/resiliency.yaml), which dead-letters when they are spent.
- name: consumeRetryEnabled
  value: "false"
{{- end -}}
