package endpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// AWS shows a changed resource in its previous state for a while. The controller
// records each change it makes (when, and a digest of the state before it), and
// reading that very state again within the consistency bound means AWS does not
// show the change yet: it waits, rather than change the resource again and report
// drift nobody made. Any other state, or the bound passing, settles the record.

// settling reports whether a resource whose state has the digest still shows the
// state from before the recorded change.
func (e *Engine) settling(c *Change, digest string) bool {
	return c != nil && c.From == digest && e.now().Sub(c.At) < e.bound()
}

// changed records a change made now to a resource whose state had the digest.
func (e *Engine) changed(c **Change, digest string) {
	*c = &Change{At: e.now().Truncate(time.Second), From: digest}
}

// recordChange records, in the object's status, a change about to be made to a
// resource whose state has the digest, before it is made: a crash between the
// change and the status write would otherwise lose the record, and AWS, showing
// the previous state for a while, would make the controller's own change look
// like drift (or undo a spec reverted meanwhile). Nothing is changed when the
// record fails.
func (e *Engine) recordChange(ctx context.Context, req Request, out *Outcome, c **Change, digest string) error {
	e.changed(c, digest)
	if err := e.record(ctx, req, out); err != nil {
		*c = nil
		return err
	}
	return nil
}

func digest(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:8])
}

func tagsDigest(tags map[string]string) string {
	var kv []string
	for _, k := range sortedKeys(tags) {
		kv = append(kv, k+"="+tags[k])
	}
	return strings.Join(kv, ",")
}

// endpointDigest digests what the controller changes on an endpoint.
func endpointDigest(o Observed) string {
	return digest(
		strings.Join(o.RouteTableIDs, ","), strings.Join(o.SubnetIDs, ","), strings.Join(o.SecurityGroupIDs, ","),
		o.Policy, fmt.Sprint(o.PrivateDNS, o.OnlyInbound), o.DNSRecordIPType, o.IPAddressType, tagsDigest(o.Tags),
	)
}

// groupDigest digests what the controller changes on its security group: the
// rules the spec manages (groupRules) and the tags.
func groupDigest(g types.SecurityGroup, m ManagedGroupSpec) string {
	var rules []string
	for _, r := range groupRules(g, m) {
		rules = append(rules, r.String())
	}
	return digest(aws.ToString(g.GroupId), strings.Join(rules, ","), tagsDigest(tagMap(g.Tags)))
}
