{{/*
RBAC rules, the same grants as deploy/rbac.yaml (test/helm-chart.test.ts compares them): the API calls of
src/kube/*.ts, src/updates/*.ts, src/pipeline/direct-kube.ts and src/pipeline/coordinator.ts. No wildcards.
*/}}
{{- define "dbupdate.engines" -}}
{{- list "mysqls" "postgreses" "perconaxtradbs" "proxysqls" "mariadbs" "mongodbs" "redises" "elasticsearches" "kafkas" "pgbouncers" "redissentinels" "memcacheds" "mssqlservers" "singlestores" | toJson -}}
{{- end -}}

{{/* In the release namespace: records (create/get/list/watch, status update) and Leases. */}}
{{- define "dbupdate.rules.records" -}}
- apiGroups: ["dbupdate.dev"]
  resources: ["databaseupdates"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: ["dbupdate.dev"]
  resources: ["databaseupdates/status"]
  verbs: ["patch"]
- apiGroups: ["dbupdate.dev"]
  resources: ["databaseupdatebatches"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: ["dbupdate.dev"]
  resources: ["databaseupdatebatches/status"]
  verbs: ["patch"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["create"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "update", "delete"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["configmaps"]
  resourceNames: ["dbupdate-drift-reports"]
  verbs: ["get", "patch"]
{{- end -}}

{{/* Per database namespace: read/patch the database, pause/resume, PetSets, OpsRequests, Events, pods, and
Postgres' pg-coordinator (port-forward with the database's auth Secret, src/pipeline/coordinator.ts;
reading that Secret only with rbac.readSecrets). */}}
{{- define "dbupdate.rules.databases" -}}
{{- $engines := include "dbupdate.engines" . | fromJsonArray -}}
- apiGroups: ["kubedb.com"]
  resources: {{ toJson $engines }}
  verbs: ["get", "patch"]
- apiGroups: ["kubedb.com"]
  resources: [{{ range $i, $e := $engines }}{{ if $i }}, {{ end }}"{{ $e }}/status"{{ end }}]
  verbs: ["patch"]
- apiGroups: ["apps.k8s.appscode.com"]
  resources: ["petsets"]
  verbs: ["get", "patch"]
- apiGroups: ["ops.kubedb.com"]
  resources: ["mysqlopsrequests", "postgresopsrequests", "perconaxtradbopsrequests", "proxysqlopsrequests", "mariadbopsrequests", "mongodbopsrequests", "redisopsrequests", "elasticsearchopsrequests", "kafkaopsrequests", "pgbounceropsrequests", "redissentinelopsrequests", "memcachedopsrequests", "mssqlserveropsrequests", "singlestoreopsrequests"]
  verbs: ["get", "create", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["delete"]
- apiGroups: [""]
  resources: ["pods/portforward"]
  verbs: ["get", "create"]
{{- if .Values.rbac.readSecrets }}
{{- /* Opt-in (docs/secrets.md): the direct backend reads a Postgres database's auth Secret to pause
pg-coordinator's failover; without it such updates are refused before any pod moves. */}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}
- apiGroups: ["core.kubestash.com"]
  resources: ["backupsessions"]
  verbs: ["get", "create"]
- apiGroups: ["storage.kubestash.com"]
  resources: ["snapshots"]
  verbs: ["get"]
{{- end -}}

{{/* Cluster-wide: the version catalogs (cluster-scoped) and the reconciler's informers (all namespaces). */}}
{{- define "dbupdate.rules.clusterwide" -}}
{{- $engines := include "dbupdate.engines" . | fromJsonArray -}}
- apiGroups: ["kubedb.com"]
  resources: {{ toJson $engines }}
  verbs: ["list", "watch"]
- apiGroups: ["core.kubestash.com"]
  resources: ["backupconfigurations"]
  verbs: ["list", "watch"]
- apiGroups: ["catalog.kubedb.com"]
  resources: ["mysqlversions", "postgresversions", "perconaxtradbversions", "proxysqlversions", "mariadbversions", "mongodbversions", "redisversions", "elasticsearchversions", "kafkaversions", "pgbouncerversions", "memcachedversions", "mssqlserverversions", "singlestoreversions"]
  verbs: ["list", "watch"]
- apiGroups: ["ops.kubedb.com"]
  resources: ["mysqlopsrequests", "postgresopsrequests", "perconaxtradbopsrequests", "proxysqlopsrequests", "mariadbopsrequests", "mongodbopsrequests", "redisopsrequests", "elasticsearchopsrequests", "kafkaopsrequests", "pgbounceropsrequests", "redissentinelopsrequests", "memcachedopsrequests", "mssqlserveropsrequests", "singlestoreopsrequests"]
  verbs: ["list", "watch"]
- apiGroups: ["apps.k8s.appscode.com"]
  resources: ["petsets"]
  verbs: ["list", "watch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
{{- end -}}
