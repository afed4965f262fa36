package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ManagerOptions configure a manager process.
type ManagerOptions struct {
	// Kubeconfig of the control plane (ControlPlane.Kubeconfig).
	Kubeconfig string
	// EC2URL is the EC2 endpoint (EC2Sim.URL).
	EC2URL string
	// Region of the manager (default us-east-1).
	Region string
	// ClusterName written into ownership tags (--cluster-name, required).
	ClusterName string
	// SyncPeriod of drift checks (0: the manager's default).
	SyncPeriod time.Duration
	// PendingPoll is the first poll interval while AWS works (0: the manager's default).
	PendingPoll time.Duration
	// Args are extra flags, for example --leader-elect or --max-concurrent-reconciles=20.
	Args []string
	// Env are extra KEY=VALUE variables; they win over the defaults.
	Env []string
	// LogFile receives the manager's output, appended across restarts (required).
	LogFile string
	// Cgroup, when set, is a cgroup directory (v1 or v2) the process is moved
	// into as soon as it starts, at every start: a pod's memory limit.
	Cgroup string
}

// Manager is a manager process that can be killed and restarted.
type Manager struct {
	// MetricsURL is the Prometheus endpoint, http://127.0.0.1:PORT/metrics (plain
	// HTTP: the harness passes --metrics-secure=false).
	MetricsURL string
	// HealthURL is the probe server, http://127.0.0.1:PORT (/healthz, /readyz).
	HealthURL string

	opts ManagerOptions
	proc *process
}

// StartManager runs bin/manager with dummy AWS credentials, loopback metrics
// (plain HTTP) and probe ports, and returns once /readyz answers. ctx bounds only
// the start.
func StartManager(ctx context.Context, opts ManagerOptions) (*Manager, error) {
	path, err := binPath("manager")
	if err != nil {
		return nil, err
	}
	if opts.LogFile == "" || opts.Kubeconfig == "" || opts.EC2URL == "" || opts.ClusterName == "" {
		return nil, fmt.Errorf("e2e: ManagerOptions need Kubeconfig, EC2URL, ClusterName and LogFile")
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if err := os.MkdirAll(filepath.Dir(opts.LogFile), 0o755); err != nil {
		return nil, err
	}
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	health, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--region", opts.Region,
		"--aws-endpoint-url", opts.EC2URL,
		"--cluster-name", opts.ClusterName,
		"--metrics-bind-address", metrics,
		"--metrics-secure=false",
		"--health-probe-bind-address", health,
	}
	if opts.SyncPeriod > 0 {
		args = append(args, "--sync-period", opts.SyncPeriod.String())
	}
	if opts.PendingPoll > 0 {
		args = append(args, "--pending-poll", opts.PendingPoll.String())
	}
	m := &Manager{
		MetricsURL: "http://" + metrics + "/metrics",
		HealthURL:  "http://" + health,
		opts:       opts,
		proc: &process{
			name: "manager", path: path,
			args:        append(args, opts.Args...),
			env:         managerEnv(opts),
			logPath:     opts.LogFile,
			deathSignal: syscall.SIGKILL,
			cgroup:      opts.Cgroup,
		},
	}
	if err := m.start(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// managerEnv is the caller's environment without AWS and kubeconfig settings,
// plus the kubeconfig, dummy credentials and opts.Env.
func managerEnv(opts ManagerOptions) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"KUBECONFIG="+opts.Kubeconfig,
		"AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e",
		"AWS_REGION="+opts.Region, "AWS_EC2_METADATA_DISABLED=true",
	)
	return append(env, opts.Env...)
}

// start launches the process and waits until /readyz answers 200.
func (m *Manager) start(ctx context.Context) error {
	if err := m.proc.start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	probe := &http.Client{Timeout: time.Second}
	for {
		if resp, err := probe.Get(m.HealthURL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.proc.done:
			data, _ := os.ReadFile(m.opts.LogFile)
			return fmt.Errorf("e2e: manager exited (%v) before it was ready; log %s:\n%s", m.proc.err, m.opts.LogFile, tail(data))
		case <-ctx.Done():
			_ = m.Kill()
			return fmt.Errorf("e2e: manager not ready: %w; log %s", ctx.Err(), m.opts.LogFile)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// PID returns the manager's process ID (0 when it is not running), for
// readings from /proc/PID/status and /proc/PID/stat.
func (m *Manager) PID() int { return m.proc.pid() }

// Running reports whether the process is alive.
func (m *Manager) Running() bool { return m.proc.running() }

// Kill sends SIGKILL, as a crash would, and waits for the exit.
func (m *Manager) Kill() error {
	return m.proc.stop(syscall.SIGKILL, 10*time.Second)
}

// Stop sends SIGTERM and waits up to 30 s for a clean exit, then kills it.
func (m *Manager) Stop() error {
	return m.proc.stop(syscall.SIGTERM, 30*time.Second)
}

// Restart stops the manager if it runs (SIGTERM) and starts it again with the
// same options and ports, waiting until it is ready.
func (m *Manager) Restart(ctx context.Context) error {
	if err := m.Stop(); err != nil {
		return err
	}
	return m.start(ctx)
}

// Usage is a reading of a process's resources.
type Usage struct {
	// RSSBytes is the resident set size now (VmRSS).
	RSSBytes int64
	// PeakRSSBytes is the highest resident set size so far (VmHWM).
	PeakRSSBytes int64
	// MajorFaults counts the page faults that read from disk (majflt): pages of
	// the binary read again after a memory limit made the kernel drop them.
	MajorFaults int64
	// AnonBytes is the anonymous part of the resident set now (RssAnon: heap,
	// stacks), without the pages of the binary itself (RssFile), which the
	// kernel can drop and read again under a container's memory limit.
	AnonBytes int64
	// CPUSeconds is user plus system CPU time so far.
	CPUSeconds float64
}

// Usage reads the running manager's memory and CPU from /proc (Linux).
func (m *Manager) Usage() (Usage, error) {
	pid := m.PID()
	if pid == 0 {
		return Usage{}, fmt.Errorf("e2e: manager is not running")
	}
	var u Usage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			u.RSSBytes = kb * 1024
		case "VmHWM:":
			u.PeakRSSBytes = kb * 1024
		case "RssAnon:":
			u.AnonBytes = kb * 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// Fields after the command name (which may hold spaces) start at state (3rd);
	// utime and stime are the 14th and 15th, in clock ticks of 1/100 s.
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(rest) < 13 {
		return u, fmt.Errorf("e2e: short /proc/%d/stat", pid)
	}
	u.MajorFaults, _ = strconv.ParseInt(rest[9], 10, 64)
	utime, _ := strconv.ParseFloat(rest[11], 64)
	stime, _ := strconv.ParseFloat(rest[12], 64)
	u.CPUSeconds = (utime + stime) / 100
	return u, nil
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
