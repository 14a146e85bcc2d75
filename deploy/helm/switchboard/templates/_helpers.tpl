{{/* The four services, in the order they are rendered. */}}
{{- define "switchboard.services" -}}
intake routing escalation feedback
{{- end -}}

{{- define "switchboard.fullname" -}}
{{- if contains "switchboard" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-switchboard" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A service's resource name: <fullname>-<service>. Args: (dict "root" $ "name" "intake") */}}
{{- define "switchboard.name" -}}
{{- printf "%s-%s" (include "switchboard.fullname" .root) .name -}}
{{- end -}}

{{- define "switchboard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/name: switchboard
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: switchboard
{{- with .name }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{- define "switchboard.selectorLabels" -}}
app.kubernetes.io/name: switchboard
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "switchboard.image" -}}
{{- $image := .root.Values.image -}}
{{- $repository := printf "switchboard-%s" .name -}}
{{- with $image.registry }}{{ $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}{{ end -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{/* The Secret holding jwt-secret, intake-adapter-secret-keys, feedback-link-secrets. */}}
{{- define "switchboard.secretName" -}}
{{- default (include "switchboard.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* SWITCHBOARD_INTAKE_ and so on. */}}
{{- define "switchboard.prefix" -}}
{{- printf "SWITCHBOARD_%s_" (upper .) -}}
{{- end -}}

{{/* Topics to create: every topic of libs/contracts, then each consumer group's
dead-letter topic (tests/deploy/test_helm.py checks both against the code). */}}
{{- define "switchboard.topics" -}}
switchboard.cases switchboard.assignments switchboard.agent-status switchboard.staffing
switchboard.sla switchboard.escalations switchboard.surveys switchboard.feedback-alerts switchboard.problems
switchboard.dlq.intake switchboard.dlq.routing switchboard.dlq.escalation switchboard.dlq.feedback
{{- end -}}

{{- define "switchboard.topicConfig" -}}
{{- range $key, $value := .Values.topics.config }}--config {{ $key }}={{ $value }} {{ end -}}
{{- end -}}

{{/* A service's plain settings, name: value, for its ConfigMap and its migration Job.
Args: (dict "root" $ "name" "intake") */}}
{{- define "switchboard.settings" -}}
{{- $v := .root.Values -}}
{{- $svc := index $v .name -}}
{{- $p := include "switchboard.prefix" .name -}}
{{- $urls := $v.publicUrls -}}
{{- $settings := dict
      "KAFKA_BOOTSTRAP_SERVERS" $v.kafka.bootstrapServers
      (print $p "ENVIRONMENT") $v.environment
      (print $p "HTTP_HOST") "0.0.0.0"
      (print $p "HTTP_PORT") (toString $svc.port)
      (print $p "TOPIC_PARTITIONS") (toString $v.topics.partitions)
      (print $p "OTEL_EXPORTER") $v.tracing.exporter -}}
{{- with $v.tracing.endpoint }}{{ $_ := set $settings (print $p "OTEL_ENDPOINT") . }}{{ end -}}
{{- $k := $v.kafka -}}
{{- $_ := set $settings "KAFKA_SECURITY_PROTOCOL" $k.securityProtocol -}}
{{- $_ := set $settings "KAFKA_REPLICATION_FACTOR" (toString $v.topics.replicationFactor) -}}
{{- if hasPrefix "SASL_" $k.securityProtocol -}}
{{- if not (and $k.sasl.username $k.sasl.passwordSecret.name) -}}
{{- fail "kafka.sasl: a SASL protocol needs username and passwordSecret.name" -}}
{{- end -}}
{{- $_ := set $settings "KAFKA_SASL_MECHANISM" $k.sasl.mechanism -}}
{{- $_ := set $settings "KAFKA_SASL_USERNAME" $k.sasl.username -}}
{{- end -}}
{{- if $k.tls.caSecret.name -}}
{{- $_ := set $settings "KAFKA_SSL_CAFILE" (print "/etc/switchboard/kafka-ca/" $k.tls.caSecret.key) -}}
{{- end -}}
{{- if eq .name "intake" -}}
{{- $_ := set $settings (print $p "CORS_ORIGINS") (printf "%s,%s" $urls.routing $urls.console) -}}
{{- $_ := set $settings (print $p "PUBLIC_BASE_URL") $urls.intake -}}
{{- else if eq .name "routing" -}}
{{- $_ := set $settings (print $p "CORS_ORIGINS") $urls.console -}}
{{- $_ := set $settings (print $p "WORKSPACE_INTAKE_URL") $urls.intake -}}
{{- $_ := set $settings (print $p "INTAKE_URL") $urls.intake -}}
{{- if $svc.policies }}{{ $_ := set $settings (print $p "POLICIES_FILE") "/etc/switchboard/routing-policies.yaml" }}{{ end -}}
{{- else if eq .name "escalation" -}}
{{- $_ := set $settings (print $p "CONFIG_FILE") "/etc/switchboard/escalation.yaml" -}}
{{- $_ := set $settings (print $p "CONSOLE_ROUTING_URL") $urls.routing -}}
{{- $_ := set $settings (print $p "CONSOLE_FEEDBACK_URL") $urls.feedback -}}
{{- $_ := set $settings (print $p "CONSOLE_INTAKE_URL") $urls.intake -}}
{{- $_ := set $settings (print $p "INTAKE_URL") $urls.intake -}}
{{- else if eq .name "feedback" -}}
{{- $_ := set $settings (print $p "CORS_ORIGINS") $urls.console -}}
{{- $_ := set $settings (print $p "PUBLIC_BASE_URL") $urls.feedback -}}
{{- $_ := set $settings (print $p "INTAKE_URL") $urls.intake -}}
{{- end -}}
{{- range $key, $value := $svc.env }}{{ $_ := set $settings $key (toString $value) }}{{ end -}}
{{- toYaml $settings -}}
{{- end -}}

{{/* A service's secret settings as container env entries: its database URL, the JWT
secret, and intake's and feedback's own. Args: (dict "root" $ "name" "intake") */}}
{{- define "switchboard.secretEnv" -}}
{{- $v := .root.Values -}}
{{- $db := (index $v .name).database -}}
{{- $p := include "switchboard.prefix" .name -}}
{{- $secret := include "switchboard.secretName" .root -}}
{{- if $db.url }}
- name: {{ $p }}DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ .name }}-database-url}
{{- else if and $db.existingSecret $db.urlKey }}
- name: {{ $p }}DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $db.existingSecret }}, key: {{ $db.urlKey }}}
{{- else if $db.existingSecret }}
{{- range $part := list "username" "password" "host" "port" "dbname" }}
- name: DB_{{ upper $part }}
  valueFrom:
    secretKeyRef: {name: {{ $db.existingSecret }}, key: {{ index $db.keys $part }}}
{{- end }}
- name: {{ $p }}DATABASE_URL
  value: postgresql+asyncpg://$(DB_USERNAME):$(DB_PASSWORD)@$(DB_HOST):$(DB_PORT)/$(DB_DBNAME)
{{- else if $v.secrets.existingSecret }}
- name: {{ $p }}DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ .name }}-database-url}
{{- else }}
{{- fail (printf "%s.database: set url or existingSecret (or secrets.existingSecret with key %s-database-url)" .name .name) }}
{{- end }}
- name: {{ $p }}JWT_SECRET
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: jwt-secret}
{{- if hasPrefix "SASL_" $v.kafka.securityProtocol }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $v.kafka.sasl.passwordSecret.name }}, key: {{ $v.kafka.sasl.passwordSecret.key }}}
{{- end }}
{{- if eq .name "intake" }}
- name: {{ $p }}ADAPTER_SECRET_KEYS
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: intake-adapter-secret-keys}
{{- else if eq .name "feedback" }}
- name: {{ $p }}LINK_SECRETS
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: feedback-link-secrets}
{{- end }}
{{- end -}}

{{- define "switchboard.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
