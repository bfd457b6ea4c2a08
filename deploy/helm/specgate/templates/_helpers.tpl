{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "specgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: release-chart unless the release name already contains the chart name. */}}
{{- define "specgate.fullname" -}}
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

{{- define "specgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "specgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "specgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "specgate.labels" -}}
helm.sh/chart: {{ include "specgate.chart" . }}
{{ include "specgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "specgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "specgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "specgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The Secret holding keys and credentials: the user's or the chart's. */}}
{{- define "specgate.secretName" -}}
{{- default (include "specgate.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "specgate.redisName" -}}
{{- printf "%s-redis" (include "specgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Whether specgate gets a Redis URL (external, bundled, or from an existing Secret). */}}
{{- define "specgate.redisConfigured" -}}
{{- if or .Values.redis.url .Values.redis.enabled }}true{{ end }}
{{- end }}

{{/* Whether the users file is mounted. */}}
{{- define "specgate.usersKey" -}}
{{- if .Values.secrets.existingSecret }}{{ .Values.users.existingSecretKey }}{{ else if .Values.users.file }}users.yaml{{ end }}
{{- end }}

{{/*
A key of the chart's Secret: the value from values.yaml, else the value
already in the cluster (so generated keys survive upgrades), else a new
random one. Call with (dict "ctx" . "key" "oauth-secret" "value" .Values.secrets.oauthSecret).
*/}}
{{- define "specgate.secretValue" -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace (include "specgate.fullname" .ctx) | default dict }}
{{- if .value }}
{{- .value | b64enc }}
{{- else if dig "data" .key "" $existing }}
{{- dig "data" .key "" $existing }}
{{- else }}
{{- randAlphaNum 48 | b64enc }}
{{- end }}
{{- end }}

{{/* Checks values that would otherwise fail only at run time. */}}
{{- define "specgate.validate" -}}
{{- if not (has .Values.auth (list "oauth" "none")) }}
{{- fail (printf "auth must be oauth or none, got %q" .Values.auth) }}
{{- end }}
{{- if and .Values.secrets.oauthSecret (lt (len .Values.secrets.oauthSecret) 32) }}
{{- fail "secrets.oauthSecret must be at least 32 characters" }}
{{- end }}
{{- if and (eq .Values.auth "oauth") .Values.spec (not (include "specgate.usersKey" .)) }}
{{- fail "auth=oauth with a spec needs a users file: set users.file (or users.existingSecretKey with secrets.existingSecret)" }}
{{- end }}
{{- if and .Values.publicURL (not (regexMatch "^https?://[^/]+/?$" .Values.publicURL)) }}
{{- fail (printf "publicURL must be scheme://host[:port] without a path, got %q" .Values.publicURL) }}
{{- end }}
{{- if and (eq .Values.auth "none") (not (dig "insecure_allow_public_no_auth" false .Values.config)) }}
{{- fail "auth=none in a cluster exposes the upstream API to anyone who reaches the service; set config.insecure_allow_public_no_auth=true to confirm" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled needs ingress.host (the host of publicURL)" }}
{{- end }}
{{- end }}

{{/* The bundled Redis has its own name label so no specgate selector (Service, PDB, Deployment) matches it. */}}
{{- define "specgate.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-redis" (include "specgate.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "specgate.redisLabels" -}}
helm.sh/chart: {{ include "specgate.chart" . }}
{{ include "specgate.redisSelectorLabels" . }}
app.kubernetes.io/component: redis
app.kubernetes.io/part-of: {{ include "specgate.name" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
