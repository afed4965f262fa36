package ec2sim

import (
	"net/url"
	"strings"
)

// authzCheck is one (action, resource, request context) triple that the
// policy must allow for a call to proceed.
type authzCheck struct {
	action   string              // "ec2:CreateVpcEndpoint"
	resource string              // an ARN, or "*"
	context  map[string][]string // condition keys present (lower case) and their values
}

// createdType names the resource type each create action makes.
var createdType = map[string]string{
	"CreateVpc": "vpc", "CreateSubnet": "subnet", "CreateRouteTable": "route-table",
	"CreateSecurityGroup": "security-group", "CreateVpcEndpoint": "vpc-endpoint",
	"CreateInstanceConnectEndpoint": "instance-connect-endpoint",
}

// targetKeys are the parameters naming the existing resource an action acts
// on; the server passes their tags to the authorizer.
var targetKeys = []string{"VpcEndpointId", "GroupId", "InstanceConnectEndpointId", "ResourceId"}

// relatedKeys are the parameters naming further resources an action uses
// (the VPC, subnets, groups and route tables of an endpoint). Their tags are
// not known to the authorizer, so aws:ResourceTag keys are absent for them.
var relatedKeys = []string{
	"VpcId", "SubnetId", "SecurityGroupId", "RouteTableId",
	"AddSubnetId", "RemoveSubnetId", "AddSecurityGroupId", "RemoveSecurityGroupId",
	"AddRouteTableId", "RemoveRouteTableId",
}

// The Service Authorization Reference ("Actions, resources, and condition
// keys for Amazon EC2"; checked against its May 2026 text) decides the
// exceptions to the rules of authorizationChecks:

// readResources are the read actions that take resource-level permissions,
// with the parameter naming the resource; every other read action is
// authorized on "*" only (the reference lists no resource type for it).
var readResources = map[string]string{"DescribeVpcAttribute": "VpcId"}

// serviceActions act on a VPC endpoint service (ServiceId), their only
// resource type (vpc-endpoint-service*), not on the endpoints they name.
var serviceActions = map[string]bool{"AcceptVpcEndpointConnections": true, "RejectVpcEndpointConnections": true}

// dependentActions are the further actions the reference lists for an
// action, authorized on "*" with it; ec2:CreateTags (with tags only) and
// route53:AssociateVPCWithHostedZone (with private DNS only: the server asks
// for it once it knows) are handled apart.
var dependentActions = map[string][]string{
	"CreateVpcEndpoint": {"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"},
}

// authorizationChecks lists what AWS authorizes for one call:
//
//   - A dependent action named in full ("route53:AssociateVPCWithHostedZone",
//     with HostedZoneId): that action on the hosted zone.
//   - Describe* and other read actions: the action on "*", or on the VPC for
//     DescribeVpcAttribute.
//   - Accept/RejectVpcEndpointConnections: the endpoint service (ServiceId).
//   - A create (Create* but CreateTags): the new resource (<type>/*) with
//     aws:RequestTag/<k> and aws:TagKeys from its TagSpecification; when tags
//     are given, also ec2:CreateTags on the new resource with ec2:CreateAction
//     set to the create action; and each related resource (VPC, subnets,
//     groups, route tables) without tag keys.
//   - Any other action: each target resource (VpcEndpointId, GroupId,
//     InstanceConnectEndpointId, ResourceId.N) with aws:ResourceTag/<k> from
//     resourceTags; CreateTags and DeleteTags add aws:RequestTag/<k> and
//     aws:TagKeys from Tag.N; and each related resource without tag keys.
//
// The server calls the authorizer once per existing target with that
// target's tags, without saying which target they belong to, so every target
// of the call is checked with them: a call is allowed only if each of its
// targets would be with each target's tags.
func authorizationChecks(action string, p url.Values, resourceTags map[string]string, region, account string) []authzCheck {
	q := params{p}
	if strings.Contains(action, ":") {
		return []authzCheck{{action, dependentResource(action, q, region), map[string][]string{}}}
	}
	full := "ec2:" + action
	if isReadAction(action) {
		if key, ok := readResources[action]; ok && q.str(key) != "" {
			id := q.str(key)
			return []authzCheck{{full, resourceARN(region, account, resourceType(id), id), map[string][]string{}}}
		}
		return []authzCheck{{action: full, resource: "*", context: map[string][]string{}}}
	}
	if serviceActions[action] {
		return []authzCheck{{full, resourceARN(region, account, "vpc-endpoint-service", q.str("ServiceId")), map[string][]string{}}}
	}
	var checks []authzCheck
	for _, dep := range dependentActions[action] {
		checks = append(checks, authzCheck{dep, "*", map[string][]string{}})
	}
	if action == "CreateInstanceConnectEndpoint" {
		checks = append(checks, instanceConnectDependents(q, region, account)...)
	}
	if rt, ok := createdType[action]; ok || strings.HasPrefix(action, "Create") && action != "CreateTags" {
		if !ok {
			rt = q.str("TagSpecification.1.ResourceType")
		}
		ctx := map[string][]string{}
		tags := specTags(q, rt)
		addRequestTags(ctx, tags)
		arn := resourceARN(region, account, rt, "*")
		checks = append(checks, authzCheck{full, arn, ctx})
		if len(tags) > 0 {
			tagCtx := map[string][]string{"ec2:createaction": {action}}
			addRequestTags(tagCtx, tags)
			checks = append(checks, authzCheck{"ec2:CreateTags", arn, tagCtx})
		}
	} else {
		var requested []xmlTag
		if action == "CreateTags" || action == "DeleteTags" {
			requested = q.tagList("Tag")
		}
		for _, id := range ids(q, targetKeys) {
			ctx := map[string][]string{}
			for k, v := range resourceTags {
				ctx["aws:resourcetag/"+strings.ToLower(k)] = []string{v}
			}
			addRequestTags(ctx, requested)
			if action == "DeleteTags" {
				dropValuelessTags(ctx, q)
			}
			checks = append(checks, authzCheck{full, resourceARN(region, account, resourceType(id), id), ctx})
		}
	}
	for _, id := range ids(q, relatedKeys) {
		checks = append(checks, authzCheck{full, resourceARN(region, account, resourceType(id), id), map[string][]string{}})
	}
	if len(checks) == 0 {
		checks = append(checks, authzCheck{full, "*", map[string][]string{}})
	}
	return checks
}

// isReadAction reports whether an EC2 action only reads.
func isReadAction(action string) bool { return !IsMutating(action) }

// dependentResource is the resource a dependent action is authorized on.
func dependentResource(action string, q params, region string) string {
	if action == route53Associate {
		return "arn:" + partition(region) + ":route53:::hostedzone/" + q.str("HostedZoneId")
	}
	return "*"
}

// route53Associate is the dependent action of CreateVpcEndpoint with private
// DNS: the endpoint's private hosted zone is associated with the VPC.
const route53Associate = "route53:AssociateVPCWithHostedZone"

// ids returns the values of each key, given once or as a list key.N.
func ids(q params, keys []string) []string {
	var out []string
	for _, k := range keys {
		if v := q.str(k); v != "" {
			out = append(out, v)
		}
		out = append(out, q.list(k)...)
	}
	return out
}

// specTags returns the tags of the TagSpecification.N for resource type rt
// (of every specification when rt is unknown).
func specTags(q params, rt string) []xmlTag {
	var out []xmlTag
	for _, n := range q.indices("TagSpecification") {
		m := member("TagSpecification", n)
		if rt == "" || q.str(m+".ResourceType") == rt {
			out = append(out, q.tagList(m+".Tag")...)
		}
	}
	return out
}

// addRequestTags sets aws:RequestTag/<k> and aws:TagKeys.
func addRequestTags(ctx map[string][]string, tags []xmlTag) {
	for _, t := range tags {
		ctx["aws:requesttag/"+strings.ToLower(t.Key)] = []string{t.Value}
		ctx["aws:tagkeys"] = append(ctx["aws:tagkeys"], t.Key)
	}
}

// dropValuelessTags removes aws:RequestTag/<k> for the keys DeleteTags names
// without a value: such a request names the key (aws:TagKeys) but no tag.
func dropValuelessTags(ctx map[string][]string, q params) {
	for _, n := range q.indices("Tag") {
		m := member("Tag", n)
		if !q.has(m + ".Value") {
			delete(ctx, "aws:requesttag/"+strings.ToLower(q.str(m+".Key")))
		}
	}
}

// resourceARN is the ARN of an account's EC2 resource ("*" when its type is unknown).
func resourceARN(region, account, rt, id string) string {
	if rt == "" {
		return "*"
	}
	return ec2ARN(region, account, rt, id)
}
