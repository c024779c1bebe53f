{{/* The chart's name, or nameOverride (the label app.kubernetes.io/name). */}}
{{- define "dbupdate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object names: fullnameOverride; else the release name, followed by nameOverride when that is set
and not already part of the release name. */}}
{{- define "dbupdate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if and .Values.nameOverride (not (contains .Values.nameOverride .Release.Name)) -}}
{{- printf "%s-%s" .Release.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "dbupdate.labels" -}}
app.kubernetes.io/name: {{ include "dbupdate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: dbupdate
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Pod selector. */}}
{{- define "dbupdate.selector" -}}
app.kubernetes.io/name: {{ include "dbupdate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dbupdate.serviceAccountName" -}}
{{- default (include "dbupdate.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The configuration file: values.config with recordsNamespace = the release namespace. */}}
{{- define "dbupdate.config" -}}
{{- toYaml (merge (dict "recordsNamespace" .Release.Namespace) (omit .Values.config "recordsNamespace")) -}}
{{- end -}}

{{/* The example configuration's made-up Slack IDs: src/startup/placeholders.ts PLACEHOLDER_IDS
(test/helm-values.test.ts checks the two lists are equal). */}}
{{- define "dbupdate.placeholderIds" -}}
{{- list "U0AAAAAAA" "U0BBBBBBB" "U0CCCCCCC" "C0123456789" "S0DBA00001" | toJson -}}
{{- end -}}

{{/* Refuses to render while values.config holds a placeholder ID (as a value or a key): the bot would
refuse to start on it, so the install fails here with the fix instead of pods crash-looping. */}}
{{- define "dbupdate.refusePlaceholders" -}}
{{- $config := toJson .Values.config -}}
{{- $found := list -}}
{{- range (include "dbupdate.placeholderIds" . | fromJsonArray) -}}
{{- if contains (printf "%q" .) $config }}{{ $found = append $found . }}{{ end -}}
{{- end -}}
{{- if $found -}}
{{- fail (printf "config holds the example's placeholder Slack IDs (%s): set your workspace's IDs, e.g. --set 'config.approvers={U07ALICE01}' (Slack: a profile's ⋮ menu, \"Copy member ID\"); the bot refuses to start with placeholders" (join ", " $found)) -}}
{{- end -}}
{{- end -}}
