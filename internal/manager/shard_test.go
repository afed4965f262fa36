package manager

import (
	"strings"
	"testing"
)

func TestShardOptions(t *testing.T) {
	for _, tc := range []struct {
		opts    ShardOptions
		wantErr string
		want    string
	}{
		{ShardOptions{}, "", "every object"},
		{ShardOptions{Name: "a", NamespaceSelector: "vpce.dev/shard=a"}, "", "namespaces vpce.dev/shard=a"},
		{ShardOptions{Name: "b", Accounts: "payments, search"}, "", "accounts payments,search"},
		{ShardOptions{Name: "c", NamespaceSelector: "team in (x,y)", Accounts: "p"}, "", "namespaces team in (x,y) and accounts p"},
		{ShardOptions{NamespaceSelector: "vpce.dev/shard=a"}, "need --shard-name", ""},
		{ShardOptions{Accounts: "p"}, "need --shard-name", ""},
		{ShardOptions{Name: "a"}, "selects nothing to split by", ""},
		{ShardOptions{Name: "A_1", Accounts: "p"}, `--shard-name "A_1" is invalid`, ""},
		{ShardOptions{Name: "a", NamespaceSelector: "x in ("}, "--shard-namespace-selector", ""},
	} {
		s, err := tc.opts.shard()
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: error %v, want one containing %q", tc.opts, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", tc.opts, err)
		case tc.wantErr == "" && s.String() != tc.want:
			t.Errorf("%+v selects %q, want %q", tc.opts, s.String(), tc.want)
		}
	}
}

func TestShardLeaderElectionID(t *testing.T) {
	if got := ShardLeaderElectionID("prod-eu", ""); got != LeaderElectionID("prod-eu") {
		t.Errorf("no shard: %q", got)
	}
	ids := map[string]bool{}
	for _, c := range [][2]string{{"prod-eu", ""}, {"prod-eu", "a"}, {"prod-eu", "b"}, {"prod_EU", "a"}, {"prod-eu.shard-a", ""}} {
		id := ShardLeaderElectionID(c[0], c[1])
		if ids[id] {
			t.Errorf("%v shares Lease %q with another shard or cluster", c, id)
		}
		ids[id] = true
	}
	if got := ShardLeaderElectionID("prod-eu", "a"); got != "vpce-controller-prod-eu.shard-a.vpce.dev" {
		t.Errorf("shard a of prod-eu: %q", got)
	}
}
