package ec2sim_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// lockedBuffer is a bytes.Buffer safe for the emulator's concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() == 0 {
		return nil
	}
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

// The call log shows each EC2 call with its time, account, region, action and
// outcome: what a benchmark's timeline is read from.
func TestCallLogRecordsEveryCallWithItsOutcome(t *testing.T) {
	var log lockedBuffer
	e := newEnv(t, ec2sim.Options{CallLog: &log})
	before := len(log.lines())
	must(e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	_, err := e.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0000000000000000f"}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	lines := log.lines()
	if len(lines)-before != 2 {
		t.Fatalf("call log has %d new lines, want 2: %q", len(lines)-before, lines)
	}
	want := [][]string{
		{epoch.Format("2006-01-02T15:04:05Z07:00"), "123456789012", "us-east-1", "DescribeVpcs", "ok"},
		{epoch.Format("2006-01-02T15:04:05Z07:00"), "123456789012", "us-east-1", "DescribeVpcEndpoints", "InvalidVpcEndpointId.NotFound"},
	}
	for i, l := range lines[before:] {
		if got := strings.Fields(l); strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("line %d = %q, want %q", i, l, strings.Join(want[i], " "))
		}
	}
}
