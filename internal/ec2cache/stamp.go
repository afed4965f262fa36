package ec2cache

import (
	"context"
	"hash/maphash"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// stampSeed seeds the inventory stamps; they are compared within one process only.
var stampSeed = maphash.MakeSeed()

// InventoryStamp returns a digest of what the region's inventory holds for one
// VPC: the VPC itself, its subnets and its route tables, in the fields an
// endpoint's spec resolves against (tags, zones, associations, state). Listings
// older than the inventory's age (InventoryTTL, stretched by the read budget)
// are refreshed first, as a read would, and one refresh serves every caller. Two equal stamps mean a reconcile would resolve the same
// spec to the same IDs; the routes in the tables are left out, as AWS writes
// those for gateway endpoints, which the owned listings watch.
func (c *Client) InventoryStamp(ctx context.Context, vpcID string) (uint64, error) {
	if _, err := c.listVPCs(ctx); err != nil {
		return 0, err
	}
	if _, err := c.listSubnets(ctx); err != nil {
		return 0, err
	}
	if _, err := c.listRouteTables(ctx); err != nil {
		return 0, err
	}
	// Each listing's digest of the VPC is worked out once per listing: a check
	// costs three map lookups, not a look through the VPC's items.
	return maphash.Comparable(stampSeed, [3]uint64{c.vpcs.vpcDigest(vpcID), c.subnets.vpcDigest(vpcID), c.routeTables.vpcDigest(vpcID)}), nil
}

// digest writes fields into one hash, each ended so "ab","c" differs from "a","bc".
type digest struct{ h maphash.Hash }

func newDigest(kind string) *digest {
	d := &digest{}
	d.h.SetSeed(stampSeed)
	d.str(kind)
	return d
}

func (d *digest) str(s string) { d.h.WriteString(s); d.h.WriteByte(0) }

func (d *digest) ptr(s *string) { d.str(aws.ToString(s)) }

// tags adds a tag set whatever its order.
func (d *digest) tags(tags []types.Tag) {
	var sum uint64
	for _, t := range tags {
		sum += maphash.String(stampSeed, aws.ToString(t.Key)+"\x00"+aws.ToString(t.Value))
	}
	d.str(strconv.FormatUint(sum, 16) + "/" + strconv.Itoa(len(tags)))
}

func (d *digest) sum() uint64 { return d.h.Sum64() }

func vpcDigest(v types.Vpc) uint64 {
	d := newDigest("vpc")
	d.ptr(v.VpcId)
	d.ptr(v.CidrBlock)
	d.ptr(v.OwnerId)
	d.str(string(v.State))
	d.str(strconv.FormatBool(aws.ToBool(v.IsDefault)))
	d.tags(v.Tags)
	return d.sum()
}

func subnetDigest(s types.Subnet) uint64 {
	d := newDigest("subnet")
	d.ptr(s.SubnetId)
	d.ptr(s.VpcId)
	d.ptr(s.AvailabilityZone)
	d.ptr(s.AvailabilityZoneId)
	d.ptr(s.CidrBlock)
	d.str(string(s.State))
	d.tags(s.Tags)
	return d.sum()
}

func routeTableDigest(rt types.RouteTable) uint64 {
	d := newDigest("rtb")
	d.ptr(rt.RouteTableId)
	d.ptr(rt.VpcId)
	d.tags(rt.Tags)
	var assoc uint64
	for _, a := range rt.Associations {
		assoc += maphash.String(stampSeed, aws.ToString(a.RouteTableAssociationId)+"\x00"+aws.ToString(a.SubnetId)+"\x00"+aws.ToString(a.GatewayId)+"\x00"+strconv.FormatBool(aws.ToBool(a.Main)))
	}
	d.str(strconv.FormatUint(assoc, 16) + "/" + strconv.Itoa(len(rt.Associations)))
	return d.sum()
}
