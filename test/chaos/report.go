package chaos

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Check is one invariant and what violates it (nothing when it holds).
type Check struct {
	Name       string
	Violations []string
}

// Report is the outcome of a chaos run.
type Report struct {
	// Seed replays the run's random choices.
	Seed int64
	// Objects, Gateways, Interfaces and InstanceConnects count the endpoint
	// objects by kind.
	Objects, Gateways, Interfaces, InstanceConnects int
	// Creates, Edits and Deletes count the operations of the chaos phase.
	Creates, Edits, Deletes int
	// Kills counts the SIGKILLs the manager survived (each followed by a restart).
	Kills int
	// InternalErrors and Throttled count the injected faults ec2sim answered:
	// InternalError, and RequestLimitExceeded from its token buckets.
	InternalErrors, Throttled int
	// LostResponses counts the writes ec2sim made and then answered InternalError.
	LostResponses int
	// Leaked counts what AWS held once every object was deleted.
	Leaked int
	// DriftInjected counts the drifts the run made (tags added to endpoints);
	// DriftCorrected the DriftCorrected events; FalseDrift those on objects the
	// run never drifted.
	DriftInjected, DriftCorrected, FalseDrift int
	// Duplicated counts live objects with more than one endpoint (or none), and
	// Stuck the objects not Ready, or not gone, once faults were cleared (and at
	// the end).
	Duplicated, Stuck int
	// Checks are the invariants, in the order they were checked.
	Checks []Check
	// Unexpected lists manager exits nobody caused.
	Unexpected []string
	// Duration is the whole run; ChaosPhase the faults-and-kills phase;
	// Converged the time to converge once faults were cleared.
	Duration, ChaosPhase, Converged time.Duration
	// Dir holds the logs.
	Dir string
}

// FaultsInjected is InternalErrors plus Throttled plus LostResponses.
func (r *Report) FaultsInjected() int { return r.InternalErrors + r.Throttled + r.LostResponses }

// Failed reports whether any invariant was violated.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if len(c.Violations) > 0 {
			return true
		}
	}
	return false
}

// add records a check.
func (r *Report) add(name string, violations []string) {
	r.Checks = append(r.Checks, Check{Name: name, Violations: violations})
}

// maxListed bounds the violations printed per check.
const maxListed = 20

// print writes the invariants and the summary table.
func (r *Report) print(w io.Writer) {
	fmt.Fprintln(w, "\ninvariants:")
	for _, c := range r.Checks {
		verdict := "PASS"
		if len(c.Violations) > 0 {
			verdict = fmt.Sprintf("FAIL (%d)", len(c.Violations))
		}
		fmt.Fprintf(w, "  %-9s %s\n", verdict, c.Name)
		for i, v := range c.Violations {
			if i == maxListed {
				fmt.Fprintf(w, "              … and %d more\n", len(c.Violations)-maxListed)
				break
			}
			fmt.Fprintf(w, "              - %s\n", v)
		}
	}
	result := "PASS"
	if r.Failed() {
		result = "FAIL"
	}
	fmt.Fprintf(w, "\nchaos summary (seed %d):\n", r.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := [][2]string{
		{"objects", fmt.Sprintf("%d (%d gateway, %d interface, %d Instance Connect)", r.Objects, r.Gateways, r.Interfaces, r.InstanceConnects)},
		{"operations", fmt.Sprintf("%d creates, %d edits, %d deletes during chaos; the rest deleted at the end", r.Creates, r.Edits, r.Deletes)},
		{"kills", fmt.Sprintf("%d SIGKILLs survived", r.Kills)},
		{"faults injected", fmt.Sprintf("%d (%d InternalError, %d lost responses, %d RequestLimitExceeded)", r.FaultsInjected(), r.InternalErrors, r.LostResponses, r.Throttled)},
		{"resources leaked", r.leakSummary()},
		{"duplicated, stuck", fmt.Sprintf("%d objects with other than one endpoint, %d objects stuck", r.Duplicated, r.Stuck)},
		{"drift", fmt.Sprintf("%d injected, %d DriftCorrected events, %d for drift nobody made", r.DriftInjected, r.DriftCorrected, r.FalseDrift)},
		{"duration", fmt.Sprintf("%s (chaos %s, convergence after faults cleared %s)", r.Duration.Round(time.Second), r.ChaosPhase.Round(time.Second), r.Converged.Round(100*time.Millisecond))},
		{"logs", r.Dir},
		{"result", result},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", row[0], row[1])
	}
	_ = tw.Flush()
}

// leakSummary is the leaked count with a breakdown by kind.
func (r *Report) leakSummary() string {
	if r.Leaked == 0 {
		return "0"
	}
	var leaks []string
	for _, c := range r.Checks {
		if c.Name == leakCheck {
			leaks = c.Violations
		}
	}
	kinds := map[string]int{}
	for _, l := range leaks {
		for _, k := range []string{"endpoint", "security group", "network interface"} {
			if strings.HasPrefix(l, k+" ") {
				kinds[k]++
			}
		}
	}
	return fmt.Sprintf("%d (%d endpoints, %d managed security groups, %d network interfaces)",
		r.Leaked, kinds["endpoint"], kinds["security group"], kinds["network interface"])
}

// countFaults reads ec2sim's counters into the report.
func (r *run) countFaults() error {
	counters, err := r.sim.Counters()
	if err != nil {
		return err
	}
	for _, outcomes := range counters {
		r.rep.InternalErrors += outcomes["InternalError"]
		r.rep.LostResponses += outcomes["lostResponse"]
		r.rep.Throttled += outcomes["throttled"] + outcomes["RequestLimitExceeded"]
	}
	return nil
}

// checkManagerLog records the manager's exits nobody caused and any panic in
// its log.
func (r *run) checkManagerLog() {
	bad := append([]string(nil), r.rep.Unexpected...)
	data, _ := os.ReadFile(filepath.Join(r.cfg.Dir, "manager.log"))
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "panic:") || strings.Contains(line, "Observed a panic") {
			bad = append(bad, "manager.log: "+line)
		}
	}
	sort.Strings(bad)
	r.rep.add("the manager never panicked or exited unless killed", bad)
}
