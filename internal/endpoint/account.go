package endpoint

import (
	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"maps"
)

// checkVPCAllowed checks the VPC the spec resolved to against the AWSAccount's
// allowed VPCs, with the tags AWS lists for it now, before anything is written.
func checkVPCAllowed(s Spec, region string, vpc vpcInfo) error {
	if r := s.Guard.CheckVPC(region, vpc.ID, vpc.Tags); r != nil {
		return problemf(r.Reason, "%s", r.Message)
	}
	return nil
}

// reportAccount records the account the endpoint lives in (its owner, as EC2
// lists it) and the tags the controller has set on it.
func reportAccount(r *resolved, o Observed, out *Outcome) {
	if o.OwnerID != "" {
		out.AccountID = o.OwnerID
	}
	if o.Tags != nil {
		out.AppliedTagKeys = appliedTagKeys(r.desired, o.Tags)
	}
}

// groupTags are the tags of a new managed security group: the ownership tags, a
// Name, and the manager's --default-tags.
func (e *Engine) groupTags(owner Owner, name string) map[string]string {
	tags := maps.Clone(e.DefaultTags)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[TagName] = tagValue(name)
	maps.Copy(tags, ownershipTags(owner))
	return tags
}

// Refuse is the outcome of an object refused before any AWS call (an AWSAccount's
// guard rail, or an account that cannot be used): nothing is read or written, and
// the status keeps what it records.
func (e *Engine) Refuse(req Request, p *Problem) Outcome {
	region := req.Spec.Region
	if region == "" {
		region = e.Clients.DefaultRegion()
	}
	out := newOutcome(req, region)
	out.Problem = p
	out.notReady(v1alpha1.ReasonNotSynced, "the spec is not applied: %s", p.Message)
	return out
}
