package endpoint

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/internal/awsclient"
)

// vpcLister answers DescribeVpcs with a fixed list; other calls are not expected.
type vpcLister struct {
	awsclient.EC2
	vpcs []types.Vpc
}

func (l vpcLister) DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	return &ec2.DescribeVpcsOutput{Vpcs: l.vpcs}, nil
}

// TestVPCProblemsAdviseAFixTheAPIServerAccepts: spec.vpc is immutable, so a message
// about it must not ask for a new value in place but say to delete and recreate.
func TestVPCProblemsAdviseAFixTheAPIServerAccepts(t *testing.T) {
	two := []types.Vpc{{VpcId: aws.String("vpc-0a1b2c3d")}, {VpcId: aws.String("vpc-0b1c2d3e")}}
	for _, c := range []struct {
		name string
		spec Spec
		vpcs []types.Vpc
	}{
		{"ID of no VPC", Spec{VPCID: "vpc-0a1b2c3d"}, nil},
		{"tags of no VPC", Spec{VPCTags: map[string]string{"env": "prod"}}, nil},
		{"tags of two VPCs", Spec{VPCTags: map[string]string{"env": "prod"}}, two},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := resolveVPC(context.Background(), vpcLister{vpcs: c.vpcs}, "us-east-1", c.spec)
			p, ok := err.(*Problem)
			if !ok {
				t.Fatalf("error = %v, want a Problem", err)
			}
			if !strings.Contains(p.Message, "spec.vpc is immutable") || !strings.Contains(p.Message, "delete this object and create it") {
				t.Errorf("message %q does not say to delete and recreate the object to change spec.vpc", p.Message)
			}
			for _, refused := range []string{"name an existing VPC", "change the selector", "or use spec.vpc.id"} {
				if strings.Contains(p.Message, refused) {
					t.Errorf("message %q advises %q, which the apiserver refuses", p.Message, refused)
				}
			}
		})
	}
}
