package manager

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/vpce-dev/vpce-controller/controllers"
)

// ShardOptions split a cluster's endpoint objects between several managers of
// one --cluster-name, one shard each (docs/operations.md#sharding).
type ShardOptions struct {
	// Name (--shard-name) of this shard; required with either selector. Its claim
	// on an object is "<cluster-name>/<shard-name>", and its leader-election
	// Lease is its own.
	Name string
	// NamespaceSelector (--shard-namespace-selector) is a label selector on
	// namespaces, as kubectl takes it ("vpce.dev/shard=a", "team in (x,y)").
	NamespaceSelector string
	// Accounts (--shard-accounts) are AWSAccount names, comma-separated.
	Accounts string
}

// shardNamePattern: a DNS label, so the claim and the Lease name stay valid.
var shardNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// Validate checks the shard flags, naming the flag at fault.
func (s ShardOptions) Validate() error {
	_, err := s.shard()
	return err
}

// shard turns the flags into the controllers' Shard.
func (s ShardOptions) shard() (controllers.Shard, error) {
	if s.Name == "" {
		if s.NamespaceSelector != "" || s.Accounts != "" {
			return controllers.Shard{}, fmt.Errorf("--shard-namespace-selector and --shard-accounts need --shard-name: every shard of a cluster claims its objects under a name of its own")
		}
		return controllers.Shard{}, nil
	}
	if !shardNamePattern.MatchString(s.Name) {
		return controllers.Shard{}, fmt.Errorf("--shard-name %q is invalid: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit", s.Name)
	}
	out := controllers.Shard{Name: s.Name}
	if s.NamespaceSelector != "" {
		sel, err := labels.Parse(s.NamespaceSelector)
		if err != nil {
			return controllers.Shard{}, fmt.Errorf("--shard-namespace-selector %q: %v", s.NamespaceSelector, err)
		}
		out.Namespaces = sel
	}
	for _, a := range strings.Split(s.Accounts, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out.Accounts = append(out.Accounts, a)
		}
	}
	if out.Namespaces == nil && len(out.Accounts) == 0 {
		return controllers.Shard{}, fmt.Errorf("--shard-name %s selects nothing to split by: add --shard-namespace-selector and/or --shard-accounts", s.Name)
	}
	return out, nil
}

// ShardLeaderElectionID names the leader-election Lease of one shard of a
// cluster's managers: the cluster's Lease name with ".shard-<name>" before the
// domain, so every shard elects its own leader and none shares the Lease of the
// cluster's unsharded install.
func ShardLeaderElectionID(clusterName, shard string) string {
	id := LeaderElectionID(clusterName)
	if shard == "" {
		return id
	}
	return strings.TrimSuffix(id, ".vpce.dev") + ".shard-" + shard + ".vpce.dev"
}
