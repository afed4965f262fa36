package v1alpha1_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// invalidCase is a manifest the apiserver must reject, naming the offending field.
type invalidCase struct {
	name string
	kind string
	// spec is merged into the kind's base spec. Without update, creating it must fail.
	spec string
	// update, when set, is merged into spec after a successful create; the update must fail.
	update string
	// wantField is the field path the rejection must name, for example spec.vpc.id.
	wantField string
	// wantMessage is the human message the rejection must carry for that field.
	wantMessage string
}

// invalidCases are the manifests the CRDs' schemas and CEL rules reject.
var invalidCases = []invalidCase{
	// ID patterns.
	{name: "vpc id too short", kind: gatewayKind, spec: `vpc: {id: vpc-123}`,
		wantField: "spec.vpc.id", wantMessage: "should match '^vpc-"},
	{name: "vpc id upper-case hex", kind: interfaceKind, spec: `vpc: {id: vpc-0A1B2C3D}`,
		wantField: "spec.vpc.id", wantMessage: "should match '^vpc-"},
	{name: "route table id not hex", kind: gatewayKind, spec: `routeTables: {ids: [rtb-zzzzzzzz]}`,
		wantField: "spec.routeTables.ids[0]", wantMessage: "should match '^rtb-"},
	{name: "route table subnet id wrong prefix", kind: gatewayKind, spec: `routeTables: {subnetIDs: [sub-0a1b2c3d]}`,
		wantField: "spec.routeTables.subnetIDs[0]", wantMessage: "should match '^subnet-"},
	{name: "subnet id of 16 hex digits", kind: interfaceKind, spec: `subnets: {ids: [subnet-0a1b2c3d4e5f6789]}`,
		wantField: "spec.subnets.ids[0]", wantMessage: "should match '^subnet-"},
	{name: "security group id too short", kind: interfaceKind, spec: `securityGroups: {ids: [sg-12345]}`,
		wantField: "spec.securityGroups.ids[0]", wantMessage: "should match '^sg-"},
	{name: "ingress security group id not hex", kind: interfaceKind, spec: `securityGroups: {managed: {ingress: [{securityGroupIDs: [sg-nothexxx]}]}}`,
		wantField: "spec.securityGroups.managed.ingress[0].securityGroupIDs[0]", wantMessage: "should match '^sg-"},
	{name: "endpoint id wrong prefix", kind: gatewayKind, spec: `endpointID: vpc-0a1b2c3d4e5f67890`,
		wantField: "spec.endpointID", wantMessage: "should match '^vpce-"},
	{name: "region upper-case", kind: interfaceKind, spec: `region: US-EAST-1`,
		wantField: "spec.region", wantMessage: "should match"},
	{name: "interface service with invalid characters", kind: interfaceKind, spec: `service: "SSM!"`,
		wantField: "spec.service", wantMessage: "should match"},

	// Connection details.
	{name: "connection details ConfigMap name upper-case", kind: interfaceKind, spec: `connectionDetails: {configMapName: S3-Endpoint}`,
		wantField: "spec.connectionDetails.configMapName", wantMessage: "should match"},
	{name: "connection details without a ConfigMap name", kind: gatewayKind, spec: `connectionDetails: {}`,
		wantField: "spec.connectionDetails.configMapName", wantMessage: "Required value"},
	{name: "connection details ConfigMap name empty", kind: gatewayKind, spec: `connectionDetails: {configMapName: ""}`,
		wantField: "spec.connectionDetails.configMapName", wantMessage: "should be at least 1 chars long"},

	// VPC selector.
	{name: "vpc with both id and tags", kind: gatewayKind, spec: `vpc: {tags: {env: prod}}`,
		wantField: "spec.vpc", wantMessage: "set exactly one of vpc.id or vpc.tags"},
	{name: "vpc with neither id nor tags", kind: interfaceKind, spec: `vpc: {id: null}`,
		wantField: "spec.vpc", wantMessage: "set exactly one of vpc.id or vpc.tags"},
	{name: "vpc tags empty", kind: gatewayKind, spec: `vpc: {id: null, tags: {}}`,
		wantField: "spec.vpc.tags", wantMessage: "should have at least 1 properties"},
	{name: "vpc missing", kind: gatewayKind, spec: `vpc: null`,
		wantField: "spec.vpc", wantMessage: "Required value"},

	// Gateway service and route tables.
	{name: "gateway with unknown service", kind: gatewayKind, spec: `service: ec2`,
		wantField: "spec.service", wantMessage: `Unsupported value: "ec2"`},
	{name: "route tables empty", kind: gatewayKind, spec: `routeTables: {ids: null}`,
		wantField: "spec.routeTables", wantMessage: "set at least one of routeTables.ids, routeTables.subnetIDs or routeTables.tags"},
	{name: "route table ids an empty list", kind: gatewayKind, spec: `routeTables: {ids: []}`,
		wantField: "spec.routeTables.ids", wantMessage: "should have at least 1 items"},
	{name: "route tables missing", kind: gatewayKind, spec: `routeTables: null`,
		wantField: "spec.routeTables", wantMessage: "Required value"},

	// Tags.
	{name: "tag key reserved aws:", kind: gatewayKind, spec: `tags: {"aws:cloudformation:stack-name": x}`,
		wantField: "spec.tags", wantMessage: "tag keys may not start with 'aws:' or 'vpce.dev/' (reserved)"},
	{name: "tag key reserved vpce.dev/", kind: interfaceKind, spec: `tags: {"vpce.dev/owner": x}`,
		wantField: "spec.tags", wantMessage: "tag keys may not start with 'aws:' or 'vpce.dev/' (reserved)"},
	{name: "47 tags without Name", kind: gatewayKind, spec: "tags: " + manyTags(47),
		wantField: "spec.tags", wantMessage: "at most 46 tags (47 when one is Name)"},
	{name: "tag value of 257 characters", kind: interfaceKind, spec: "tags: {team: " + strings.Repeat("v", 257) + "}",
		wantField: "spec.tags.team", wantMessage: "may not be more than 256"},
	{name: "tag key of 129 characters", kind: gatewayKind, spec: "tags: {" + strings.Repeat("k", 129) + ": x}",
		wantField: "spec.tags", wantMessage: "tag keys must be 1 to 128 characters"},
	{name: "tag key empty", kind: interfaceKind, spec: `tags: {"": x}`,
		wantField: "spec.tags", wantMessage: "tag keys must be 1 to 128 characters"},

	// Immutable fields (updates of valid objects).
	{name: "region changed", kind: gatewayKind, update: `region: us-west-2`,
		wantField: "spec.region", wantMessage: "spec.region is immutable: delete the object and create it again"},
	{name: "region added", kind: interfaceKind, spec: `region: null`, update: `region: us-east-1`,
		wantField: "spec.region", wantMessage: "spec.region is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again"},
	{name: "region removed", kind: gatewayKind, update: `region: null`,
		wantField: "spec.region", wantMessage: "spec.region is immutable: it cannot be added or removed after creation; restore it as it was, or delete the object and create it again"},
	{name: "vpc id changed", kind: gatewayKind, update: `vpc: {id: vpc-0b1c2d3e4f5a67890}`,
		wantField: "spec.vpc", wantMessage: "spec.vpc is immutable: delete the object and create it again"},
	{name: "vpc id replaced by tags", kind: interfaceKind, update: `vpc: {id: null, tags: {env: prod}}`,
		wantField: "spec.vpc", wantMessage: "spec.vpc is immutable: delete the object and create it again"},
	{name: "gateway service changed", kind: gatewayKind, update: `service: dynamodb`,
		wantField: "spec.service", wantMessage: "spec.service is immutable: delete the object and create it again"},
	{name: "interface service changed", kind: interfaceKind, update: `service: ec2`,
		wantField: "spec.service", wantMessage: "spec.service is immutable: delete the object and create it again"},

	// Instance Connect Endpoints.
	{name: "instance connect subnet changed", kind: iceKind, update: `subnet: {id: subnet-0b1c2d3e4f5a67890}`,
		wantField: "spec.subnet", wantMessage: "spec.subnet is immutable (AWS cannot move an Instance Connect Endpoint to another subnet): delete the object and create it again"},
	{name: "instance connect subnet by id replaced by tags", kind: iceKind, update: `subnet: {id: null, tags: {tier: private}}`,
		wantField: "spec.subnet", wantMessage: "spec.subnet is immutable"},
	{name: "instance connect vpc changed", kind: iceKind, update: `vpc: {id: vpc-0b1c2d3e4f5a67890}`,
		wantField: "spec.vpc", wantMessage: "spec.vpc is immutable: delete the object and create it again"},
	{name: "instance connect subnet with id and tags", kind: iceKind, spec: `subnet: {tags: {tier: private}}`,
		wantField: "spec.subnet", wantMessage: "set exactly one of subnet.id or subnet.tags"},
	{name: "instance connect preferred zone without tags", kind: iceKind, spec: `subnet: {preferredZone: us-east-1a}`,
		wantField: "spec.subnet", wantMessage: "subnet.preferredZone chooses among the subnets of subnet.tags"},
	{name: "instance connect preferred zone not a zone", kind: iceKind, spec: `subnet: {id: null, tags: {tier: private}, preferredZone: us-east-1}`,
		wantField: "spec.subnet.preferredZone", wantMessage: "should match"},
	{name: "instance connect subnet missing", kind: iceKind, spec: `subnet: null`,
		wantField: "spec.subnet", wantMessage: "Required value"},
	{name: "instance connect endpoint id of a VPC endpoint", kind: iceKind, spec: `endpointID: vpce-0a1b2c3d4e5f67890`,
		wantField: "spec.endpointID", wantMessage: "should match '^eice-"},
	{name: "instance connect egress entry with cidrs and groups", kind: iceKind,
		spec:      `securityGroups: {managed: {egress: [{cidrs: [10.0.0.0/16], securityGroupIDs: [sg-0a1b2c3d]}]}}`,
		wantField: "spec.securityGroups.managed.egress[0]", wantMessage: "set exactly one of cidrs or securityGroupIDs in each egress entry"},
	{name: "instance connect security groups empty", kind: iceKind, spec: `securityGroups: {}`,
		wantField: "spec.securityGroups", wantMessage: "set securityGroups.ids, securityGroups.managed, or both"},
	{name: "instance connect reserved tag", kind: iceKind, spec: `tags: {"vpce.dev/owner": x}`,
		wantField: "spec.tags", wantMessage: "tag keys may not start with 'aws:' or 'vpce.dev/'"},

	// DNS record and IP address types.
	{name: "ipv6 records with default ipv4 endpoint", kind: interfaceKind, spec: `dnsRecordIPType: ipv6`,
		wantField: "spec.dnsRecordIPType", wantMessage: "dnsRecordIPType must match ipAddressType"},
	{name: "ipv6 records with ipv4 endpoint", kind: interfaceKind, spec: `{dnsRecordIPType: ipv6, ipAddressType: ipv4}`,
		wantField: "spec.dnsRecordIPType", wantMessage: "dnsRecordIPType must match ipAddressType"},
	{name: "dualstack records with ipv4 endpoint", kind: interfaceKind, spec: `{dnsRecordIPType: dualstack, ipAddressType: ipv4}`,
		wantField: "spec.dnsRecordIPType", wantMessage: "dnsRecordIPType must match ipAddressType"},
	{name: "dualstack records with default endpoint", kind: interfaceKind, spec: `dnsRecordIPType: dualstack`,
		wantField: "spec.dnsRecordIPType", wantMessage: "dnsRecordIPType must match ipAddressType"},
	{name: "ipv4 records with ipv6 endpoint", kind: interfaceKind, spec: `{dnsRecordIPType: ipv4, ipAddressType: ipv6}`,
		wantField: "spec.dnsRecordIPType", wantMessage: "dnsRecordIPType must match ipAddressType"},
	{name: "unknown dns record type", kind: interfaceKind, spec: `dnsRecordIPType: ipv5`,
		wantField: "spec.dnsRecordIPType", wantMessage: `Unsupported value: "ipv5"`},
	{name: "unknown ip address type", kind: interfaceKind, spec: `ipAddressType: both`,
		wantField: "spec.ipAddressType", wantMessage: `Unsupported value: "both"`},

	// Subnets.
	{name: "subnets with both ids and tags", kind: interfaceKind, spec: `subnets: {tags: {tier: private}}`,
		wantField: "spec.subnets", wantMessage: "set exactly one of subnets.ids or subnets.tags"},
	{name: "subnets with neither ids nor tags", kind: interfaceKind, spec: `subnets: {ids: null}`,
		wantField: "spec.subnets", wantMessage: "set exactly one of subnets.ids or subnets.tags"},

	// Security groups.
	{name: "security groups empty", kind: interfaceKind, spec: `securityGroups: {}`,
		wantField: "spec.securityGroups", wantMessage: "set securityGroups.ids, securityGroups.managed, or both"},
	{name: "six security group ids", kind: interfaceKind,
		spec:      `securityGroups: {ids: [sg-00000001, sg-00000002, sg-00000003, sg-00000004, sg-00000005, sg-00000006]}`,
		wantField: "spec.securityGroups.ids", wantMessage: "must have at most 5 items"},
	{name: "ingress cidr prefix too long", kind: interfaceKind, spec: `securityGroups: {managed: {ingress: [{cidrs: [10.0.0.0/33]}]}}`,
		wantField: "spec.securityGroups.managed.ingress[0].cidrs", wantMessage: "cidrs must be valid CIDR blocks"},
	{name: "ingress cidr not an address", kind: interfaceKind, spec: `securityGroups: {managed: {ingress: [{cidrs: [10.0.0.0/16, vpc-cidr]}]}}`,
		wantField: "spec.securityGroups.managed.ingress[0].cidrs", wantMessage: "cidrs must be valid CIDR blocks"},
	{name: "ingress entry with cidrs and security groups", kind: interfaceKind,
		spec:      `securityGroups: {managed: {ingress: [{cidrs: [10.0.0.0/16], securityGroupIDs: [sg-0a1b2c3d]}]}}`,
		wantField: "spec.securityGroups.managed.ingress[0]", wantMessage: "set exactly one of cidrs or securityGroupIDs in each ingress entry"},
	{name: "ingress entry empty", kind: interfaceKind, spec: `securityGroups: {managed: {ingress: [{cidrs: [10.0.0.0/16]}, {}]}}`,
		wantField: "spec.securityGroups.managed.ingress[1]", wantMessage: "set exactly one of cidrs or securityGroupIDs in each ingress entry"},
	{name: "port zero", kind: interfaceKind, spec: `securityGroups: {managed: {ports: [0]}}`,
		wantField: "spec.securityGroups.managed.ports[0]", wantMessage: "should be greater than or equal to 1"},
	{name: "port above 65535", kind: interfaceKind, spec: `securityGroups: {managed: {ports: [443, 70000]}}`,
		wantField: "spec.securityGroups.managed.ports[1]", wantMessage: "should be less than or equal to 65535"},
	{name: "ports an empty list", kind: interfaceKind, spec: `securityGroups: {managed: {ports: []}}`,
		wantField: "spec.securityGroups.managed.ports", wantMessage: "should have at least 1 items"},

	// Private DNS.
	{name: "inbound-resolver-only private DNS without private DNS", kind: interfaceKind,
		spec:      `privateDNS: {enabled: false, onlyForInboundResolverEndpoint: true}`,
		wantField: "spec.privateDNS", wantMessage: "privateDNS.onlyForInboundResolverEndpoint requires privateDNS.enabled"},

	// Deletion policy and policy document.
	{name: "unknown deletion policy", kind: gatewayKind, spec: `deletionPolicy: Keep`,
		wantField: "spec.deletionPolicy", wantMessage: `Unsupported value: "Keep"`},
	{name: "policy as a JSON string", kind: gatewayKind, spec: `policy: '{"Version": "2012-10-17", "Statement": []}'`,
		wantField: "spec.policy", wantMessage: "must be of type object"},
	{name: "policy as a list", kind: interfaceKind, spec: `policy: [{Effect: Allow}]`,
		wantField: "spec.policy", wantMessage: "must be of type object"},
}

func TestInvalidManifestsAreRejectedNamingTheField(t *testing.T) {
	const namespace = "invalid"
	ensureNamespace(t, namespace)
	for i, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			obj := patchedObject(t, tc.kind, namespace, fmt.Sprintf("case-%02d", i), tc.spec)
			err := env.Client.Create(ctx, obj)
			if tc.update != "" {
				if err != nil {
					t.Fatalf("create before the update: %v", err)
				}
				updated := patchedObject(t, tc.kind, namespace, obj.GetName(), tc.spec, tc.update)
				updated.SetResourceVersion(obj.GetResourceVersion())
				err = env.Client.Update(ctx, updated)
			}
			assertRejected(t, err, tc.wantField, tc.wantMessage)
		})
	}
}

// assertRejected checks that err is the apiserver's Invalid error with a cause on
// field whose message contains message.
func assertRejected(t *testing.T, err error, field, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want rejection of %s with %q", field, message)
	}
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil {
		t.Fatalf("error = %v; want an Invalid error naming %s", err, field)
	}
	for _, cause := range status.Status().Details.Causes {
		if cause.Field == field && strings.Contains(cause.Message, message) {
			return
		}
	}
	t.Fatalf("rejection names no cause %s with %q:\n%s", field, message, describeCauses(status.Status().Details.Causes))
}

// describeCauses lists an error's causes one per line.
func describeCauses(causes []metav1.StatusCause) string {
	lines := make([]string, len(causes))
	for i, cause := range causes {
		lines[i] = fmt.Sprintf("  %s: %s", cause.Field, cause.Message)
	}
	return strings.Join(lines, "\n")
}
