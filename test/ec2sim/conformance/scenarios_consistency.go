package conformance

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// consistencySource is where AWS documents eventual consistency.
const consistencySource = "EC2 developer guide: Eventual consistency in the Amazon EC2 API"

// consistencyScenarios cover eventual consistency. AWS shows it at random;
// a target with controls (ec2sim) shows the worst case: the consistency
// window set, every read right after a write misses it, and every read after
// the window sees it.
func consistencyScenarios() []Scenario {
	return []Scenario{{
		Name:      "authorize-right-after-create-security-group",
		Behaviour: "AuthorizeSecurityGroupIngress right after CreateSecurityGroup may fail `InvalidGroup.NotFound` until the new group has propagated, and succeeds once it has",
		Source:    consistencySource + " (its example: CreateSecurityGroup then AuthorizeSecurityGroupIngress); EC2 API reference: Error codes (`InvalidGroup.NotFound`)",
		Check:     checkAuthorizeRightAfterCreate,
	}, {
		Name:      "new-endpoint-unseen-by-id-listings-and-writes",
		Behaviour: "right after CreateVpcEndpoint, DescribeVpcEndpoints by ID may fail `InvalidVpcEndpointId.NotFound`, a tag-filtered listing may omit the endpoint and CreateTags on it may fail `InvalidVpcEndpointId.NotFound`; all see it once it has propagated",
		Source:    consistencySource + " (describe, modify and tag by ID right after a create; filtered listings)",
		Check:     checkNewEndpointUnseen,
	}, {
		Name:      "changes-seen-late",
		Behaviour: "right after ModifyVpcEndpoint adds a route table and CreateTags adds a tag, DescribeVpcEndpoints and DescribeRouteTables may still show the previous route tables, routes and tags",
		Source:    consistencySource + " (\"changes to resources … might not be immediately visible\"; tags)",
		Check:     checkChangesSeenLate,
	}, {
		Name:      "deleted-group-still-listed",
		Behaviour: "right after DeleteSecurityGroup, DescribeSecurityGroups by ID may still return the group until the deletion has propagated",
		Source:    consistencySource + " (a deleted resource may still be described for a while)",
		Check:     checkDeletedGroupStillListed,
	}}
}

// createGroup creates a security group in the VPC.
func (e *Env) createGroup(ctx context.Context, vpcID, name string) (string, error) {
	out, err := e.Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId: aws.String(vpcID), GroupName: aws.String(name), Description: aws.String("conformance"),
	})
	if err != nil {
		return "", stepErr("CreateSecurityGroup", err)
	}
	return aws.ToString(out.GroupId), nil
}

func httpsIngress(groupID string) *ec2.AuthorizeSecurityGroupIngressInput {
	return &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}},
	}}}
}

func checkAuthorizeRightAfterCreate(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 0)
	if err != nil {
		return err
	}
	env.setConsistency(consistencyWindow)
	sg, err := env.createGroup(ctx, n.VpcID, "conformance-authorize")
	if err != nil {
		return err
	}
	_, err = env.Client.AuthorizeSecurityGroupIngress(ctx, httpsIngress(sg))
	if err := wantCode("AuthorizeSecurityGroupIngress right after CreateSecurityGroup", err, "InvalidGroup.NotFound"); err != nil {
		return err
	}
	if err := env.waitWindow(ctx); err != nil {
		return err
	}
	return env.eventually(ctx, func() error {
		if _, err := env.Client.AuthorizeSecurityGroupIngress(ctx, httpsIngress(sg)); err != nil {
			return stepErr("AuthorizeSecurityGroupIngress once the group propagated", err)
		}
		return nil
	})
}

func checkNewEndpointUnseen(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	env.setConsistency(consistencyWindow)
	in := gatewayInput(n.VpcID, n.RouteTables, "conformance-unseen")
	in.TagSpecifications = endpointTags(map[string]string{"conformance": "unseen"})
	out, err := env.Client.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return stepErr("CreateVpcEndpoint", err)
	}
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	_, err = env.Client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err := wantCode("DescribeVpcEndpoints by ID right after create", err, "InvalidVpcEndpointId.NotFound"); err != nil {
		return err
	}
	if listed, err := env.describeEndpoints(ctx, filter("tag:conformance", "unseen")); err != nil {
		return err
	} else if len(listed) != 0 {
		return fmt.Errorf("a tag-filtered listing right after create listed the endpoint, want it omitted")
	}
	_, err = env.Client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err := wantCode("CreateTags right after create", err, "InvalidVpcEndpointId.NotFound"); err != nil {
		return err
	}
	if err := env.waitWindow(ctx); err != nil {
		return err
	}
	return env.eventually(ctx, func() error {
		if _, err := env.endpoint(ctx, id); err != nil {
			return err
		}
		if listed, err := env.describeEndpoints(ctx, filter("tag:conformance", "unseen")); err != nil || len(listed) != 1 {
			return fmt.Errorf("the tag-filtered listing does not list the endpoint once it propagated")
		}
		_, err := env.Client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		if err != nil {
			return stepErr("CreateTags once the endpoint propagated", err)
		}
		return nil
	})
}

func checkChangesSeenLate(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	ep, err := env.createGateway(ctx, n.VpcID, "s3", n.RouteTables[:1])
	if err != nil {
		return err
	}
	id := aws.ToString(ep.VpcEndpointId)
	pl, err := env.prefixListID(ctx, "s3")
	if err != nil {
		return err
	}
	env.setConsistency(consistencyWindow)
	if _, err := env.Client.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), AddRouteTableIds: n.RouteTables[1:]}); err != nil {
		return stepErr("ModifyVpcEndpoint", err)
	}
	if _, err := env.Client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("conformance"), Value: aws.String("late")}}}); err != nil {
		return stepErr("CreateTags", err)
	}
	seen, err := env.endpoint(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case len(seen.RouteTableIds) != 1:
		return fmt.Errorf("right after ModifyVpcEndpoint the endpoint lists %d route tables, want the previous 1", len(seen.RouteTableIds))
	case len(seen.Tags) != 0:
		return fmt.Errorf("right after CreateTags the endpoint shows the new tag, want its previous tags")
	}
	rt, err := env.routeTable(ctx, n.RouteTables[1])
	if err != nil {
		return err
	}
	if endpointRoute(rt, pl, id) {
		return fmt.Errorf("right after ModifyVpcEndpoint the added route table has the endpoint's route, want its previous routes")
	}
	if err := env.waitWindow(ctx); err != nil {
		return err
	}
	if err := env.eventually(ctx, func() error {
		seen, err := env.endpoint(ctx, id)
		if err != nil {
			return err
		}
		if len(seen.RouteTableIds) != 2 || len(seen.Tags) != 1 {
			return fmt.Errorf("once propagated the endpoint lists %d route tables and %d tags, want 2 and 1", len(seen.RouteTableIds), len(seen.Tags))
		}
		return nil
	}); err != nil {
		return err
	}
	return env.waitRoutes(ctx, n.RouteTables[1:], pl, id, true)
}

func checkDeletedGroupStillListed(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 0)
	if err != nil {
		return err
	}
	sg, err := env.createGroup(ctx, n.VpcID, "conformance-deleted")
	if err != nil {
		return err
	}
	env.setConsistency(consistencyWindow)
	if _, err := env.Client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)}); err != nil {
		return stepErr("DeleteSecurityGroup", err)
	}
	if _, err := env.Client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}}); err != nil {
		return fmt.Errorf("DescribeSecurityGroups by ID right after DeleteSecurityGroup failed with %s, want the group still described", describeErr(err))
	}
	if err := env.waitWindow(ctx); err != nil {
		return err
	}
	return env.eventually(ctx, func() error {
		_, err := env.Client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
		return wantCode("DescribeSecurityGroups by ID once the deletion propagated", err, "InvalidGroup.NotFound")
	})
}
