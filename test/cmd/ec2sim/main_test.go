package main

import (
	"testing"
	"time"
)

func TestFlagsReachTheEmulatorsOptions(t *testing.T) {
	c, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--region", "cn-north-1", "--fixture", "--time-scale", "10",
		"--state-delay", "1s", "--eni-linger", "3s", "--throttle", "--seed", "7", "--iam-policy", "p.json",
		"--consistency-window", "3s", "--consistency-jitter"})
	if err != nil {
		t.Fatal(err)
	}
	o := c.opts
	if c.addr != "127.0.0.1:0" || !c.fixture || c.iamPolicy != "p.json" || o.Region != "cn-north-1" || o.TimeScale != 10 ||
		o.StateDelay != time.Second || o.ENILinger != 3*time.Second || !o.Throttle || o.Seed != 7 ||
		o.ConsistencyWindow != 3*time.Second || !o.ConsistencyJitter {
		t.Fatalf("parsed %+v", c)
	}
	d, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.opts.ConsistencyWindow != 0 || d.opts.ConsistencyJitter || d.opts.ENILinger != 2*time.Second || d.opts.StateDelay != 2*time.Second {
		t.Fatalf("defaults %+v", d.opts)
	}
	if _, err := parseFlags([]string{"--consistency-window", "soon"}); err == nil {
		t.Fatal("a bad duration parsed")
	}
	a, err := parseFlags([]string{"--accounts", "111111111111, 222222222222", "--roles", "roles.json"})
	if err != nil || len(a.opts.Accounts) != 2 || a.opts.Accounts[1] != "222222222222" || a.roles != "roles.json" {
		t.Fatalf("accounts %v roles %q: %v", a.opts.Accounts, a.roles, err)
	}
	for _, bad := range []string{"12345", "111111111111,111111111111", "11111111111x"} {
		if _, err := parseFlags([]string{"--accounts", bad}); err == nil {
			t.Errorf("--accounts %s parsed", bad)
		}
	}
}
