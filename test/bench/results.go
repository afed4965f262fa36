package bench

import (
	"fmt"
	"io"
	"sort"
)

// Results are one run's figures. Durations are in AWS seconds (wall time × time scale).
type Results struct {
	N          int     `json:"n"`
	VPCs       int     `json:"vpcs"`
	TimeScale  float64 `json:"timeScale"`
	SyncPeriod string  `json:"syncPeriod"`

	TimeToReady                float64 `json:"timeToReadySeconds"`
	LowerBound                 float64 `json:"tokenBucketLowerBoundSeconds"`
	LowerBoundWithProvisioning float64 `json:"lowerBoundWithProvisioningSeconds"`
	Ratio                      float64 `json:"ratioToLowerBound"`

	Calls            map[string]int `json:"callsByAction"`
	CallsTotal       int            `json:"callsTotal"`
	CallsPerObject   float64        `json:"callsPerObject"`
	Throttled        int            `json:"throttlingErrors"`
	ThrottledPercent float64        `json:"throttlingErrorsPercent"`

	IdleCalls          map[string]int `json:"idleCallsByAction"`
	IdleCallsPerMinute float64        `json:"idleCallsPerMinute"`
	IdleMutatingCalls  int            `json:"idleMutatingCalls"`

	DriftObjects       int     `json:"driftObjects"`
	DriftRepairSeconds float64 `json:"driftRepairSeconds"`
	DriftTarget        float64 `json:"driftTargetSeconds"`

	TimeToClean      float64 `json:"timeToCleanSeconds"`
	DeleteLowerBound float64 `json:"deleteLowerBoundSeconds"`

	PeakRSSMiB float64 `json:"peakRSSMiB"`
	CPUSeconds float64 `json:"cpuSeconds"`
}

// Print writes the figures as a table.
func (r *Results) Print(w io.Writer) {
	fmt.Fprintf(w, "\n| figure (N=%d+%d, %d VPCs, %gx time scale, sync period %s) | value | target |\n|---|---|---|\n", r.N, r.N, r.VPCs, r.TimeScale, r.SyncPeriod)
	row := func(name, value, target string) { fmt.Fprintf(w, "| %s | %s | %s |\n", name, value, target) }
	row("time to all Ready", fmt.Sprintf("%.0f s", r.TimeToReady), "")
	row("token-bucket lower bound (creates) + provisioning", fmt.Sprintf("%.0f s + %.0f s", r.LowerBound, r.LowerBoundWithProvisioning-r.LowerBound), "")
	row("ratio to the lower bound", fmt.Sprintf("%.3f", r.Ratio), "≤ 1.15")
	row("EC2 calls (all, per object)", fmt.Sprintf("%d, %.1f", r.CallsTotal, r.CallsPerObject), "")
	row("throttling errors received", fmt.Sprintf("%d (%.2f%%)", r.Throttled, r.ThrottledPercent), "≤ 1%")
	row("EC2 calls per minute at rest", fmt.Sprintf("%.1f", r.IdleCallsPerMinute), "≤ 10")
	row("mutating calls at rest", fmt.Sprintf("%d", r.IdleMutatingCalls), "0")
	row(fmt.Sprintf("drift repaired (%d objects)", r.DriftObjects), fmt.Sprintf("%.0f s", r.DriftRepairSeconds), fmt.Sprintf("≤ %.0f s", r.DriftTarget))
	row("time to clean after deleting all (bound: token buckets + deprovisioning)", fmt.Sprintf("%.0f s (bound %.0f s)", r.TimeToClean, r.DeleteLowerBound), "")
	row("manager peak RSS", fmt.Sprintf("%.0f MiB", r.PeakRSSMiB), "< 100 MiB at N=500+500")
	row("manager CPU", fmt.Sprintf("%.1f s", r.CPUSeconds), "")
	fmt.Fprintf(w, "\nEC2 calls by action while converging:")
	printCalls(w, r.Calls)
	fmt.Fprintf(w, "EC2 calls by action at rest:")
	printCalls(w, r.IdleCalls)
}

func printCalls(w io.Writer, calls map[string]int) {
	var names []string
	for a := range calls {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		fmt.Fprintf(w, " %s=%d", a, calls[a])
	}
	fmt.Fprintln(w)
}
