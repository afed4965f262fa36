package image_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// inImage returns a command that runs /manager with args from the image's file
// system as a container runtime with readOnlyRootFilesystem would: in a private
// mount namespace, the extracted root bind-mounted read-only (the script checks
// that a write fails), chrooted into it, as the config's user. The environment
// is only env (and PATH, for the script's mount and chroot).
func inImage(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	requireRoot(t)
	script := `set -e
root=$1; user=$2; shift 2
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
if (: > "$root/.write-probe") 2>/dev/null; then echo "the root file system is writable" >&2; exit 97; fi
exec chroot --userspec="$user" --groups="" "$root" "$@"`
	cmdArgs := append([]string{"--mount", "--propagation", "private", "--fork", "--", "/bin/sh", "-c", script, "sh", rootfs, imageConf.Config.User}, imageConf.Config.Entrypoint...)
	cmd := exec.Command("unshare", append(cmdArgs, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

func TestVersionRunsAsNonrootOnTheReadOnlyImage(t *testing.T) {
	out, err := inImage(t, nil, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("/manager --version in the image: %v\n%s", err, out)
	}
	commit := imageConf.Config.Labels["org.opencontainers.image.revision"]
	if !strings.Contains(string(out), "commit: "+commit+"\n") {
		t.Errorf("--version in the image printed %q, want commit %s", out, commit)
	}
}

// TestManagerStartsFromTheReadOnlyImage runs the manager from the image against a
// real kube-apiserver and waits until it is ready: nothing it does at startup
// may need a writable root file system, a shell, libc or root.
func TestManagerStartsFromTheReadOnlyImage(t *testing.T) {
	requireRoot(t)
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	// The kubeconfig is the only file the test adds; it goes in before the root
	// is mounted read-only, as a Secret volume would be.
	kubeconfig := filepath.Join(rootfs, "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(kubeconfig, 65532, 65532); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(kubeconfig) })
	health, metrics := freeAddr(t), freeAddr(t)
	logPath := filepath.Join(t.TempDir(), "manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	cmd := inImage(t, []string{
		"KUBECONFIG=/kubeconfig",
		"AWS_ACCESS_KEY_ID=image-test", "AWS_SECRET_ACCESS_KEY=image-test",
		"AWS_EC2_METADATA_DISABLED=true",
	},
		"--region", "us-east-1",
		"--cluster-name", "image-test",
		"--health-probe-bind-address", health,
		"--metrics-bind-address", metrics,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed when the process has exited
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopGroup(cmd.Process.Pid, exited) })

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := waitReady(ctx, "http://"+health+"/readyz", exited); err != nil {
		log, _ := os.ReadFile(logPath)
		status := "still running"
		select {
		case <-exited:
			status = fmt.Sprint(exitErr)
		default:
		}
		t.Fatalf("manager from the image: %v (process: %s)\n%s", err, status, log)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	labels := imageConf.Config.Labels
	line := startupLine(t, string(log))
	if line["version"] != labels["org.opencontainers.image.version"] || line["commit"] != labels["org.opencontainers.image.revision"] {
		t.Errorf("startup log: version %v commit %v, want the image's %s %s\n%s", line["version"], line["commit"],
			labels["org.opencontainers.image.version"], labels["org.opencontainers.image.revision"], log)
	}
}

// requireRoot skips where a mount namespace and chroot are not allowed; the
// project's machines and CI run as root, so there the test always runs.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace and chroot, as a container runtime does")
	}
}

// startupLine returns the fields of the "Starting manager" log line (the
// manager logs JSON by default).
func startupLine(t *testing.T, log string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		var fields map[string]any
		if json.Unmarshal([]byte(line), &fields) == nil && fields["msg"] == "Starting manager" {
			return fields
		}
	}
	t.Fatalf("no \"Starting manager\" line in the log:\n%s", log)
	return nil
}

// waitReady polls url until it answers 200, exited closes, or ctx ends.
func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	probe := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := probe.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stopGroup sends SIGTERM to the process group (unshare, and the manager it
// forked), then SIGKILL if it has not exited in 30 s.
func stopGroup(pid int, exited <-chan struct{}) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
