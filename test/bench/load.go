package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoadSample summarises the machine's 1-minute load average over a run, sampled
// every few seconds. It counts the benchmark's own processes (manager, API server,
// etcd, ec2sim) as well as whatever else the machine runs.
type LoadSample struct {
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// loadMonitor samples /proc/loadavg until stopped.
type loadMonitor struct {
	mu      sync.Mutex
	sum     float64
	n       int
	max     float64
	stopped chan struct{}
	cancel  context.CancelFunc
}

// watchLoad starts sampling the load average every interval.
func watchLoad(ctx context.Context, interval time.Duration) *loadMonitor {
	ctx, cancel := context.WithCancel(ctx)
	m := &loadMonitor{stopped: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(m.stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *loadMonitor) sample() {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sum += v
	m.n++
	if v > m.max {
		m.max = v
	}
}

// Stop ends the sampling and returns the summary.
func (m *loadMonitor) Stop() LoadSample {
	m.cancel()
	<-m.stopped
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return LoadSample{}
	}
	return LoadSample{Mean: m.sum / float64(m.n), Max: m.max}
}
