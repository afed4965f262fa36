// Package guardrail decides whether an AWSAccount lets an endpoint object use it:
// the namespaces it selects, and its allow-lists of regions, VPCs and services,
// adoption and VPC attribute changes. Check is a pure function of the account's
// policy and the object, so a refusal costs no AWS call.
package guardrail

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// Policy is what an AWSAccount allows. A nil *Policy allows everything: the
// controller's own identity when no AWSAccount is named and --default-account is
// not set.
type Policy struct {
	// Account is the AWSAccount's name, for messages.
	Account string
	// AccountID is the AWS account it resolves to (status.accountID); "" before the
	// first check.
	AccountID string
	// Namespaces selects the namespaces that may use the account; selectorText is
	// how the spec writes it, for messages.
	Namespaces   labels.Selector
	selectorText string
	// Regions allowed; empty allows any.
	Regions []string
	// VPCIDs and VPCTags allow VPCs by ID and by tags; both empty allow any VPC.
	VPCIDs  []string
	VPCTags []map[string]string
	// Listed are the allowed VPCs as the account controller last listed them, with
	// their tags (status.allowedVPCs).
	Listed []v1alpha1.AllowedVPC
	// Services allowed (short, full or PrivateLink names; * matches anything); empty
	// allows any.
	Services []string
	// AllowAdoption and AllowVPCAttributeChanges are the account's opt-ins.
	AllowAdoption, AllowVPCAttributeChanges bool
}

// FromAccount returns the policy of an AWSAccount.
func FromAccount(a *v1alpha1.AWSAccount) (*Policy, error) {
	sel, err := metav1.LabelSelectorAsSelector(&a.Spec.NamespaceSelector)
	if err != nil {
		return nil, fmt.Errorf("spec.namespaceSelector of AWSAccount %s: %w", a.Name, err)
	}
	p := &Policy{
		Account:                  a.Name,
		AccountID:                a.Status.AccountID,
		Namespaces:               sel,
		selectorText:             metav1.FormatLabelSelector(&a.Spec.NamespaceSelector),
		Regions:                  a.Spec.AllowedRegions,
		Listed:                   a.Status.AllowedVPCs,
		Services:                 a.Spec.AllowedServices,
		AllowAdoption:            a.Spec.AllowAdoption,
		AllowVPCAttributeChanges: a.Spec.AllowVPCAttributeChanges,
	}
	for _, v := range a.Spec.AllowedVPCs {
		if v.ID != "" {
			p.VPCIDs = append(p.VPCIDs, v.ID)
		} else {
			p.VPCTags = append(p.VPCTags, v.Tags)
		}
	}
	return p, nil
}

// Object is what the guard rails look at in an endpoint object.
type Object struct {
	// Namespace of the object and its labels.
	Namespace       string
	NamespaceLabels map[string]string
	// Region the object's endpoint lives in (spec.region, or the manager's default).
	Region string
	// VPCID and VPCTags are spec.vpc.
	VPCID   string
	VPCTags map[string]string
	// Service is spec.service as written.
	Service string
	// InstanceConnect is true for an InstanceConnectEndpoint, which names no
	// service: spec.allowedServices allows it as InstanceConnectService.
	InstanceConnect bool
	// EndpointID is spec.endpointID (adoption).
	EndpointID string
	// EnsureVPCAttributes is spec.privateDNS.ensureVPCAttributes.
	EnsureVPCAttributes bool
	// RecordedAccountID and RecordedEndpointID are status.accountID and
	// status.endpointID: where the object's endpoint lives, once made.
	RecordedAccountID, RecordedEndpointID string
}

// Refusal is a rule the object breaks: a Synced reason and a message naming the
// field, the rule and the AWSAccount.
type Refusal struct {
	Reason  string
	Message string
}

func (r *Refusal) Error() string { return r.Reason + ": " + r.Message }

func refuse(reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Check returns the first rule of p that o breaks, in the order namespace,
// account identity, region, VPC, service, adoption, VPC attribute changes; nil
// when p allows o. It makes no AWS call: a VPC selected by tags is checked
// against the allowed VPCs the account controller listed.
func Check(p *Policy, o Object) *Refusal {
	if p == nil {
		return nil
	}
	if r := CheckNamespace(p, o); r != nil {
		return r
	}
	if o.RecordedEndpointID != "" && o.RecordedAccountID != "" && p.AccountID != "" && o.RecordedAccountID != p.AccountID {
		return refuse(v1alpha1.ReasonAccountChanged,
			"status.accountID: endpoint %s lives in account %s, but AWSAccount %s now resolves to account %s; point the AWSAccount's spec.roleARN back at account %s, or delete the endpoint there and recreate this object",
			o.RecordedEndpointID, o.RecordedAccountID, p.Account, p.AccountID, o.RecordedAccountID)
	}
	if len(p.Regions) > 0 && !slices.Contains(p.Regions, o.Region) {
		field := "spec.region"
		return refuse(v1alpha1.ReasonRegionNotAllowed,
			"%s: AWSAccount %s does not allow region %s (its spec.allowedRegions is %s); use one of those regions",
			field, p.Account, o.Region, strings.Join(p.Regions, ", "))
	}
	if r := p.checkVPCSelector(o); r != nil {
		return r
	}
	if len(p.Services) > 0 && o.InstanceConnect && !serviceAllowed(p.Services, o.Region, InstanceConnectService) {
		return refuse(v1alpha1.ReasonServiceNotAllowed,
			"kind InstanceConnectEndpoint: AWSAccount %s does not allow Instance Connect Endpoints (its spec.allowedServices is %s); add %s to spec.allowedServices to allow them",
			p.Account, strings.Join(p.Services, ", "), InstanceConnectService)
	}
	if len(p.Services) > 0 && !o.InstanceConnect && !serviceAllowed(p.Services, o.Region, o.Service) {
		return refuse(v1alpha1.ReasonServiceNotAllowed,
			"spec.service: AWSAccount %s does not allow service %s (its spec.allowedServices is %s); use one of those services",
			p.Account, fullServiceName(o.Region, o.Service), strings.Join(p.Services, ", "))
	}
	if o.EndpointID != "" && !p.AllowAdoption {
		return refuse(v1alpha1.ReasonAdoptionNotAllowed,
			"spec.endpointID: AWSAccount %s does not allow adopting existing endpoints (its spec.allowAdoption is false); remove spec.endpointID to create a new endpoint, or ask the account's owner to allow adoption",
			p.Account)
	}
	if o.EnsureVPCAttributes && !p.AllowVPCAttributeChanges {
		return refuse(v1alpha1.ReasonVPCAttributeChangesNotAllowed,
			"spec.privateDNS.ensureVPCAttributes: AWSAccount %s does not allow changing VPC attributes (its spec.allowVPCAttributeChanges is false); set ensureVPCAttributes to false and have the VPC's owner turn on enableDnsSupport and enableDnsHostnames",
			p.Account)
	}
	return nil
}

// CheckNamespace checks only the namespace rule: whether p's namespace selector
// selects the object's namespace. A namespace the account does not select learns
// nothing else about the account.
func CheckNamespace(p *Policy, o Object) *Refusal {
	if p == nil || p.Namespaces.Matches(labels.Set(o.NamespaceLabels)) {
		return nil
	}
	return refuse(v1alpha1.ReasonNamespaceNotAllowed,
		"metadata.namespace: AWSAccount %s does not select namespace %s (its spec.namespaceSelector is %s); use an AWSAccount that selects this namespace in spec.accountRef, or ask the account's owner to select it",
		p.Account, o.Namespace, p.selectorText)
}

// restrictsVPCs reports whether the policy allows only some VPCs.
func (p *Policy) restrictsVPCs() bool { return len(p.VPCIDs)+len(p.VPCTags) > 0 }

// checkVPCSelector checks spec.vpc without an AWS call. A VPC named by ID is
// allowed when an allowedVPCs entry names it or the account's listing has it in
// the object's region. A VPC selected by tags is allowed when the selector
// includes an allowed tag rule (any VPC it matches carries that rule's tags), or
// when it matches a VPC of the listing: if it also matched another VPC, resolving
// it fails as ambiguous, so the only VPC it can resolve to is an allowed one.
func (p *Policy) checkVPCSelector(o Object) *Refusal {
	if !p.restrictsVPCs() {
		return nil
	}
	if o.VPCID != "" {
		if slices.Contains(p.VPCIDs, o.VPCID) {
			return nil
		}
		for _, v := range p.Listed {
			if v.Region == o.Region && v.ID == o.VPCID {
				return nil
			}
		}
		return refuse(v1alpha1.ReasonVPCNotAllowed, "spec.vpc.id: AWSAccount %s does not allow VPC %s (%s); use one of those VPCs",
			p.Account, o.VPCID, p.describeAllowed(o.Region))
	}
	for _, rule := range p.VPCTags {
		if includes(o.VPCTags, rule) {
			return nil
		}
	}
	for _, v := range p.Listed {
		if v.Region == o.Region && includes(v.Tags, o.VPCTags) {
			return nil
		}
	}
	return refuse(v1alpha1.ReasonVPCNotAllowed, "spec.vpc.tags: no VPC that AWSAccount %s allows has tags %s (%s); select one of those VPCs",
		p.Account, formatTags(o.VPCTags), p.describeAllowed(o.Region))
}

// CheckVPC checks the VPC an object resolved to, with the tags AWS lists for it
// now: the last word after checkVPCSelector, which worked from the account's
// listing. It makes no AWS call either.
func (p *Policy) CheckVPC(region, id string, tags map[string]string) *Refusal {
	if p == nil || !p.restrictsVPCs() || slices.Contains(p.VPCIDs, id) {
		return nil
	}
	for _, rule := range p.VPCTags {
		if includes(tags, rule) {
			return nil
		}
	}
	return refuse(v1alpha1.ReasonVPCNotAllowed, "spec.vpc: it resolves to VPC %s, which AWSAccount %s does not allow (%s); select one of those VPCs",
		id, p.Account, p.describeAllowed(region))
}

// describeAllowed says which VPCs the policy allows, for messages.
func (p *Policy) describeAllowed(region string) string {
	var rules []string
	for _, id := range p.VPCIDs {
		rules = append(rules, id)
	}
	for _, t := range p.VPCTags {
		rules = append(rules, "tags "+formatTags(t))
	}
	s := "its spec.allowedVPCs is " + strings.Join(rules, ", ")
	var ids []string
	for _, v := range p.Listed {
		if v.Region == region {
			ids = append(ids, v.ID)
		}
	}
	if len(ids) == 0 {
		return s + "; none of them is listed in " + region
	}
	sort.Strings(ids)
	return s + "; in " + region + " those are " + strings.Join(ids, ", ")
}

// InstanceConnectService is the name spec.allowedServices gives EC2 Instance
// Connect Endpoints (they are not VPC endpoints and name no service): an
// AWSAccount with allowedServices allows them only when a pattern matches it (*,
// or this name itself).
const InstanceConnectService = "ec2-instance-connect-endpoint"

// serviceAllowed reports whether one of the patterns allows the service of an
// object in region. Short names in either are taken as the region's AWS service
// (s3 is com.amazonaws.<region>.s3); * matches any characters.
func serviceAllowed(patterns []string, region, service string) bool {
	full := fullServiceName(region, service)
	for _, p := range patterns {
		if ok, _ := path.Match(fullServiceName(region, p), full); ok {
			return true
		}
		if ok, _ := path.Match(p, service); ok {
			return true
		}
	}
	return false
}

// fullServiceName expands a short AWS service name as the engine does.
func fullServiceName(region, service string) string {
	if strings.HasPrefix(service, "com.amazonaws.") || strings.HasPrefix(service, "aws.") || strings.HasPrefix(service, "*") {
		return service
	}
	return "com.amazonaws." + region + "." + service
}

// includes reports whether have carries every tag of want.
func includes(have, want map[string]string) bool {
	if len(want) == 0 {
		return false
	}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

func formatTags(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
