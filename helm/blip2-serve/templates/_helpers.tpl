{{/* Chart name, truncated to the 63 characters Kubernetes allows in names. */}}
{{- define "blip2-serve.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, plus the chart name unless the release name contains it. */}}
{{- define "blip2-serve.fullname" -}}
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

{{- define "blip2-serve.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: never change them between releases (Deployment selectors are immutable). */}}
{{- define "blip2-serve.selectorLabels" -}}
app.kubernetes.io/name: {{ include "blip2-serve.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "blip2-serve.labels" -}}
helm.sh/chart: {{ include "blip2-serve.chart" . }}
{{ include "blip2-serve.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: blip2-serve
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "blip2-serve.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "blip2-serve.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: the tag defaults to the chart's appVersion. */}}
{{- define "blip2-serve.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The claim of the model repository, or "" for an emptyDir. */}}
{{- define "blip2-serve.claimName" -}}
{{- if .Values.modelRepository.existingClaim }}
{{- .Values.modelRepository.existingClaim }}
{{- else if .Values.modelRepository.persistence.enabled }}
{{- printf "%s-models" (include "blip2-serve.fullname" .) }}
{{- end }}
{{- end }}
