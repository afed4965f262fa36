package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FleetResults are one fleet run's figures. Durations are in AWS seconds.
type FleetResults struct {
	Mode        string  `json:"mode"`
	N           int     `json:"n"`
	Accounts    int     `json:"accounts"`
	Regions     int     `json:"regions"`
	VPCsPerPair int     `json:"vpcsPerPair"`
	Shards      int     `json:"shards"`
	TimeScale   float64 `json:"timeScale"`
	// ThrottledAccount answered half its calls with RequestLimitExceeded ("": none).
	ThrottledAccount string `json:"throttledAccount,omitempty"`

	TimeToReady      float64 `json:"timeToReadySeconds"`
	LargestPairBound float64 `json:"largestPairBoundSeconds"`
	SumOfBounds      float64 `json:"sumOfPairBoundsSeconds"`
	// Ratio is the time to all Ready over the largest pair's bound.
	Ratio float64 `json:"ratioToLargestPairBound"`
	// OthersRatio is the largest ratio of a pair not throttled, to its own bound.
	OthersRatio float64      `json:"othersRatio"`
	Pairs       []PairResult `json:"pairs"`

	Calls          map[string]int `json:"callsByAction"`
	CallsTotal     int            `json:"callsTotal"`
	CallsPerObject float64        `json:"callsPerObject"`
	Throttled      int            `json:"throttlingErrors"`
	// KubeRequestsPerObject are the managers' Kubernetes API requests (watches,
	// patches, reads past the cache) per object, start to all Ready.
	KubeRequestsPerObject float64 `json:"kubeRequestsPerObject"`

	Managers []ShardResult `json:"managers"`
	// WrongClaims are objects not claimed by their namespace's shard.
	WrongClaims            int `json:"wrongClaims"`
	ClaimedElsewhereEvents int `json:"claimedElsewhereEvents"`
	// ReconciledByMoreThanOne are objects more than one manager reconciled.
	ReconciledByMoreThanOne int `json:"reconciledByMoreThanOneManager"`
}

// PairResult is one account and region of a fleet run.
type PairResult struct {
	Account   string `json:"account"`
	Region    string `json:"region"`
	Namespace string `json:"namespace"`
	Objects   int    `json:"objects"`
	// Ready objects at the end (fewer than Objects only in a throttled pair).
	Ready       int     `json:"ready"`
	TimeToReady float64 `json:"timeToReadySeconds"`
	Bound       float64 `json:"boundSeconds"`
	Ratio       float64 `json:"ratio"`
	Throttled   bool    `json:"throttled"`
}

// ShardResult is one manager process of a fleet run.
type ShardResult struct {
	Shard             string  `json:"shard"`
	PeakRSSMiB        float64 `json:"peakRSSMiB"`
	CPUSeconds        float64 `json:"cpuSeconds"`
	ObjectsReconciled int     `json:"objectsReconciled,omitempty"`
	// KubeRequests the manager's Kubernetes client made (rest_client_requests_total).
	KubeRequests int `json:"kubeRequests"`
	objects      map[string]bool
}

// Print writes the figures as tables.
func (r *FleetResults) Print(w io.Writer) {
	fmt.Fprintf(w, "\n| %s figure (N=%d+%d, %d accounts x %d regions, %d VPCs per pair, %d manager(s), %gx time scale) | value | target |\n|---|---|---|\n",
		r.Mode, r.N, r.N, r.Accounts, r.Regions, r.VPCsPerPair, r.Shards, r.TimeScale)
	row := func(name, value, target string) { fmt.Fprintf(w, "| %s | %s | %s |\n", name, value, target) }
	if r.TimeToReady > 0 {
		row("time to all Ready", fmt.Sprintf("%.0f s", r.TimeToReady), "")
	} else {
		row("time to all Ready", "not every pair: see the throttled ones below", "")
	}
	row("largest per-pair bound (creates at 0.3/s, burst 4, + provisioning)", fmt.Sprintf("%.0f s", r.LargestPairBound), "")
	row("sum of the per-pair bounds (one shared bucket would need it)", fmt.Sprintf("%.0f s", r.SumOfBounds), "")
	if r.Ratio > 0 {
		row("ratio to the largest per-pair bound", fmt.Sprintf("%.3f", r.Ratio), "≤ 1.1")
	}
	if r.ThrottledAccount != "" {
		row(fmt.Sprintf("largest ratio of the pairs not throttled (account %s throttled)", r.ThrottledAccount), fmt.Sprintf("%.3f", r.OthersRatio), "≤ 1.1")
	}
	row("EC2 calls (all, per object)", fmt.Sprintf("%d, %.1f", r.CallsTotal, r.CallsPerObject), "")
	row("throttling errors received", fmt.Sprintf("%d", r.Throttled), "")
	row("Kubernetes API requests per object (managers' clients)", fmt.Sprintf("%.1f", r.KubeRequestsPerObject), "")
	for _, m := range r.Managers {
		v := fmt.Sprintf("%.0f MiB, %.1f s", m.PeakRSSMiB, m.CPUSeconds)
		if r.Shards > 1 {
			v += fmt.Sprintf(", %d objects reconciled", m.ObjectsReconciled)
		}
		row("manager "+m.Shard+" peak RSS, CPU", v, "")
	}
	row("objects not claimed by their namespace's manager", fmt.Sprintf("%d", r.WrongClaims), "0")
	row("ClaimedElsewhere events", fmt.Sprintf("%d", r.ClaimedElsewhereEvents), "0")
	if r.Shards > 1 {
		row("objects reconciled by more than one manager", fmt.Sprintf("%d", r.ReconciledByMoreThanOne), "0")
	}
	fmt.Fprintf(w, "\n| account | region | objects | time to all Ready | bound | ratio |\n|---|---|---|---|---|---|\n")
	for _, p := range r.Pairs {
		mark := ""
		if p.Throttled {
			mark = " (throttled)"
		}
		if p.Ready < p.Objects {
			fmt.Fprintf(w, "| %s%s | %s | %d | %d Ready at the end | %.0f s | |\n", p.Account, mark, p.Region, p.Objects, p.Ready, p.Bound)
			continue
		}
		fmt.Fprintf(w, "| %s%s | %s | %d | %.0f s | %.0f s | %.3f |\n", p.Account, mark, p.Region, p.Objects, p.TimeToReady, p.Bound, p.Ratio)
	}
	fmt.Fprintf(w, "\nEC2 calls by action while converging:")
	printCalls(w, r.Calls)
}

// reconciledSet reads a manager's JSON log (--zap-log-level=debug) and returns
// the objects it reconciled past the claim ("Reconciled" and "Spec not applied"
// lines), as controller/namespace/name.
func reconciledSet(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"msg":"Reconciled"`) && !strings.Contains(string(line), `"msg":"Spec not applied"`) {
			continue
		}
		var entry struct {
			Controller string `json:"controller"`
			Namespace  string `json:"namespace"`
			Name       string `json:"name"`
		}
		if json.Unmarshal(line, &entry) == nil && entry.Name != "" {
			set[entry.Controller+"/"+entry.Namespace+"/"+entry.Name] = true
		}
	}
	return set, sc.Err()
}

// overlap counts the objects more than one manager reconciled.
func overlap(managers []ShardResult) int {
	seen := map[string]int{}
	for _, m := range managers {
		for o := range m.objects {
			seen[o]++
		}
	}
	n := 0
	for _, c := range seen {
		if c > 1 {
			n++
		}
	}
	return n
}

// countEvents counts the events with a reason, in every namespace.
func countEvents(ctx context.Context, c client.Client, reason string) (int, error) {
	var list eventsv1.EventList
	if err := c.List(ctx, &list); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range list.Items {
		if e.Reason == reason {
			n++
		}
	}
	return n, nil
}

// sortedPairs orders pairs by account, then region.
func sortedPairs(p []PairResult) {
	sort.Slice(p, func(i, j int) bool {
		if p[i].Account != p[j].Account {
			return p[i].Account < p[j].Account
		}
		return p[i].Region < p[j].Region
	})
}

// kubeRequests sums a manager's rest_client_requests_total.
func kubeRequests(metricsURL string) (int, error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	total := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64); err == nil {
			total += v
		}
	}
	return int(total), sc.Err()
}
