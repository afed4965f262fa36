package conformance

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// motoStartTimeout bounds how long moto_server may take to answer.
const motoStartTimeout = 30 * time.Second

// startMoto starts a fresh moto_server on a free loopback port, waits until
// it answers and stops it when the test ends. It skips the test when
// moto_server is not on PATH.
func startMoto(t *testing.T) Target {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not on PATH")
	}
	port := freePort(t)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		// The group holds moto_server and anything its launcher spawned.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	target := Target{
		Name:        "moto",
		Endpoint:    base,
		Reset:       ResetURL(base + "/moto-api/reset"),
		WaitTimeout: 2 * time.Second,
		IAM:         motoIAM{base},
	}
	ctx, cancel := context.WithTimeout(context.Background(), motoStartTimeout)
	defer cancel()
	for {
		if err := target.Reset(ctx); err == nil {
			return target
		}
		select {
		case <-ctx.Done():
			t.Fatalf("moto_server did not answer on %s within %s", base, motoStartTimeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
