package ec2cache

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A private DNS check answered from a read that covered a whole region's VPCs
// (as while a fleet converges) looks only through its own VPC's endpoints: it
// costs the same with 200 VPCs in the read as with one, and answers the same.
func TestPrivateDNSCheckLooksOnlyThroughItsVPC(t *testing.T) {
	const vpcs, perVPC = 200, 50
	var items []types.VpcEndpoint
	values := map[string]map[string]struct{}{"vpc-id": {}}
	for v := range vpcs {
		vpc := fmt.Sprintf("vpc-%04d", v)
		values["vpc-id"][vpc] = struct{}{}
		for e := range perVPC {
			items = append(items, types.VpcEndpoint{VpcId: aws.String(vpc), VpcEndpointId: aws.String(fmt.Sprintf("vpce-%04d-%02d", v, e)),
				ServiceName: aws.String(fmt.Sprintf("com.amazonaws.eu-west-1.svc%02d", e)), State: types.StateAvailable, VpcEndpointType: types.VpcEndpointTypeInterface})
		}
	}
	start := time.Unix(1_000_000, 0)
	var a vpcEndpointAnswers
	a.put(values, items, start, start.Add(-time.Minute))
	check := []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{"vpc-0123", "vpc-0123"}},
		{Name: aws.String("service-name"), Values: []string{"com.amazonaws.eu-west-1.svc07"}},
	}
	got, ok := a.get(check, start)
	if !ok || len(got) != 1 || aws.ToString(got[0].VpcEndpointId) != "vpce-0123-07" {
		t.Fatalf("check answered %v (from a read: %v), want only vpce-0123-07", got, ok)
	}
	// The filters are evaluated with a few allocations per endpoint looked at:
	// looking through all 10,000 of the read would make some 60,000.
	if allocs := testing.AllocsPerRun(100, func() { a.get(check, start) }); allocs > 10*perVPC {
		t.Fatalf("a check allocated %.0f times; one that looks only through its VPC's %d endpoints allocates at most %d", allocs, perVPC, 10*perVPC)
	}
}
