{{/* Namespace of every namespaced object. */}}
{{- define "cilium.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* An image reference from an image values block: override, or repository:tag[@digest]. */}}
{{- define "cilium.image" -}}
{{- if .override -}}
{{- .override -}}
{{- else if and .useDigest .digest -}}
{{- printf "%s:%s@%s" .repository .tag .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}
{{- end -}}

{{/* The generic operator image: repository-generic[suffix]:tag[@genericDigest]. */}}
{{- define "cilium.operator.image" -}}
{{- if .override -}}
{{- .override -}}
{{- else if and .useDigest .genericDigest -}}
{{- printf "%s-generic%s:%s@%s" .repository (.suffix | default "") .tag .genericDigest -}}
{{- else -}}
{{- printf "%s-generic%s:%s" .repository (.suffix | default "") .tag -}}
{{- end -}}
{{- end -}}

{{/* Checksum of the agent configuration, for the roll-out annotations. */}}
{{- define "cilium.configChecksum" -}}
{{- include (print .Template.BasePath "/cilium-configmap.yaml") . | sha256sum -}}
{{- end -}}

{{/* The environment every Cilium component gets to reach the API server without kube-proxy. */}}
{{- define "cilium.apiServerEnv" -}}
{{- if .Values.k8sServiceHost }}
- name: KUBERNETES_SERVICE_HOST
  value: {{ .Values.k8sServiceHost | quote }}
- name: KUBERNETES_SERVICE_PORT
  value: {{ .Values.k8sServicePort | toString | quote }}
{{- end }}
{{- end -}}
