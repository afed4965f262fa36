package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// motoStartTimeout bounds how long moto_server may take to start and answer.
const motoStartTimeout = 60 * time.Second

// motoListening matches the line werkzeug prints once moto_server listens.
var motoListening = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

// StartMoto starts a fresh moto_server of its own for one test and returns its
// base URL; the server is killed when the test ends. moto_server binds a port the
// kernel picks (port 0) and the URL is read from what it prints, so two tests
// never share a server through a port that was free a moment before. The test
// is skipped, with a message that says so, when moto_server is not installed.
func StartMoto(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not on PATH: install moto 5.2 (`pip install 'moto[server]'`) to run this test")
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr // werkzeug and moto write both to stderr; keep one pipe
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// The group holds moto_server and anything its launcher spawned.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})

	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := motoListening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, out) // keep the pipe drained so moto never blocks on a write
	}()

	ctx, cancel := context.WithTimeout(context.Background(), motoStartTimeout)
	defer cancel()
	var url string
	select {
	case url = <-found:
	case err := <-exited:
		t.Fatalf("moto_server exited before it listened: %v", err)
	case <-ctx.Done():
		t.Fatalf("moto_server did not say where it listens within %s", motoStartTimeout)
	}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/moto-api/reset", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
			err = fmt.Errorf("reset answered %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("moto_server on %s did not answer within %s: %v", url, motoStartTimeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
