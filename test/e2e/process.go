package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a child process whose stdout and stderr are appended to a log file.
type process struct {
	name    string
	path    string
	args    []string
	env     []string // nil inherits the caller's environment
	logPath string
	// deathSignal is sent to the child when the caller dies, so an aborted test
	// leaves nothing behind.
	deathSignal syscall.Signal
	// cgroup, when set, is a cgroup directory the process is moved into as soon
	// as it starts (its cgroup.procs).
	cgroup string

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// start launches the process in its own process group.
func (p *process) start() error {
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("e2e: %s log: %w", p.name, err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: p.deathSignal}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("e2e: start %s: %w", p.name, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if p.cgroup != "" {
		if err := os.WriteFile(filepath.Join(p.cgroup, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
			_ = p.stop(syscall.SIGKILL, 10*time.Second)
			return fmt.Errorf("e2e: moving %s into cgroup %s: %w", p.name, p.cgroup, err)
		}
	}
	return nil
}

// running reports whether the process was started and has not exited.
func (p *process) running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// pid returns the process ID, or 0 when it is not running.
func (p *process) pid() int {
	if !p.running() {
		return 0
	}
	return p.cmd.Process.Pid
}

// stop sends sig and waits up to grace for the exit; then it sends SIGKILL to
// the process and to its children (localcp's kube-apiserver and etcd, which
// envtest puts in process groups of their own).
func (p *process) stop(sig syscall.Signal, grace time.Duration) error {
	if !p.running() {
		return nil
	}
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(pid, sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		kids := children(pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for _, kid := range kids {
			_ = syscall.Kill(kid, syscall.SIGKILL)
		}
		<-p.done
	}
	return nil
}

// children returns the IDs of the processes whose parent is pid, from /proc.
func children(pid int) []int {
	var kids []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces.
		fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			if kid, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
				kids = append(kids, kid)
			}
		}
	}
	return kids
}

// waitLog waits until the log file holds a line containing marker and returns
// that line. It fails when the process exits first or ctx ends.
func (p *process) waitLog(ctx context.Context, marker string) (string, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		data, _ := os.ReadFile(p.logPath)
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, marker) {
				return line, nil
			}
		}
		select {
		case <-p.done:
			return "", fmt.Errorf("e2e: %s exited (%v) before %q; log %s:\n%s", p.name, p.err, marker, p.logPath, tail(data))
		case <-ctx.Done():
			return "", fmt.Errorf("e2e: %s: waiting for %q: %w; log %s:\n%s", p.name, marker, ctx.Err(), p.logPath, tail(data))
		case <-tick.C:
		}
	}
}

// tail returns the last lines of a log, for error messages.
func tail(data []byte) string {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
