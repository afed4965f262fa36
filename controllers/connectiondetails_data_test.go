package controllers

import (
	"maps"
	"regexp"
	"testing"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// envName is what a shell and Kubernetes' envFrom accept as a variable name
// without complaint (POSIX: letters, digits, underscores, not starting with a digit).
var envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

func TestInterfaceConnectionData(t *testing.T) {
	common := v1alpha1.EndpointStatusCommon{EndpointID: "vpce-0a1b2c3d4e5f67890", Region: "us-east-1", VPCID: "vpc-0123456789abcdef0"}
	twoZones := []v1alpha1.NetworkInterface{
		{ID: "eni-b", SubnetID: "subnet-b", AvailabilityZone: "us-east-1b", PrivateIPv4: "10.0.2.10", PrivateIPv6: "2600:1f18::b"},
		{ID: "eni-a", SubnetID: "subnet-a", AvailabilityZone: "us-east-1a", PrivateIPv4: "10.0.1.10"},
	}
	withService := func(name string) v1alpha1.EndpointStatusCommon {
		c := common
		c.ServiceName = name
		return c
	}
	cases := []struct {
		name   string
		status v1alpha1.InterfaceEndpointStatus
		want   map[string]string
	}{{
		name: "S3 as AWS names it: wildcard names, private DNS, two zones",
		status: v1alpha1.InterfaceEndpointStatus{
			EndpointStatusCommon: withService("com.amazonaws.us-east-1.s3"),
			PrivateDNSEnabled:    true,
			NetworkInterfaces:    twoZones,
			DNSEntries: []v1alpha1.DNSEntry{
				{Name: "*.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com", Type: v1alpha1.DNSEntryRegional},
				{Name: "*.vpce-0a1b2c3d4e5f67890-abcd1234-us-east-1a.s3.us-east-1.vpce.amazonaws.com", Type: v1alpha1.DNSEntryZonal, AvailabilityZone: "us-east-1a"},
				{Name: "*.vpce-0a1b2c3d4e5f67890-abcd1234-us-east-1b.s3.us-east-1.vpce.amazonaws.com", Type: v1alpha1.DNSEntryZonal, AvailabilityZone: "us-east-1b"},
				{Name: "s3.us-east-1.amazonaws.com", Type: v1alpha1.DNSEntryPrivateDNS},
				{Name: "*.s3.us-east-1.amazonaws.com", Type: v1alpha1.DNSEntryPrivateDNS},
			},
		},
		want: map[string]string{
			"VPCE_ENDPOINT_ID":            "vpce-0a1b2c3d4e5f67890",
			"VPCE_ENDPOINT_TYPE":          "Interface",
			"VPCE_SERVICE_NAME":           "com.amazonaws.us-east-1.s3",
			"VPCE_REGION":                 "us-east-1",
			"VPCE_VPC_ID":                 "vpc-0123456789abcdef0",
			"VPCE_DNS_NAME":               "*.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_DNS_NAME_US_EAST_1A":    "*.vpce-0a1b2c3d4e5f67890-abcd1234-us-east-1a.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_DNS_NAME_US_EAST_1B":    "*.vpce-0a1b2c3d4e5f67890-abcd1234-us-east-1b.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_PRIVATE_DNS_NAME":       "s3.us-east-1.amazonaws.com",
			"VPCE_PRIVATE_DNS_NAMES":      "s3.us-east-1.amazonaws.com,*.s3.us-east-1.amazonaws.com",
			"VPCE_S3_BUCKET_URL":          "https://bucket.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_S3_ACCESSPOINT_URL":     "https://accesspoint.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_S3_CONTROL_URL":         "https://control.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"AWS_ENDPOINT_URL_S3":         "https://bucket.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"AWS_ENDPOINT_URL_S3_CONTROL": "https://control.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_ZONES":                  "us-east-1a,us-east-1b",
			"VPCE_IPV4_US_EAST_1A":        "10.0.1.10",
			"VPCE_IPV4_US_EAST_1B":        "10.0.2.10",
			"VPCE_IPV6_US_EAST_1B":        "2600:1f18::b",
			"VPCE_IPV4_ADDRESSES":         "10.0.1.10,10.0.2.10",
			"VPCE_IPV6_ADDRESSES":         "2600:1f18::b",
		},
	}, {
		name: "S3 regional name without the leading wildcard (ec2sim's form) gives the same URLs",
		status: v1alpha1.InterfaceEndpointStatus{
			EndpointStatusCommon: withService("com.amazonaws.us-east-1.s3"),
			DNSEntries:           []v1alpha1.DNSEntry{{Name: "vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com", Type: v1alpha1.DNSEntryRegional}},
		},
		want: map[string]string{
			"VPCE_ENDPOINT_ID":            "vpce-0a1b2c3d4e5f67890",
			"VPCE_ENDPOINT_TYPE":          "Interface",
			"VPCE_SERVICE_NAME":           "com.amazonaws.us-east-1.s3",
			"VPCE_REGION":                 "us-east-1",
			"VPCE_VPC_ID":                 "vpc-0123456789abcdef0",
			"VPCE_DNS_NAME":               "vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_S3_BUCKET_URL":          "https://bucket.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_S3_ACCESSPOINT_URL":     "https://accesspoint.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"VPCE_S3_CONTROL_URL":         "https://control.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"AWS_ENDPOINT_URL_S3":         "https://bucket.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
			"AWS_ENDPOINT_URL_S3_CONTROL": "https://control.vpce-0a1b2c3d4e5f67890-abcd1234.s3.us-east-1.vpce.amazonaws.com",
		},
	}, {
		name: "another service: a plain URL, no S3 keys; private DNS off hides the private name",
		status: v1alpha1.InterfaceEndpointStatus{
			EndpointStatusCommon: withService("com.amazonaws.us-east-1.ssm"),
			NetworkInterfaces:    twoZones[1:],
			DNSEntries: []v1alpha1.DNSEntry{
				{Name: "vpce-0a1b2c3d4e5f67890-abcd1234.ssm.us-east-1.vpce.amazonaws.com", Type: v1alpha1.DNSEntryRegional},
				{Name: "vpce-0a1b2c3d4e5f67890-abcd1234-us-east-1a.ssm.us-east-1.vpce.amazonaws.com", Type: v1alpha1.DNSEntryZonal, AvailabilityZone: "us-east-1a"},
				{Name: "ssm.us-east-1.amazonaws.com", Type: v1alpha1.DNSEntryPrivateDNS},
			},
		},
		want: map[string]string{
			"VPCE_ENDPOINT_ID":         "vpce-0a1b2c3d4e5f67890",
			"VPCE_ENDPOINT_TYPE":       "Interface",
			"VPCE_SERVICE_NAME":        "com.amazonaws.us-east-1.ssm",
			"VPCE_REGION":              "us-east-1",
			"VPCE_VPC_ID":              "vpc-0123456789abcdef0",
			"VPCE_DNS_NAME":            "vpce-0a1b2c3d4e5f67890-abcd1234.ssm.us-east-1.vpce.amazonaws.com",
			"VPCE_DNS_NAME_US_EAST_1A": "vpce-0a1b2c3d4e5f67890-abcd1234-us-east-1a.ssm.us-east-1.vpce.amazonaws.com",
			"VPCE_URL":                 "https://vpce-0a1b2c3d4e5f67890-abcd1234.ssm.us-east-1.vpce.amazonaws.com",
			"VPCE_ZONES":               "us-east-1a",
			"VPCE_IPV4_US_EAST_1A":     "10.0.1.10",
			"VPCE_IPV4_ADDRESSES":      "10.0.1.10",
		},
	}, {
		name: "a PrivateLink service whose name merely ends in s3 is not S3",
		status: v1alpha1.InterfaceEndpointStatus{
			EndpointStatusCommon: withService("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0.s3"),
			DNSEntries:           []v1alpha1.DNSEntry{{Name: "vpce-0a1b2c3d4e5f67890-abcd1234.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com", Type: v1alpha1.DNSEntryRegional}},
		},
		want: map[string]string{
			"VPCE_ENDPOINT_ID":   "vpce-0a1b2c3d4e5f67890",
			"VPCE_ENDPOINT_TYPE": "Interface",
			"VPCE_SERVICE_NAME":  "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0.s3",
			"VPCE_REGION":        "us-east-1",
			"VPCE_VPC_ID":        "vpc-0123456789abcdef0",
			"VPCE_DNS_NAME":      "vpce-0a1b2c3d4e5f67890-abcd1234.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
			"VPCE_URL":           "https://vpce-0a1b2c3d4e5f67890-abcd1234.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
		},
	}, {
		name:   "no endpoint yet: nothing to publish",
		status: v1alpha1.InterfaceEndpointStatus{EndpointStatusCommon: v1alpha1.EndpointStatusCommon{Region: "us-east-1"}},
		want:   nil,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := interfaceConnectionData(&c.status)
			if !maps.Equal(got, c.want) {
				t.Fatalf("got\n%v\nwant\n%v", got, c.want)
			}
			for k := range got {
				if !envName.MatchString(k) {
					t.Errorf("key %q is not an environment variable name", k)
				}
			}
		})
	}
}

func TestGatewayConnectionData(t *testing.T) {
	st := v1alpha1.GatewayEndpointStatus{
		EndpointStatusCommon: v1alpha1.EndpointStatusCommon{EndpointID: "vpce-0f3e2d1c0b9a87654", Region: "eu-west-1", VPCID: "vpc-0123456789abcdef0", ServiceName: "com.amazonaws.eu-west-1.dynamodb"},
		RouteTableIDs:        []string{"rtb-0a", "rtb-0b"},
		PrefixListID:         "pl-6fa54006",
	}
	want := map[string]string{
		"VPCE_ENDPOINT_ID":     "vpce-0f3e2d1c0b9a87654",
		"VPCE_ENDPOINT_TYPE":   "Gateway",
		"VPCE_SERVICE_NAME":    "com.amazonaws.eu-west-1.dynamodb",
		"VPCE_REGION":          "eu-west-1",
		"VPCE_VPC_ID":          "vpc-0123456789abcdef0",
		"VPCE_PREFIX_LIST_ID":  "pl-6fa54006",
		"VPCE_ROUTE_TABLE_IDS": "rtb-0a,rtb-0b",
	}
	if got := gatewayConnectionData(&st); !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := gatewayConnectionData(&v1alpha1.GatewayEndpointStatus{}); got != nil {
		t.Fatalf("no endpoint yet: got %v, want nothing", got)
	}
}

func TestZoneKey(t *testing.T) {
	for zone, want := range map[string]string{
		"us-east-1a":       "US_EAST_1A",
		"us-west-2-lax-1a": "US_WEST_2_LAX_1A",
		"ap-northeast-1d":  "AP_NORTHEAST_1D",
	} {
		if got := zoneKey(zone); got != want || !envName.MatchString("VPCE_IPV4_"+got) {
			t.Errorf("zoneKey(%q) = %q, want %q", zone, got, want)
		}
	}
}

func TestDataHashIgnoresOrderAndSeesEveryChange(t *testing.T) {
	a := map[string]string{"A": "1", "B": "2"}
	if dataHash(a) != dataHash(map[string]string{"B": "2", "A": "1"}) {
		t.Fatal("same data, different digests")
	}
	for _, other := range []map[string]string{{"A": "1"}, {"A": "1", "B": "3"}, {"A": "1", "B": "2", "C": ""}, {"A": "1\nB=2"}} {
		if dataHash(a) == dataHash(other) {
			t.Errorf("%v and %v have the same digest", a, other)
		}
	}
}
