package helm_test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// TestPodMeetsTheRestrictedPodSecurityStandard evaluates the rendered pod template
// with Kubernetes' own Pod Security admission checks at the restricted level (latest
// version), for the default values, the production values and the custom values
// (extra volumes, a certificate Secret).
func TestPodMeetsTheRestrictedPodSecurityStandard(t *testing.T) {
	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	evaluate := func(args ...string) psapolicy.AggregateCheckResult {
		var deploy appsv1.Deployment
		render(t, releaseName, namespace, args...).one(t, "Deployment", &deploy)
		return psapolicy.AggregateCheckResults(evaluator.EvaluatePod(restricted, &deploy.Spec.Template.ObjectMeta, &deploy.Spec.Template.Spec))
	}
	for name, args := range map[string][]string{
		"default values":    required,
		"production values": {"--values", writeValues(t, productionValues)},
		"custom values":     {"--values", writeValues(t, customValues)},
	} {
		if result := evaluate(args...); !result.Allowed {
			t.Errorf("%s: the pod violates the restricted Pod Security Standard: %s", name, result.ForbiddenReason())
		}
	}
	// The evaluator does see a loosened security context.
	loosened := evaluate(append(required, "--set", "securityContext.allowPrivilegeEscalation=true", "--set", "securityContext.capabilities.drop=null")...)
	if loosened.Allowed || !strings.Contains(loosened.ForbiddenReason(), "allowPrivilegeEscalation") {
		t.Errorf("a pod allowing privilege escalation passed the restricted check: %+v", loosened)
	}
}

func TestNetworkPolicyAdmitsOnlyWhatTheManagerNeeds(t *testing.T) {
	r := render(t, releaseName, namespace, append(required, "--set", "networkPolicy.enabled=true")...)
	var policy networkingv1.NetworkPolicy
	r.one(t, "NetworkPolicy", &policy)
	var deploy appsv1.Deployment
	r.one(t, "Deployment", &deploy)
	for k, v := range policy.Spec.PodSelector.MatchLabels {
		if deploy.Spec.Template.Labels[k] != v {
			t.Errorf("NetworkPolicy selects %s=%s, which the manager pods lack", k, v)
		}
	}
	if !slices.Equal(policy.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
		t.Errorf("policyTypes = %v, want Ingress and Egress", policy.Spec.PolicyTypes)
	}
	// Ingress: the metrics port (from anywhere by default) and the probes.
	var ingressPorts []string
	for _, rule := range policy.Spec.Ingress {
		for _, p := range rule.Ports {
			ingressPorts = append(ingressPorts, p.Port.String())
		}
	}
	if !slices.Equal(ingressPorts, []string{"metrics", "health"}) {
		t.Errorf("ingress ports = %v, want metrics and health", ingressPorts)
	}
	// Egress: DNS to the cluster DNS pods, the apiserver, AWS on 443, credentials on 80.
	egress := map[string][]networkingv1.NetworkPolicyPeer{}
	for _, rule := range policy.Spec.Egress {
		var ports []string
		for _, p := range rule.Ports {
			ports = append(ports, string(*p.Protocol)+"/"+p.Port.String())
		}
		egress[strings.Join(ports, ",")] = rule.To
	}
	dns, ok := egress["UDP/53,TCP/53"]
	if !ok || len(dns) != 1 || dns[0].PodSelector == nil || dns[0].PodSelector.MatchLabels["k8s-app"] != "kube-dns" || dns[0].NamespaceSelector == nil {
		t.Errorf("egress %v has no DNS rule to the kube-dns pods", egress)
	}
	if to, ok := egress["TCP/443,TCP/6443"]; !ok || len(to) != 0 {
		t.Errorf("egress %v has no rule to the apiserver ports 443 and 6443 (any address by default)", egress)
	}
	if to, ok := egress["TCP/443"]; !ok || len(to) != 1 || to[0].IPBlock == nil || to[0].IPBlock.CIDR != "0.0.0.0/0" {
		t.Errorf("egress %v has no rule to AWS APIs on 443", egress)
	}
	if to, ok := egress["TCP/80"]; !ok || len(to) != 2 || to[0].IPBlock.CIDR != "169.254.170.23/32" || to[1].IPBlock.CIDR != "169.254.169.254/32" {
		t.Errorf("egress %v does not reach the Pod Identity agent and IMDS on 80", egress)
	}
	if len(egress) != 4 {
		t.Errorf("egress has %d rules, want exactly DNS, apiserver, AWS and credentials: %v", len(egress), egress)
	}

	// Narrowed: the apiserver by CIDR, scrapes from the monitoring namespace only.
	r = render(t, releaseName, namespace, "--values", writeValues(t, customValues))
	r.one(t, "NetworkPolicy", &policy)
	if from := policy.Spec.Ingress[0].From; len(from) != 1 || from[0].NamespaceSelector == nil || from[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
		t.Errorf("metrics ingress from = %+v, want networkPolicy.metricsFrom", from)
	}
	for _, rule := range policy.Spec.Egress {
		if len(rule.Ports) == 2 && rule.Ports[1].Port.IntValue() == 6443 {
			if len(rule.To) != 1 || rule.To[0].IPBlock.CIDR != "10.100.0.0/16" {
				t.Errorf("apiserver egress to = %+v, want networkPolicy.apiServerCIDRs", rule.To)
			}
		}
	}
	var metricsPort corev1.ContainerPort
	for _, p := range manager(t, deploy.Spec.Template.Spec).Ports {
		if p.Name == "metrics" {
			metricsPort = p
		}
	}
	if metricsPort.ContainerPort == 0 || policy.Spec.Ingress[0].Ports[0].Port.Type != intstr.String {
		t.Errorf("metrics ingress port %v must name the container's metrics port %+v", policy.Spec.Ingress[0].Ports[0].Port, metricsPort)
	}
}
