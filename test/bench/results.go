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
	// DriftInterval is the manager's --drift-interval (AWS time).
	DriftInterval string `json:"driftInterval"`
	// Machine is what the run ran on.
	Machine string `json:"machine"`
	// Load is the machine's 1-minute load average during the run (it counts the
	// benchmark's own processes too).
	Load LoadSample `json:"loadAverage"`
	// MemoryLimitMiB is the container limit the manager ran under; 0: none.
	MemoryLimitMiB float64 `json:"memoryLimitMiB,omitempty"`
	// Cgroup is the memory cgroup of that limit the manager ran in, or why there
	// was none (then GOMEMLIMIT alone stood for the limit and nothing confined it).
	Cgroup string `json:"cgroup,omitempty"`

	TimeToReady                float64 `json:"timeToReadySeconds"`
	LowerBound                 float64 `json:"tokenBucketLowerBoundSeconds"`
	LowerBoundWithProvisioning float64 `json:"lowerBoundWithProvisioningSeconds"`
	Ratio                      float64 `json:"ratioToLowerBound"`

	Calls            map[string]int `json:"callsByAction"`
	CallsTotal       int            `json:"callsTotal"`
	CallsPerObject   float64        `json:"callsPerObject"`
	Throttled        int            `json:"throttlingErrors"`
	ThrottledPercent float64        `json:"throttlingErrorsPercent"`
	// ReadsPerObject and WritesPerObject split CallsPerObject (converging).
	ReadsPerObject  float64 `json:"readsPerObject"`
	WritesPerObject float64 `json:"writesPerObject"`
	// ConvergeCPUSeconds is the manager's CPU until all were Ready.
	ConvergeCPUSeconds   float64 `json:"convergeCPUSeconds"`
	ConvergeCPUPerObject float64 `json:"convergeCPUPerObjectSeconds"`
	// ConvergeReconciles are the endpoint controllers' reconciles until all were
	// Ready, ConvergeSyncsSkipped the periodic syncs answered by a comparison
	// (vpce_syncs_skipped_total), not a full reconcile: the sweep's since converged
	// objects are no longer requeued, before that reconciles that ended early.
	ConvergeReconciles   int `json:"convergeReconciles"`
	ConvergeSyncsSkipped int `json:"convergeSyncsSkipped"`

	IdleCalls          map[string]int `json:"idleCallsByAction"`
	IdleCallsPerMinute float64        `json:"idleCallsPerMinute"`
	IdleMutatingCalls  int            `json:"idleMutatingCalls"`

	// RestartCalls are the EC2 calls a restarted manager made until it had
	// reconciled every object once, RestartSeconds how long that took.
	RestartCalls      map[string]int `json:"restartCallsByAction,omitempty"`
	RestartCallsTotal int            `json:"restartCalls"`
	RestartSeconds    float64        `json:"restartSeconds"`
	// RestartStartupSeconds is the wall time from the restart until the
	// manager's /readyz answered (process start, not scaled); RestartSeconds
	// counts from then.
	RestartStartupSeconds float64 `json:"restartStartupWallSeconds"`
	// RestartIncomplete says how far re-verification got when it did not finish
	// within the benchmark's timeout ("" when it did).
	RestartIncomplete string `json:"restartIncomplete,omitempty"`

	// DetectionSeconds are single-object drifts' times from the change to the
	// controller's first repair call.
	DetectionSeconds     []float64 `json:"driftDetectionSeconds,omitempty"`
	DetectionMeanSeconds float64   `json:"driftDetectionMeanSeconds"`
	DetectionMaxSeconds  float64   `json:"driftDetectionMaxSeconds"`

	DriftObjects            int     `json:"driftObjects"`
	DriftFirstRepairSeconds float64 `json:"driftFirstRepairSeconds"`
	DriftRepairSeconds      float64 `json:"driftRepairSeconds"`
	// DriftRepairBound is what AWS's endpoint-write bucket (4 tokens, 0.3/s) alone
	// needs for the repairs.
	DriftRepairBound float64 `json:"driftRepairBoundSeconds"`
	DriftTarget      float64 `json:"driftTargetSeconds"`

	TimeToClean      float64 `json:"timeToCleanSeconds"`
	DeleteLowerBound float64 `json:"deleteLowerBoundSeconds"`

	PeakRSSMiB float64 `json:"peakRSSMiB"`
	// PeakAnonMiB is the highest anonymous memory (heap, stacks) sampled every
	// 100 ms: peak RSS without the binary's own pages.
	PeakAnonMiB float64 `json:"peakAnonMiB"`
	// CgroupPeakMiB is the cgroup's peak usage (v1 memory.max_usage_in_bytes, v2
	// memory.peak: anonymous memory and page cache, the binary's pages included).
	CgroupPeakMiB float64 `json:"cgroupPeakMiB,omitempty"`
	// CgroupPeakWorkingSetMiB is the highest working set (usage minus inactive
	// file pages, as the kubelet computes it) sampled every 100 ms.
	CgroupPeakWorkingSetMiB float64 `json:"cgroupPeakWorkingSetMiB,omitempty"`
	// CgroupOOMKills counts the kernel's OOM kills in the cgroup (the run stops
	// at the first).
	CgroupOOMKills int64 `json:"cgroupOOMKills"`
	// MajorFaults counts the manager's page faults that read from disk (over
	// restarts): a binary whose pages a limit keeps dropping reads them again.
	MajorFaults  int64   `json:"majorFaults"`
	CPUSeconds   float64 `json:"cpuSeconds"`
	CPUPerObject float64 `json:"cpuPerObjectSeconds"`
}

// Print writes the figures as a table.
func (r *Results) Print(w io.Writer) {
	fmt.Fprintf(w, "\nmachine: %s; 1-minute load average during the run: mean %.1f, max %.1f\n", r.Machine, r.Load.Mean, r.Load.Max)
	fmt.Fprintf(w, "\n| figure (N=%d+%d, %d VPCs, %gx time scale, sync period %s, drift interval %s) | value | target |\n|---|---|---|\n", r.N, r.N, r.VPCs, r.TimeScale, r.SyncPeriod, r.DriftInterval)
	row := func(name, value, target string) { fmt.Fprintf(w, "| %s | %s | %s |\n", name, value, target) }
	row("time to all Ready", fmt.Sprintf("%.0f s", r.TimeToReady), "")
	row("token-bucket lower bound (creates) + provisioning", fmt.Sprintf("%.0f s + %.0f s", r.LowerBound, r.LowerBoundWithProvisioning-r.LowerBound), "")
	row("ratio to the lower bound", fmt.Sprintf("%.3f", r.Ratio), "≤ 1.15")
	row("EC2 calls while converging (all, per object)", fmt.Sprintf("%d, %.2f", r.CallsTotal, r.CallsPerObject), "≤ 3")
	row("EC2 reads per object while converging", fmt.Sprintf("%.2f", r.ReadsPerObject), "≤ 1")
	row("EC2 writes per object while converging", fmt.Sprintf("%.2f", r.WritesPerObject), "")
	row("throttling errors received", fmt.Sprintf("%d (%.2f%%)", r.Throttled, r.ThrottledPercent), "≤ 1%")
	row("EC2 calls per minute at rest", fmt.Sprintf("%.1f", r.IdleCallsPerMinute), "≤ 10")
	row("mutating calls at rest", fmt.Sprintf("%d", r.IdleMutatingCalls), "0")
	if r.RestartCallsTotal > 0 || r.RestartSeconds > 0 {
		row(fmt.Sprintf("restart: EC2 calls to re-verify %d objects", 2*r.N), fmt.Sprintf("%d", r.RestartCallsTotal), "grows with pages, not objects")
		v := fmt.Sprintf("%.1f s, wall time %.1f s (%.1f s)", r.RestartSeconds, r.RestartSeconds/r.TimeScale, r.RestartStartupSeconds)
		if r.RestartIncomplete != "" {
			v = "not finished: " + r.RestartIncomplete
		}
		row("restart: time from ready until every object was reconciled, AWS time and wall time (process start until ready, wall time)", v, "≤ 30 s")
	}
	if len(r.DetectionSeconds) > 0 {
		row(fmt.Sprintf("drift detection latency, change → first repair call (%d single-object probes)", len(r.DetectionSeconds)), fmt.Sprintf("mean %.1f s, max %.1f s", r.DetectionMeanSeconds, r.DetectionMaxSeconds), fmt.Sprintf("≤ %.0f s", r.DriftTarget))
	}
	if r.DriftObjects == 0 {
		row("drift, deletion", "not run (-converge-only)", "")
	} else {
		row(fmt.Sprintf("drift in %d objects at once: first repair call", r.DriftObjects), fmt.Sprintf("%.1f s", r.DriftFirstRepairSeconds), fmt.Sprintf("≤ %.0f s", r.DriftTarget))
		row(fmt.Sprintf("drift in %d objects at once: all repaired (AWS's 4/0.3 endpoint-write bucket alone needs %.0f s)", r.DriftObjects, r.DriftRepairBound), fmt.Sprintf("%.0f s", r.DriftRepairSeconds), "the bucket's bound")
		row("time to clean after deleting all (bound: token buckets + deprovisioning)", fmt.Sprintf("%.0f s (bound %.0f s)", r.TimeToClean, r.DeleteLowerBound), "")
	}
	limit := ""
	if r.MemoryLimitMiB > 0 {
		limit = fmt.Sprintf(" (limit %.0f MiB)", r.MemoryLimitMiB)
		row("memory limit", fmt.Sprintf("%.0f MiB: %s", r.MemoryLimitMiB, r.Cgroup), "")
	}
	row("manager peak RSS"+limit, fmt.Sprintf("%.1f MiB", r.PeakRSSMiB), "< 64 MiB at N=500+500, < 256 MiB at N=5,000+5,000")
	row("manager peak anonymous memory (RSS without the binary's pages; sampled every 100 ms)", fmt.Sprintf("%.1f MiB", r.PeakAnonMiB), "")
	if r.CgroupPeakMiB > 0 {
		row("cgroup peak usage (anonymous and page cache)", fmt.Sprintf("%.1f MiB", r.CgroupPeakMiB), "")
		row("cgroup peak working set (usage minus inactive file, as the kubelet; sampled every 100 ms)", fmt.Sprintf("%.1f MiB", r.CgroupPeakWorkingSetMiB), "")
		row("OOM kills in the cgroup", fmt.Sprintf("%d", r.CgroupOOMKills), "0")
	}
	row("manager major page faults (pages read from disk)", fmt.Sprintf("%d", r.MajorFaults), "")
	row("manager CPU (whole run; per object)", fmt.Sprintf("%.1f s; %.3f s", r.CPUSeconds, r.CPUPerObject), "flat in N (±20%)")
	row("manager CPU while converging (per object)", fmt.Sprintf("%.1f s; %.3f s", r.ConvergeCPUSeconds, r.ConvergeCPUPerObject), "")
	row("reconciles while converging; periodic syncs answered by a comparison, not a reconcile", fmt.Sprintf("%d, %d", r.ConvergeReconciles, r.ConvergeSyncsSkipped), "")
	fmt.Fprintf(w, "\nEC2 calls by action while converging:")
	printCalls(w, r.Calls)
	fmt.Fprintf(w, "EC2 calls by action at rest:")
	printCalls(w, r.IdleCalls)
	if len(r.RestartCalls) > 0 {
		fmt.Fprintf(w, "EC2 calls by action after the restart:")
		printCalls(w, r.RestartCalls)
	}
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
