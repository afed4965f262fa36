package ec2sim

import (
	"fmt"
	"regexp"
	"strings"
)

// newID returns prefix-<17 lowercase hex>, the format of current EC2 IDs.
func (s *Server) newID(prefix string) string {
	return prefix + "-" + s.randHex(17)
}

func (s *Server) randHex(n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[s.rng.IntN(16)]
	}
	return string(b)
}

func (s *Server) randAlnum(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return string(b)
}

// newRequestID returns a random UUID (version 4 layout) for <requestId>.
func (s *Server) newRequestID() string {
	h := s.randHex(32)
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])
}

// idKind describes one EC2 resource ID prefix and the errors EC2 answers for
// malformed and unknown IDs of that kind.
type idKind struct {
	prefix    string
	malformed string
	notFound  string
	noun      string // as in "The <noun> '<id>' does not exist"
}

var (
	kindVpc      = idKind{"vpc", "InvalidVpcID.Malformed", "InvalidVpcID.NotFound", "vpc ID"}
	kindSubnet   = idKind{"subnet", "InvalidSubnetID.Malformed", "InvalidSubnetID.NotFound", "subnet ID"}
	kindRTB      = idKind{"rtb", "InvalidRouteTableId.Malformed", "InvalidRouteTableID.NotFound", "routeTable ID"}
	kindGroup    = idKind{"sg", "InvalidGroupId.Malformed", "InvalidGroup.NotFound", "security group"}
	kindENI      = idKind{"eni", "InvalidNetworkInterfaceId.Malformed", "InvalidNetworkInterfaceID.NotFound", "networkInterface ID"}
	kindEndpoint = idKind{"vpce", "InvalidVpcEndpointId.Malformed", "InvalidVpcEndpointId.NotFound", "Vpc Endpoint Id"}
	kindPL       = idKind{"pl", "InvalidPrefixListId.Malformed", "InvalidPrefixListID.NotFound", "prefix list ID"}
	kindICE      = idKind{"eice", "InvalidInstanceConnectEndpointId.Malformed", "InvalidInstanceConnectEndpointId.NotFound", "instance connect endpoint ID"}
	kindAssoc    = idKind{"rtbassoc", "InvalidAssociationID.Malformed", "InvalidAssociationID.NotFound", "association ID"}
	kindRule     = idKind{"sgr", "InvalidSecurityGroupRuleId.Malformed", "InvalidSecurityGroupRuleId.NotFound", "security group rule ID"}
)

// In the VPC endpoint actions EC2 spells the subnet and route table codes
// with "Id" (terraform-provider-aws matches these on ModifyVpcEndpoint).
var (
	kindEndpointSubnet = idKind{"subnet", "InvalidSubnetID.Malformed", "InvalidSubnetId.NotFound", "subnet ID"}
	kindEndpointRTB    = idKind{"rtb", "InvalidRouteTableId.Malformed", "InvalidRouteTableId.NotFound", "routeTable ID"}
)

var idPattern = regexp.MustCompile(`^[a-z]+-([0-9a-f]{8}|[0-9a-f]{17})$`)

// wellFormed reports whether id has the kind's prefix and 8 or 17 hex digits.
func (k idKind) wellFormed(id string) bool {
	return strings.HasPrefix(id, k.prefix+"-") && idPattern.MatchString(id)
}

func (k idKind) malformedErr(id string) *apiError {
	return errf(k.malformed, "Invalid Id: '%s' (expecting '%s-...; the Id may only contain lowercase alphanumeric characters and a single dash')", id, k.prefix)
}

func (k idKind) notFoundErr(id string) *apiError {
	return errf(k.notFound, "The %s '%s' does not exist", k.noun, id)
}

// check returns the malformed error for a badly formed ID, else nil.
func (k idKind) check(id string) *apiError {
	if !k.wellFormed(id) {
		return k.malformedErr(id)
	}
	return nil
}
