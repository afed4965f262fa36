package chaos

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config sets up a chaos run. Zero values take the defaults of `make chaos`
// (see Defaults), except Seed: 0 means a time-based seed.
type Config struct {
	// Objects is how many endpoint objects are created (mixed kinds; default 60).
	Objects int
	// Kills is how many times the manager is killed with SIGKILL (default 30).
	Kills int
	// Seed of every random choice; 0 picks one from the clock. It is printed first.
	Seed int64
	// TimeScale speeds ec2sim up: state delays are divided by it and throttle
	// refill rates multiplied (default 10). The manager's client-side buckets
	// and pending poll are scaled to match.
	TimeScale float64
	// Duration bounds the whole run (default 20m).
	Duration time.Duration
	// Converge bounds the wait, once faults are cleared, for every live object
	// to be Ready and every deleted one gone; the same bound applies to the
	// final deletion of everything (default 3m).
	Converge time.Duration
	// Dir receives the logs of localcp, ec2sim and the manager (required).
	Dir string
	// Out receives the progress, the invariants and the summary (default stdout).
	Out io.Writer
	// Verbose prints every create, edit and delete.
	Verbose bool

	// FaultRate is the share of EC2 calls failing InternalError (default 0.05).
	FaultRate float64
	// LostResponseRate is the share of the calls of each mutating action that
	// take effect and are then answered InternalError, so the SDK retries a call
	// already made (default 0.05).
	LostResponseRate float64
	// Latency is added to every EC2 call (default 20ms).
	Latency time.Duration
	// Consistency is ec2sim's eventual-consistency window (default 3s): for up to
	// that long after a change, reads do not show it (a new resource is absent, a
	// changed one shows its previous state). It is real time, not scaled.
	Consistency time.Duration
	// WorstCase turns jitter off: every change is seen exactly Consistency late.
	// With jitter (the default) each resource lags its own random share of it.
	WorstCase bool
	// ConsistencyBound is the manager's --consistency-bound (default 20s): how long
	// it lets AWS take to list what it created.
	ConsistencyBound time.Duration
	// DriftShare is the share of objects whose endpoint gets a tag added behind
	// the controller's back during the run (default 0.2), the only drift the run
	// makes: DriftCorrected events for any other object are false reports.
	DriftShare float64
	// MinUptime and MaxUptime bound how long the manager runs between kills
	// (default 0.5s and 6s); MaxPause bounds the pause before a restart (default 1s).
	MinUptime, MaxUptime, MaxPause time.Duration
}

// Defaults are the settings of `make chaos`.
var Defaults = Config{
	Objects: 60, Kills: 30, TimeScale: 10, Duration: 20 * time.Minute, Converge: 3 * time.Minute,
	FaultRate: 0.05, LostResponseRate: 0.05, Latency: 20 * time.Millisecond, Consistency: 3 * time.Second,
	ConsistencyBound: 20 * time.Second, DriftShare: 0.2,
	MinUptime: 500 * time.Millisecond, MaxUptime: 6 * time.Second, MaxPause: time.Second,
}

// mutatingActions are the EC2 writes the controller makes; each loses a share
// of its responses during the run.
var mutatingActions = []string{
	"CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints",
	"CreateInstanceConnectEndpoint", "ModifyInstanceConnectEndpoint", "DeleteInstanceConnectEndpoint",
	"CreateSecurityGroup", "DeleteSecurityGroup", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress",
	"AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress",
	"CreateTags", "DeleteTags", "ModifyVpcAttribute",
}

// clusterName is the manager's --cluster-name.
const clusterName = "chaos"

// withDefaults fills zero fields from Defaults and picks a seed if needed.
func (c Config) withDefaults() (Config, error) {
	d := Defaults
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.Objects, d.Objects)
	if c.Kills < 0 {
		return c, fmt.Errorf("chaos: kills must not be negative")
	}
	if c.TimeScale == 0 {
		c.TimeScale = d.TimeScale
	}
	if c.FaultRate == 0 {
		c.FaultRate = d.FaultRate
	}
	if c.LostResponseRate == 0 {
		c.LostResponseRate = d.LostResponseRate
	}
	setDur(&c.Duration, d.Duration)
	setDur(&c.Converge, d.Converge)
	setDur(&c.Latency, d.Latency)
	setDur(&c.Consistency, d.Consistency)
	setDur(&c.ConsistencyBound, d.ConsistencyBound)
	if c.DriftShare == 0 {
		c.DriftShare = d.DriftShare
	}
	setDur(&c.MinUptime, d.MinUptime)
	setDur(&c.MaxUptime, d.MaxUptime)
	setDur(&c.MaxPause, d.MaxPause)
	if c.Seed == 0 {
		c.Seed = time.Now().UnixNano()
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	switch {
	case c.Dir == "":
		return c, fmt.Errorf("chaos: Config.Dir is required")
	case hasLogs(c.Dir):
		return c, fmt.Errorf("chaos: %s holds logs of an earlier run; name a new or empty directory", c.Dir)
	case c.Objects < 1:
		return c, fmt.Errorf("chaos: objects must be at least 1")
	case c.Objects > 250*slotsPerVPC:
		return c, fmt.Errorf("chaos: at most %d objects (one /16 per %d objects)", 250*slotsPerVPC, slotsPerVPC)
	case c.TimeScale <= 0:
		return c, fmt.Errorf("chaos: time scale must be positive")
	case c.MaxUptime < c.MinUptime:
		return c, fmt.Errorf("chaos: max uptime below min uptime")
	}
	return c, nil
}

// throttleFlag is the manager's --aws-api-throttle: AWS's default buckets with
// refill rates multiplied by the time scale, as ec2sim's are.
func throttleFlag(scale float64) string {
	f := func(rate float64) string { return strconv.FormatFloat(math.Round(rate*scale*1000)/1000, 'f', -1, 64) }
	return strings.Join([]string{
		"describe=" + f(20) + ":100",
		"mutating=" + f(5) + ":50",
		"tags=" + f(10) + ":100",
		"vpc-endpoint-writes=" + f(0.3) + ":4",
	}, ",")
}

// hasLogs reports whether dir holds a log of an earlier run, which would
// confuse the start-up waits that read them.
func hasLogs(dir string) bool {
	for _, name := range []string{"localcp.log", "ec2sim.log", "manager.log"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}
