package conformance

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// simStateDelay is ec2sim's pending → available delay in these tests: short
// enough for a fast suite, long enough that `pending` is observable.
const simStateDelay = 300 * time.Millisecond

// simControls are ec2sim's levers, with its time on a manual clock.
type simControls struct {
	sim   *ec2sim.Server
	clock *ec2sim.ManualClock
}

func (c simControls) Advance(d time.Duration) { c.clock.Advance(d) }

func (c simControls) SetConsistency(window time.Duration) {
	c.sim.SetConsistency(ec2sim.Consistency{Window: window})
}

func (c simControls) LoseNextResponse(action string) {
	c.sim.InjectFault(ec2sim.Fault{Action: action, LostResponse: true, Count: 1})
}

func (c simControls) FailEndpoint(id, code, message string) error {
	return c.sim.FailEndpoint(id, code, message)
}

func (c simControls) SetIAMPolicy(doc []byte) error { return c.sim.SetIAMPolicy(doc) }

// simIAM creates roles through ec2sim's Go API.
type simIAM struct{ sim *ec2sim.Server }

func (i simIAM) PutRole(_ context.Context, account, name, trustPolicy, policy string) error {
	return i.sim.PutRole(ec2sim.Role{Account: account, Name: name, TrustPolicy: []byte(trustPolicy), Policy: []byte(policy)})
}

// startSim serves a fresh, empty ec2sim on a manual clock for the length of
// the test.
func startSim(t *testing.T) Target {
	t.Helper()
	clock := ec2sim.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	sim := ec2sim.New(ec2sim.Options{Region: Region, StateDelay: simStateDelay, DeletedLinger: simStateDelay, Clock: clock})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return Target{Name: "ec2sim", Endpoint: srv.URL, WaitTimeout: 10 * time.Second, Controls: simControls{sim, clock}, IAM: simIAM{sim}}
}

// TestConformanceEC2Sim runs every scenario against its own fresh ec2sim;
// ec2sim must behave as AWS documents in all of them.
func TestConformanceEC2Sim(t *testing.T) {
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			if r := RunScenario(context.Background(), startSim(t), s); r.Err != nil {
				t.Errorf("ec2sim departs from AWS: %v\nAWS: %s\nsource: %s", r.Err, s.Behaviour, s.Source)
			}
		})
	}
}
