package conformance

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// instanceConnectScenarios cover EC2 Instance Connect Endpoints.
func instanceConnectScenarios() []Scenario {
	return []Scenario{{
		Name:      "instance-connect-endpoint",
		Behaviour: "CreateInstanceConnectEndpoint returns an `eice-…` endpoint in the subnet that DescribeInstanceConnectEndpoints then lists, reaching `create-complete`",
		Source:    "EC2 API reference: CreateInstanceConnectEndpoint, DescribeInstanceConnectEndpoints, Ec2InstanceConnectEndpoint (State); terraform-provider-aws internal/service/ec2/errors.go (errCodeInvalidInstanceConnectEndpointIdNotFound)",
		Check:     checkInstanceConnectEndpoint,
	}, {
		Name:      "instance-connect-endpoint-one-per-vpc",
		Behaviour: "a second CreateInstanceConnectEndpoint in a VPC that has one (in another subnet) is refused with an error code; the first endpoint is unaffected",
		Source:    "EC2 user guide: Quotas for EC2 Instance Connect Endpoint (one per VPC, one per subnet, not adjustable)",
		Check:     checkInstanceConnectOnePerVPC,
	}, {
		Name:      "instance-connect-endpoint-client-token",
		Behaviour: "CreateInstanceConnectEndpoint repeated with the same ClientToken returns the endpoint of the first call instead of making a second",
		Source:    "EC2 API reference: CreateInstanceConnectEndpoint (ClientToken); EC2 developer guide: Ensuring idempotency",
		Check:     checkInstanceConnectClientToken,
	}, {
		Name:      "instance-connect-endpoint-modify",
		Behaviour: "ModifyInstanceConnectEndpoint replaces the endpoint's security groups with the given set and sets PreserveClientIp; DescribeInstanceConnectEndpoints shows both once the endpoint is `update-complete`",
		Source:    "EC2 API reference: ModifyInstanceConnectEndpoint (SecurityGroupIds: \"the new set … replaces the current set\"), Ec2InstanceConnectEndpoint (State)",
		Check:     checkInstanceConnectModify,
	}, {
		Name:      "instance-connect-endpoint-tags-and-delete",
		Behaviour: "DescribeInstanceConnectEndpoints with a `tag:` filter lists the tagged endpoint; after DeleteInstanceConnectEndpoint it goes `delete-in-progress`, then is no longer listed, and a second delete fails `InvalidInstanceConnectEndpointId.NotFound`",
		Source:    "EC2 API reference: DescribeInstanceConnectEndpoints (Filters: tag:<key>), DeleteInstanceConnectEndpoint; EC2 API reference: Error codes (`InvalidInstanceConnectEndpointId.NotFound`)",
		Check:     checkInstanceConnectTagsAndDelete,
	}, {
		Name:      "new-instance-connect-endpoint-unseen",
		Behaviour: "right after CreateInstanceConnectEndpoint, DescribeInstanceConnectEndpoints by ID may fail `InvalidInstanceConnectEndpointId.NotFound` and a tag-filtered listing may omit the endpoint; both see it once it has propagated",
		Source:    consistencySource + " (describe by ID right after a create; filtered listings)",
		Check:     checkNewInstanceConnectUnseen,
	}, {
		Name:      "instance-connect-endpoint-region-quota",
		Behaviour: "with five Instance Connect Endpoints in a region (each in its own VPC), a sixth CreateInstanceConnectEndpoint is refused with a `…LimitExceeded` or `…QuotaExceeded` code and nothing is created",
		Source:    "EC2 user guide: Quotas for EC2 Instance Connect Endpoint (5 per AWS account per AWS Region, not adjustable)",
		Check:     checkInstanceConnectRegionQuota,
	}, {
		Name:      "instance-connect-endpoint-subnet-full",
		Behaviour: "CreateInstanceConnectEndpoint in a subnet without a free IPv4 address fails `InsufficientFreeAddressesInSubnet` and nothing is created",
		Source:    "EC2 API reference: Error codes (`InsufficientFreeAddressesInSubnet`: not enough free addresses in the subnet for the network interface); EC2 user guide: Instance Connect Endpoint (one network interface in the subnet)",
		Check:     checkInstanceConnectSubnetFull,
	}, {
		Name:      "instance-connect-endpoint-preserve-client-ip-ipv6",
		Behaviour: "CreateInstanceConnectEndpoint with PreserveClientIp in an IPv6-only subnet is refused with an error code and nothing is created",
		Source:    "EC2 API reference: CreateInstanceConnectEndpoint (PreserveClientIp: \"only supported on IPv4 EC2 Instance Connect Endpoints\")",
		Check:     checkInstanceConnectPreserveClientIPv6,
	}}
}

// wantNoICE checks that the VPC lists no Instance Connect Endpoint.
func (e *Env) wantNoICE(ctx context.Context, vpcID, after string) error {
	list, err := e.describeICEs(ctx, &ec2.DescribeInstanceConnectEndpointsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}})
	if err != nil {
		return stepErr("DescribeInstanceConnectEndpoints", err)
	}
	if len(list) != 0 {
		return fmt.Errorf("the VPC lists %d Instance Connect Endpoints after %s, want none", len(list), after)
	}
	return nil
}

func checkInstanceConnectRegionQuota(ctx context.Context, env *Env) error {
	for i := range 5 {
		n, err := env.newNetwork(ctx, true, 1)
		if err != nil {
			return err
		}
		if _, err := env.createICE(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(n.Subnets[0].ID)}); err != nil {
			return fmt.Errorf("endpoint %d of 5: %w", i+1, err)
		}
	}
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	_, err = env.Client.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(n.Subnets[0].ID)})
	if err == nil {
		return fmt.Errorf("a sixth CreateInstanceConnectEndpoint in the region succeeded, want a quota error")
	}
	if code := errorCode(err); !strings.Contains(code, "LimitExceeded") && !strings.Contains(code, "QuotaExceeded") {
		return fmt.Errorf("a sixth CreateInstanceConnectEndpoint in the region failed with %s, want a …LimitExceeded or …QuotaExceeded code", describeErr(err))
	}
	return env.wantNoICE(ctx, n.VpcID, "the refused sixth create")
}

func checkInstanceConnectSubnetFull(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	// A /28 has 16 addresses, 5 of which AWS reserves: 11 interface endpoints
	// take the others.
	full, err := env.createSubnet(ctx, n.VpcID, "10.0.200.0/28", zones[0])
	if err != nil {
		return err
	}
	for i := range 11 {
		if _, err := env.createInterface(ctx, n.VpcID, "ssm", []string{full.ID}, interfaceOpts{}); err != nil {
			return fmt.Errorf("interface endpoint %d of 11: %w", i+1, err)
		}
	}
	_, err = env.Client.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(full.ID)})
	if err := wantCode("CreateInstanceConnectEndpoint in a full subnet", err, "InsufficientFreeAddressesInSubnet"); err != nil {
		return err
	}
	return env.wantNoICE(ctx, n.VpcID, "the refused create")
}

func checkInstanceConnectPreserveClientIPv6(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	sn, err := env.Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{
		VpcId: aws.String(n.VpcID), Ipv6Native: aws.Bool(true), Ipv6CidrBlock: aws.String("2600:1f18:1:7100::/64"), AvailabilityZone: aws.String(zones[0]),
	})
	if err != nil {
		return stepErr("CreateSubnet (IPv6-only)", err)
	}
	_, err = env.Client.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: sn.Subnet.SubnetId, PreserveClientIp: aws.Bool(true)})
	if err := wantFailure("CreateInstanceConnectEndpoint with PreserveClientIp in an IPv6-only subnet", err); err != nil {
		return err
	}
	return env.wantNoICE(ctx, n.VpcID, "the refused create")
}

// createICE creates an Instance Connect Endpoint in the subnet.
func (e *Env) createICE(ctx context.Context, in *ec2.CreateInstanceConnectEndpointInput) (types.Ec2InstanceConnectEndpoint, error) {
	out, err := e.Client.CreateInstanceConnectEndpoint(ctx, in)
	if err != nil {
		return types.Ec2InstanceConnectEndpoint{}, stepErr("CreateInstanceConnectEndpoint", err)
	}
	return *out.InstanceConnectEndpoint, nil
}

// describeICEs lists the Instance Connect Endpoints the filters select.
func (e *Env) describeICEs(ctx context.Context, in *ec2.DescribeInstanceConnectEndpointsInput) ([]types.Ec2InstanceConnectEndpoint, error) {
	out, err := e.Client.DescribeInstanceConnectEndpoints(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.InstanceConnectEndpoints, nil
}

// waitICEState waits until the endpoint is in the state.
func (e *Env) waitICEState(ctx context.Context, id string, want types.Ec2InstanceConnectEndpointState) (types.Ec2InstanceConnectEndpoint, error) {
	var got types.Ec2InstanceConnectEndpoint
	err := e.eventually(ctx, func() error {
		list, err := e.describeICEs(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: []string{id}})
		if err != nil {
			return stepErr("DescribeInstanceConnectEndpoints", err)
		}
		if len(list) != 1 {
			return fmt.Errorf("DescribeInstanceConnectEndpoints by ID returned %d endpoints, want 1", len(list))
		}
		got = list[0]
		if got.State != want {
			return fmt.Errorf("Instance Connect Endpoint state stayed `%s`, want `%s`", got.State, want)
		}
		return nil
	})
	return got, err
}

func checkInstanceConnectOnePerVPC(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 2)
	if err != nil {
		return err
	}
	first, err := env.createICE(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(n.Subnets[0].ID)})
	if err != nil {
		return err
	}
	_, err = env.Client.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(n.Subnets[1].ID)})
	if err := wantFailure("a second CreateInstanceConnectEndpoint in the VPC", err); err != nil {
		return err
	}
	list, err := env.describeICEs(ctx, &ec2.DescribeInstanceConnectEndpointsInput{Filters: []types.Filter{filter("vpc-id", n.VpcID)}})
	if err != nil {
		return stepErr("DescribeInstanceConnectEndpoints", err)
	}
	if len(list) != 1 || aws.ToString(list[0].InstanceConnectEndpointId) != aws.ToString(first.InstanceConnectEndpointId) {
		return fmt.Errorf("the VPC lists %d Instance Connect Endpoints after the refused create, want only the first", len(list))
	}
	return nil
}

func checkInstanceConnectClientToken(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	in := &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(n.Subnets[0].ID), ClientToken: aws.String("conformance-eice-token")}
	first, err := env.createICE(ctx, in)
	if err != nil {
		return err
	}
	again, err := env.Client.CreateInstanceConnectEndpoint(ctx, in)
	if err != nil {
		return fmt.Errorf("CreateInstanceConnectEndpoint repeated with the same ClientToken failed with %s, want the first endpoint", describeErr(err))
	}
	if aws.ToString(again.InstanceConnectEndpoint.InstanceConnectEndpointId) != aws.ToString(first.InstanceConnectEndpointId) {
		return fmt.Errorf("CreateInstanceConnectEndpoint repeated with the same ClientToken made a second endpoint")
	}
	return nil
}

func checkInstanceConnectModify(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	first, err := env.createICE(ctx, &ec2.CreateInstanceConnectEndpointInput{SubnetId: aws.String(n.Subnets[0].ID)})
	if err != nil {
		return err
	}
	id := aws.ToString(first.InstanceConnectEndpointId)
	if _, err := env.waitICEState(ctx, id, types.Ec2InstanceConnectEndpointStateCreateComplete); err != nil {
		return err
	}
	a, err := env.createGroup(ctx, n.VpcID, "conformance-eice-a")
	if err != nil {
		return err
	}
	b, err := env.createGroup(ctx, n.VpcID, "conformance-eice-b")
	if err != nil {
		return err
	}
	if _, err := env.Client.ModifyInstanceConnectEndpoint(ctx, &ec2.ModifyInstanceConnectEndpointInput{
		InstanceConnectEndpointId: aws.String(id), SecurityGroupIds: []string{a, b}, PreserveClientIp: aws.Bool(true),
	}); err != nil {
		return stepErr("ModifyInstanceConnectEndpoint", err)
	}
	got, err := env.waitICEState(ctx, id, types.Ec2InstanceConnectEndpointStateUpdateComplete)
	if err != nil {
		return err
	}
	if !sameSet(got.SecurityGroupIds, []string{a, b}) || !aws.ToBool(got.PreserveClientIp) {
		return fmt.Errorf("after ModifyInstanceConnectEndpoint the endpoint has %d groups and PreserveClientIp %v, want the two given and true", len(got.SecurityGroupIds), aws.ToBool(got.PreserveClientIp))
	}
	return nil
}

func checkInstanceConnectTagsAndDelete(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	created, err := env.createICE(ctx, &ec2.CreateInstanceConnectEndpointInput{
		SubnetId:          aws.String(n.Subnets[0].ID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstanceConnectEndpoint, Tags: []types.Tag{{Key: aws.String("conformance"), Value: aws.String("eice")}}}},
	})
	if err != nil {
		return err
	}
	id := aws.ToString(created.InstanceConnectEndpointId)
	byTag := &ec2.DescribeInstanceConnectEndpointsInput{Filters: []types.Filter{filter("tag:conformance", "eice")}}
	list, err := env.describeICEs(ctx, byTag)
	if err != nil {
		return stepErr("DescribeInstanceConnectEndpoints with a tag filter", err)
	}
	if len(list) != 1 {
		return fmt.Errorf("a tag-filtered listing returned %d endpoints, want 1", len(list))
	}
	if _, err := env.waitICEState(ctx, id, types.Ec2InstanceConnectEndpointStateCreateComplete); err != nil {
		return err
	}
	del, err := env.Client.DeleteInstanceConnectEndpoint(ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(id)})
	if err != nil {
		return stepErr("DeleteInstanceConnectEndpoint", err)
	}
	if s := del.InstanceConnectEndpoint.State; s != types.Ec2InstanceConnectEndpointStateDeleteInProgress {
		return fmt.Errorf("DeleteInstanceConnectEndpoint answered state `%s`, want `delete-in-progress`", s)
	}
	if err := env.eventually(ctx, func() error {
		list, err := env.describeICEs(ctx, byTag)
		if err != nil {
			return stepErr("DescribeInstanceConnectEndpoints", err)
		}
		if len(list) != 0 && list[0].State != types.Ec2InstanceConnectEndpointStateDeleteComplete {
			return fmt.Errorf("the deleted endpoint stayed listed as `%s`", list[0].State)
		}
		if len(list) != 0 {
			return fmt.Errorf("the deleted endpoint stayed listed")
		}
		return nil
	}); err != nil {
		return err
	}
	_, err = env.Client.DeleteInstanceConnectEndpoint(ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: aws.String(id)})
	return wantCode("a second DeleteInstanceConnectEndpoint", err, "InvalidInstanceConnectEndpointId.NotFound")
}

func checkNewInstanceConnectUnseen(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	env.setConsistency(consistencyWindow)
	created, err := env.createICE(ctx, &ec2.CreateInstanceConnectEndpointInput{
		SubnetId:          aws.String(n.Subnets[0].ID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstanceConnectEndpoint, Tags: []types.Tag{{Key: aws.String("conformance"), Value: aws.String("unseen")}}}},
	})
	if err != nil {
		return err
	}
	id := aws.ToString(created.InstanceConnectEndpointId)
	byTag := &ec2.DescribeInstanceConnectEndpointsInput{Filters: []types.Filter{filter("tag:conformance", "unseen")}}
	if env.controls != nil {
		// The worst case, which only a target with controls shows on demand.
		_, err = env.describeICEs(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: []string{id}})
		if err := wantCode("DescribeInstanceConnectEndpoints by ID right after create", err, "InvalidInstanceConnectEndpointId.NotFound"); err != nil {
			return err
		}
		if list, err := env.describeICEs(ctx, byTag); err != nil {
			return stepErr("DescribeInstanceConnectEndpoints with a tag filter", err)
		} else if len(list) != 0 {
			return fmt.Errorf("a tag-filtered listing right after create listed the endpoint, want it omitted")
		}
	}
	if err := env.waitWindow(ctx); err != nil {
		return err
	}
	return env.eventually(ctx, func() error {
		if list, err := env.describeICEs(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: []string{id}}); err != nil || len(list) != 1 {
			return fmt.Errorf("DescribeInstanceConnectEndpoints by ID does not see the endpoint once it propagated")
		}
		if list, err := env.describeICEs(ctx, byTag); err != nil || len(list) != 1 {
			return fmt.Errorf("the tag-filtered listing does not list the endpoint once it propagated")
		}
		return nil
	})
}

func checkInstanceConnectEndpoint(ctx context.Context, env *Env) error {
	n, err := env.newNetwork(ctx, true, 1)
	if err != nil {
		return err
	}
	out, err := env.Client.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{
		SubnetId: aws.String(n.Subnets[0].ID),
	})
	if err != nil {
		return stepErr("CreateInstanceConnectEndpoint", err)
	}
	eice := out.InstanceConnectEndpoint
	if eice == nil || !strings.HasPrefix(aws.ToString(eice.InstanceConnectEndpointId), "eice-") {
		return fmt.Errorf("CreateInstanceConnectEndpoint returned no eice- endpoint")
	}
	if aws.ToString(eice.SubnetId) != n.Subnets[0].ID || aws.ToString(eice.VpcId) != n.VpcID {
		return fmt.Errorf("Instance Connect Endpoint is not in the given subnet and its VPC")
	}
	id := aws.ToString(eice.InstanceConnectEndpointId)
	return env.eventually(ctx, func() error {
		desc, err := env.Client.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{
			InstanceConnectEndpointIds: []string{id},
		})
		if err != nil {
			return stepErr("DescribeInstanceConnectEndpoints", err)
		}
		if len(desc.InstanceConnectEndpoints) != 1 {
			return fmt.Errorf("DescribeInstanceConnectEndpoints by ID returned %d endpoints, want 1", len(desc.InstanceConnectEndpoints))
		}
		if got := desc.InstanceConnectEndpoints[0].State; got != "create-complete" {
			return fmt.Errorf("Instance Connect Endpoint state stayed `%s`, want `create-complete`", got)
		}
		return nil
	})
}
