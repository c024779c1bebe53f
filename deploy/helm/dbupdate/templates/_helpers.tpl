{{/* The release's full name: the release name, or fullnameOverride. */}}
{{- define "dbupdate.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "dbupdate.labels" -}}
app.kubernetes.io/name: dbupdate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: dbupdate
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Pod selector. */}}
{{- define "dbupdate.selector" -}}
app.kubernetes.io/name: dbupdate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dbupdate.serviceAccountName" -}}
{{- default (include "dbupdate.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The configuration file: values.config with recordsNamespace = the release namespace. */}}
{{- define "dbupdate.config" -}}
{{- toYaml (merge (dict "recordsNamespace" .Release.Namespace) (omit .Values.config "recordsNamespace")) -}}
{{- end -}}
