package endpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Ownership tag keys put on every AWS object the controller makes.
const (
	TagCluster  = "vpce.dev/cluster"
	TagOwner    = "vpce.dev/owner"
	TagOwnerUID = "vpce.dev/owner-uid"
	TagName     = "Name"
)

// maxTagValue is AWS's limit on a tag value, in Unicode characters.
const maxTagValue = 256

// maxTagsPerResource is AWS's limit on the tags of one resource. The controller
// adds up to four (three ownership tags, and Name unless spec.tags has it).
const maxTagsPerResource = 50

// truncate shortens s to at most n characters (runes).
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// tagValue fits a value the controller writes into a tag within AWS's limit. A
// namespace/name can exceed it; the owner-uid tag, not the owner tag, identifies
// the object.
func tagValue(s string) string { return truncate(s, maxTagValue) }

// ownershipTags are the tags that mark an AWS object as the owner's.
func ownershipTags(o Owner) map[string]string {
	return map[string]string{TagCluster: o.Cluster, TagOwner: tagValue(o.Ref()), TagOwnerUID: o.UID}
}

// ownerFilters select AWS objects carrying the owner's cluster and UID tags.
func ownerFilters(o Owner) []types.Filter {
	return []types.Filter{
		{Name: aws.String("tag:" + TagCluster), Values: []string{o.Cluster}},
		{Name: aws.String("tag:" + TagOwnerUID), Values: []string{o.UID}},
	}
}

// clientToken is the ClientToken of an object's endpoint create, recorded in its
// status before the first attempt and sent with every attempt until the endpoint
// is seen, so AWS returns the endpoint of an earlier attempt instead of making a
// second one. previousID is the endpoint the object had and the controller saw
// gone (deleted outside it): its replacement gets a token of its own, for AWS
// would answer the old token with the deleted endpoint.
func clientToken(o Owner, previousID string) string {
	sum := sha256.Sum256([]byte(o.Cluster + "/" + o.UID + "/" + previousID))
	return "vpce-" + hex.EncodeToString(sum[:])[:40]
}

// tagMap turns EC2 tags into a map.
func tagMap(tags []types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// ec2Tags turns a map into EC2 tags, sorted by key.
func ec2Tags(m map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// isReservedTag reports whether AWS or the controller owns a tag key, so that a
// user-spec diff never touches it.
func isReservedTag(k string) bool { return strings.HasPrefix(k, "aws:") }

// tagSpec is a TagSpecification for a create call.
func tagSpec(rt types.ResourceType, m map[string]string) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: rt, Tags: ec2Tags(m)}}
}
