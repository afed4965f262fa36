package v1alpha1_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	networkingv1alpha1 "github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// validCase is a manifest at the edge of what the schemas allow; the apiserver must accept it.
type validCase struct {
	name string
	kind string
	// spec is merged into the kind's base spec and created.
	spec string
	// update, when set, is merged into spec after the create and must be accepted too.
	update string
}

// validCases guard against rules that reject more than they should.
var validCases = []validCase{
	{name: "ids of 8 hex digits", kind: gatewayKind,
		spec: `{vpc: {id: vpc-0a1b2c3d}, routeTables: {ids: [rtb-0a1b2c3d], subnetIDs: [subnet-0a1b2c3d]}, endpointID: vpce-0a1b2c3d}`},
	{name: "vpc and route tables by tags", kind: gatewayKind,
		spec: `{service: dynamodb, vpc: {id: null, tags: {env: prod}}, routeTables: {ids: null, tags: {tier: private}}}`},
	{name: "no region", kind: interfaceKind, spec: `region: null`},
	{name: "46 tags", kind: gatewayKind, spec: "tags: " + manyTags(46)},
	{name: "tag key of 128 and value of 256 characters", kind: interfaceKind,
		spec: "tags: {" + strings.Repeat("k", 128) + ": " + strings.Repeat("v", 256) + "}"},
	{name: "tag key merely containing aws:", kind: gatewayKind, spec: `tags: {"team/aws:name": x}`},
	{name: "full service name", kind: interfaceKind, spec: `service: com.amazonaws.us-east-1.ssm`},
	{name: "PrivateLink service name", kind: interfaceKind, spec: `service: com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0`},
	{name: "ipv6 records with ipv6 endpoint", kind: interfaceKind, spec: `{dnsRecordIPType: ipv6, ipAddressType: ipv6}`},
	{name: "ipv4 records with dualstack endpoint", kind: interfaceKind, spec: `{dnsRecordIPType: ipv4, ipAddressType: dualstack}`},
	{name: "service-defined records with default endpoint", kind: interfaceKind, spec: `dnsRecordIPType: service-defined`},
	{name: "ipv4 records with default endpoint", kind: interfaceKind, spec: `dnsRecordIPType: ipv4`},
	{name: "security group ids only", kind: interfaceKind, spec: `securityGroups: {ids: [sg-0a1b2c3d, sg-0a1b2c3d4e5f67890]}`},
	{name: "managed ingress at the port limits", kind: interfaceKind,
		spec: `securityGroups: {managed: {ingress: [{cidrs: [10.0.0.0/8, "2001:db8::/32"]}, {securityGroupIDs: [sg-0a1b2c3d]}], ports: [1, 65535]}}`},
	{name: "private DNS off", kind: interfaceKind, spec: `privateDNS: {enabled: false}`},
	{name: "inbound-resolver-only private DNS", kind: interfaceKind, spec: `privateDNS: {onlyForInboundResolverEndpoint: true}`},
	{name: "mutable gateway fields updated", kind: gatewayKind,
		update: `{routeTables: {ids: [rtb-0b1c2d3e], tags: {tier: private}}, tags: {team: a}, deletionPolicy: Retain, policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}]}, endpointID: vpce-0a1b2c3d}`},
	{name: "mutable interface fields updated", kind: interfaceKind,
		update: `{subnets: {ids: [subnet-0b1c2d3e, subnet-0c1d2e3f]}, securityGroups: {ids: [sg-0a1b2c3d]}, privateDNS: {enabled: false}, tags: {team: a}}`},
	{name: "instance connect subnet by tags in a preferred zone", kind: iceKind,
		spec: `subnet: {id: null, tags: {tier: private}, preferredZone: us-east-1a}`},
	{name: "instance connect endpoint id of 8 hex digits", kind: iceKind, spec: `endpointID: eice-0a1b2c3d`},
	{name: "instance connect managed egress for RDP to groups", kind: iceKind,
		spec: `securityGroups: {ids: [sg-0a1b2c3d], managed: {egress: [{securityGroupIDs: [sg-0a1b2c3d4e5f67890]}, {cidrs: [10.0.0.0/8]}], ports: [22, 3389]}}`},
	{name: "mutable instance connect fields updated", kind: iceKind,
		update: `{securityGroups: {ids: [sg-0a1b2c3d]}, preserveClientIP: true, tags: {team: a}, deletionPolicy: Retain, endpointID: eice-0a1b2c3d}`},
	{name: "unchanged vpc tags and service re-applied", kind: interfaceKind,
		spec: `vpc: {id: null, tags: {env: prod}}`, update: `{vpc: {tags: {env: prod}}, service: ssm, region: us-east-1}`},
}

func TestValidManifestsAreAccepted(t *testing.T) {
	const namespace = "valid"
	ensureNamespace(t, namespace)
	for i, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			obj := patchedObject(t, tc.kind, namespace, fmt.Sprintf("case-%02d", i), tc.spec)
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatalf("create: %v", err)
			}
			if tc.update == "" {
				return
			}
			updated := patchedObject(t, tc.kind, namespace, obj.GetName(), tc.spec, tc.update)
			updated.SetResourceVersion(obj.GetResourceVersion())
			if err := env.Client.Update(ctx, updated); err != nil {
				t.Fatalf("update: %v", err)
			}
		})
	}
}

func TestSamplesAreAccepted(t *testing.T) {
	const namespace = "samples"
	ensureNamespace(t, namespace)
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(path string) bool { return filepath.Base(path) == "kustomization.yaml" })
	if len(files) < 4 {
		t.Fatalf("found %d samples in config/samples, want at least 4", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, obj := range readObjects(t, path) {
				obj.SetNamespace(namespace)
				if err := env.Client.Create(context.Background(), obj); err != nil {
					t.Errorf("create %s %s: %v", obj.GetKind(), obj.GetName(), err)
				}
			}
		})
	}
}

// TestSamplesApplyBesideTheDemo applies config/samples, as `kubectl apply -k
// config/samples --server-side --dry-run=server` would, into a namespace that holds
// the objects `make demo` creates (hack/demo.sh): a sample that reused a demo name
// would try to change that object's immutable fields and be refused.
func TestSamplesApplyBesideTheDemo(t *testing.T) {
	const namespace = "demo"
	ensureNamespace(t, namespace)
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	demo := demoObjects(t, filepath.Join(root, "hack", "demo.sh"))
	for _, obj := range demo {
		obj.SetNamespace(namespace)
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatalf("create the demo's %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	samplesDir := filepath.Join(root, "config", "samples")
	var kustomization struct {
		Resources []string `json:"resources"`
	}
	raw, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Strict: a kustomization that does more than list resources needs kustomize here.
	if err := yaml.UnmarshalStrict(raw, &kustomization); err != nil {
		t.Fatalf("config/samples/kustomization.yaml: %v", err)
	}
	applied := 0
	for _, resource := range kustomization.Resources {
		for _, obj := range readObjects(t, filepath.Join(samplesDir, resource)) {
			obj.SetNamespace(namespace)
			err := env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj),
				client.FieldOwner("kubectl"), client.ForceOwnership, client.DryRunAll)
			if err != nil {
				t.Errorf("apply %s %s (%s) beside the demo: %v", obj.GetKind(), obj.GetName(), resource, err)
			}
			applied++
		}
	}
	if applied < 4 {
		t.Fatalf("applied %d samples, want at least 4", applied)
	}
}

// demoObjects returns the endpoints hack/demo.sh writes to .demo/endpoints.yaml
// (the here-document it passes to `kubectl apply`).
func demoObjects(t *testing.T, script string) []*unstructured.Unstructured {
	t.Helper()
	contents, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, found := strings.Cut(string(contents), `cat > "$state/endpoints.yaml" <<'EOF'`+"\n")
	manifest, _, closed := strings.Cut(rest, "\nEOF\n")
	if !found || !closed {
		t.Fatalf("%s no longer writes .demo/endpoints.yaml from a here-document; update demoObjects", script)
	}
	path := filepath.Join(t.TempDir(), "endpoints.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	objects := readObjects(t, path)
	if len(objects) < 5 {
		t.Fatalf("found %d objects in the demo's endpoints.yaml, want 5", len(objects))
	}
	return objects
}

// readObjects parses every document of a multi-document YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	contents, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objects []*unstructured.Unstructured
	for _, document := range bytes.Split(contents, []byte("\n---")) {
		fields := map[string]any{}
		if err := yaml.Unmarshal(document, &fields); err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		if len(fields) > 0 {
			objects = append(objects, &unstructured.Unstructured{Object: fields})
		}
	}
	if len(objects) == 0 {
		t.Fatalf("%s holds no object", path)
	}
	return objects
}

func TestDefaultsAreApplied(t *testing.T) {
	const namespace = "defaults"
	ensureNamespace(t, namespace)

	gatewayObj := patchedObject(t, gatewayKind, namespace, "minimal")
	var gw networkingv1alpha1.GatewayEndpoint
	createAndRead(t, gatewayObj, &gw)
	if gw.Spec.DeletionPolicy != networkingv1alpha1.DeletionPolicyDelete {
		t.Errorf("gateway deletionPolicy = %q, want Delete", gw.Spec.DeletionPolicy)
	}

	interfaceObj := patchedObject(t, interfaceKind, namespace, "minimal")
	var ife networkingv1alpha1.InterfaceEndpoint
	createAndRead(t, interfaceObj, &ife)
	if ife.Spec.DeletionPolicy != networkingv1alpha1.DeletionPolicyDelete {
		t.Errorf("interface deletionPolicy = %q, want Delete", ife.Spec.DeletionPolicy)
	}
	wantDNS := networkingv1alpha1.PrivateDNS{Enabled: true}
	if ife.Spec.PrivateDNS != wantDNS {
		t.Errorf("privateDNS = %+v, want %+v", ife.Spec.PrivateDNS, wantDNS)
	}
	if ife.Spec.SecurityGroups != nil {
		t.Errorf("securityGroups = %+v, want it left unset (the controller's default group)", ife.Spec.SecurityGroups)
	}

	managedObj := patchedObject(t, interfaceKind, namespace, "managed", `securityGroups: {managed: {ingress: [{cidrs: [10.0.0.0/16]}]}}`)
	var managed networkingv1alpha1.InterfaceEndpoint
	createAndRead(t, managedObj, &managed)
	if got := managed.Spec.SecurityGroups.Managed.Ports; !slices.Equal(got, []int32{443}) {
		t.Errorf("managed ports = %v, want [443]", got)
	}
}

// createAndRead creates obj and reads it back, as stored, into into.
func createAndRead(t *testing.T, obj *unstructured.Unstructured, into client.Object) {
	t.Helper()
	ctx := context.Background()
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatalf("create %s: %v", obj.GetKind(), err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), into); err != nil {
		t.Fatalf("get %s: %v", obj.GetKind(), err)
	}
}
