{{/* Chart name, truncated to the 63 characters of a label value. */}}
{{- define "vpce-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the prefix of every object name. */}}
{{- define "vpce-controller.fullname" -}}
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

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "vpce-controller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "vpce-controller.labels" -}}
helm.sh/chart: {{ include "vpce-controller.chart" . }}
{{ include "vpce-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vpce-controller
{{- end }}

{{/* Labels that select the manager pods. */}}
{{- define "vpce-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vpce-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Name of the ServiceAccount the manager runs as. */}}
{{- define "vpce-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vpce-controller.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Comma-separated namespaces to watch; watchNamespace may be a string or a list. */}}
{{- define "vpce-controller.watchNamespace" -}}
{{- if kindIs "slice" .Values.watchNamespace }}
{{- join "," .Values.watchNamespace }}
{{- else }}
{{- .Values.watchNamespace }}
{{- end }}
{{- end }}

{{/* --default-tags from the defaultTags map: key=value pairs sorted by key. */}}
{{- define "vpce-controller.defaultTags" -}}
{{- $pairs := list }}
{{- range $k, $v := .Values.defaultTags }}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* The cluster name, which has no default. */}}
{{- define "vpce-controller.clusterName" -}}
{{- required "clusterName is required: set it to this cluster's name (--set clusterName=prod-eu), different in every cluster sharing an AWS account; it is written into the vpce.dev/cluster ownership tag of everything the controller creates" .Values.clusterName }}
{{- end }}

{{/* The manager image: by digest when image.digest is set, else by tag (default: appVersion). */}}
{{- define "vpce-controller.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Where the metrics serving certificate is mounted. */}}
{{- define "vpce-controller.metricsCertPath" -}}
/etc/vpce-controller/metrics-cert
{{- end }}

{{/* Non-empty when the metrics certificate Secret is mounted. */}}
{{- define "vpce-controller.mountsMetricsCert" -}}
{{- if and .Values.metrics.enabled .Values.metrics.secure .Values.metrics.certSecret }}true{{ end }}
{{- end }}

{{/* Non-empty when the cluster serves the Prometheus Operator's API. */}}
{{- define "vpce-controller.hasPrometheusOperator" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}true{{ end }}
{{- end }}

{{/* Label matchers that select this install's series in Prometheus. */}}
{{/*
Aggregates an expression of object metrics by the given labels and by the
objects' namespace: the series' object_namespace label becomes the alert's
namespace label, so Alertmanager can route by it (with
metrics.namespaceLabel=false the series have none, and the alert keeps the
namespace of the manager). Arguments: (list "label, ..." "expression").
*/}}
{{- define "vpce-controller.byObjectNamespace" -}}
sum by ({{ index . 0 }}, namespace, object_namespace) (label_replace({{ index . 1 }}, "namespace", "$1", "object_namespace", "(.+)"))
{{- end }}

{{/* "in namespace <ns>" or "in all namespaces" in an alert annotation. */}}
{{- define "vpce-controller.inObjectNamespace" -}}
{{`{{ with $labels.object_namespace }}in namespace {{ . }}{{ else }}in all namespaces{{ end }}`}}
{{- end }}

{{/* kubectl's namespace flag for the objects of an alert. */}}
{{- define "vpce-controller.objectNamespaceFlag" -}}
{{`{{ with $labels.object_namespace }}-n {{ . }}{{ else }}-A{{ end }}`}}
{{- end }}

{{- define "vpce-controller.seriesSelector" -}}
{{- .Values.prometheusRule.seriesSelector | default (printf "job=%q,namespace=%q" (printf "%s-metrics" (include "vpce-controller.fullname" .)) .Release.Namespace) }}
{{- end }}
