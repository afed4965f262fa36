package manager

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vpce-dev/vpce-controller/internal/endpoint"
)

// clusterNamePattern admits EKS cluster names and the like: letters, digits, '.',
// '_' and '-', starting with a letter or digit. Every such name is a valid AWS tag value.
var clusterNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// maxClusterNameLength is EKS's limit on cluster names.
const maxClusterNameLength = 100

// ValidateClusterName checks --cluster-name, which has no default: two clusters in
// one account that both forgot it would claim each other's endpoints.
func ValidateClusterName(name string) error {
	if name == "" {
		return fmt.Errorf("--cluster-name is required: name this cluster (its EKS name, for example); it is written into the %s tag of everything the controller creates, so clusters sharing an AWS account never touch each other's endpoints", endpoint.TagCluster)
	}
	if len(name) > maxClusterNameLength || !clusterNamePattern.MatchString(name) {
		return fmt.Errorf("--cluster-name %q is invalid: use at most %d letters, digits, '.', '_' and '-', starting with a letter or digit", name, maxClusterNameLength)
	}
	return nil
}

// LeaderElectionID names the leader-election Lease of a cluster's managers:
// vpce-controller-<cluster-name>.vpce.dev when the name is a valid DNS label, else
// the name lower-cased and cleaned plus a hash of it, so that names differing only
// in case or '_' never share a Lease.
func LeaderElectionID(clusterName string) string {
	if len(validation.IsDNS1123Label(clusterName)) == 0 {
		return "vpce-controller-" + clusterName + ".vpce.dev"
	}
	clean := strings.Trim(strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(clusterName)), "-")
	sum := sha256.Sum256([]byte(clusterName))
	return "vpce-controller-" + clean[:min(len(clean), 40)] + "-" + hex.EncodeToString(sum[:4]) + ".vpce.dev"
}
