package controllers_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// TestForeignTagSurvivesTenSyncPeriods: a tag someone else adds to an endpoint
// (a CostCenter set with the CLI) is never removed. Each of ten rounds changes one
// of the object's own tags (stripped, or given another value, in turns: a drift
// back to the very state before the controller's last change would read as AWS
// not showing that change yet) and waits for the drift check of a sync period to
// put it back, so each round proves one more drift check that left the foreign
// tag alone.
func TestForeignTagSurvivesTenSyncPeriods(t *testing.T) {
	h := newHarness(t)
	gw := gateway("tags", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
	gw.Spec.Tags = map[string]v1alpha1.TagValue{"team": "platform"}
	h.create(gw)
	h.waitReady(gw)
	id := gw.Status.EndpointID
	h.tag(id, "CostCenter", "42")
	for round := 1; round <= 10; round++ {
		if round%2 == 1 {
			if _, err := h.ec2.DeleteTags(h.ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("team")}}}); err != nil {
				t.Fatal(err)
			}
		} else {
			h.tag(id, "team", "someone-else")
		}
		h.eventually(4*syncPeriod, fmt.Sprintf("round %d: team restored", round), func() error {
			tags := tagsOf(h.endpoint(id).Tags)
			if tags["CostCenter"] != "42" {
				t.Fatalf("round %d: the foreign CostCenter tag is gone: %v", round, tags)
			}
			if tags["team"] != "platform" {
				return fmt.Errorf("tags %v", tags)
			}
			return nil
		})
	}
	h.get(gw)
	if want := []string{"Name", "team"}; !reflect.DeepEqual(gw.Status.AppliedTagKeys, want) {
		t.Fatalf("status.appliedTagKeys = %v, want %v", gw.Status.AppliedTagKeys, want)
	}
	// The foreign tag is not drift: no repair ever named it.
	for _, e := range h.events(gw) {
		if e.Reason == v1alpha1.EventDriftCorrected && strings.Contains(e.Note, "CostCenter") {
			t.Fatalf("drift event about the foreign tag: %s", e.Note)
		}
	}
}

// TestDefaultTagsAndAdoptionKeepsForeignTags: --default-tags land on every
// endpoint and security group the controller creates; an adopted endpoint keeps
// the tags it had (its Name and a CostCenter of its own included) and gets only
// the default tags it lacked; removing a spec tag removes only that tag.
func TestDefaultTagsAndAdoptionKeepsForeignTags(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	h.options = func(o *manager.Options) { o.DefaultTags = "CostCenter=platform,ManagedBy=vpce-controller" }
	h.startManager("")
	gw := gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[:1]})
	gw.Spec.Tags = map[string]v1alpha1.TagValue{"team": "a", "CostCenter": "team-a"}
	h.create(gw)
	ife := iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{IDs: h.privateSubnets()[:1]})
	h.create(ife)
	h.waitReady(gw)
	h.waitReady(ife)
	if got := tagsOf(h.endpoint(gw.Status.EndpointID).Tags); got["ManagedBy"] != "vpce-controller" || got["CostCenter"] != "team-a" || got["team"] != "a" {
		t.Fatalf("gateway tags %v: want the default tags, spec.tags winning over them", got)
	}
	if got := tagsOf(h.endpoint(ife.Status.EndpointID).Tags); got["ManagedBy"] != "vpce-controller" || got["CostCenter"] != "platform" {
		t.Fatalf("interface endpoint tags %v", got)
	}
	groups, err := h.ec2.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{ife.Status.ManagedSecurityGroupID}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(groups.SecurityGroups[0].Tags); got["ManagedBy"] != "vpce-controller" || got["CostCenter"] != "platform" || got["vpce.dev/owner-uid"] != string(ife.UID) {
		t.Fatalf("managed security group tags %v", got)
	}

	// Adoption keeps what the endpoint carries.
	existing, err := h.ec2.CreateVpcEndpoint(h.ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(h.fix.VPCID), ServiceName: aws.String("com.amazonaws.us-east-1.dynamodb"), VpcEndpointType: types.VpcEndpointTypeGateway,
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{
			{Key: aws.String("Name"), Value: aws.String("made-by-terraform")},
			{Key: aws.String("CostCenter"), Value: aws.String("finance")},
			{Key: aws.String("terraform:module"), Value: aws.String("network")},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(existing.VpcEndpoint.VpcEndpointId)
	adopt := gateway("adopt", h.fix.VPCID, v1alpha1.RouteTableSelector{IDs: h.privateRouteTables()[1:2]})
	adopt.Spec.Service, adopt.Spec.EndpointID = "dynamodb", id
	adopt.Spec.Tags = map[string]v1alpha1.TagValue{"team": "b"}
	h.create(adopt)
	h.waitReady(adopt)
	want := map[string]string{
		"Name": "made-by-terraform", "CostCenter": "finance", "terraform:module": "network", // kept
		"ManagedBy": "vpce-controller", "team": "b", // added
		"vpce.dev/cluster": "test", "vpce.dev/owner": h.ns + "/adopt", "vpce.dev/owner-uid": string(adopt.UID),
	}
	h.eventually(5*time.Second, "adopted endpoint's tags", func() error {
		if got := tagsOf(h.endpoint(id).Tags); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("tags %v, want %v", got, want)
		}
		return nil
	})
	// Dropping the spec tag removes it, and only it.
	h.update(adopt, func() { adopt.Spec.Tags = nil })
	delete(want, "team")
	h.eventually(10*time.Second, "spec tag removed", func() error {
		if got := tagsOf(h.endpoint(id).Tags); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("tags %v, want %v", got, want)
		}
		return nil
	})
	// The status forgets the key once a read confirmed the removal: soon after, not at once.
	h.eventually(10*time.Second, "appliedTagKeys of the adopted endpoint", func() error {
		h.get(adopt)
		if got := adopt.Status.AppliedTagKeys; !reflect.DeepEqual(got, []string{"ManagedBy"}) {
			return fmt.Errorf("appliedTagKeys = %v, want [ManagedBy]", got)
		}
		return nil
	})
}
