// Package logging holds the manager's logger plumbing.
package logging

import (
	"sync"

	"github.com/go-logr/logr"
)

// Lazy returns l with its key-values kept aside until a line is written.
//
// controller-runtime gives every reconcile a logger with the controller, the
// object and a reconcile ID (three WithValues). zap encodes those at once into a
// fresh buffer, so at a few thousand reconciles a second, most of which write no
// line at the configured verbosity, that encoding was a sixth of everything the
// manager allocated. Here WithValues only remembers the values; they are encoded
// the first time the logger (or one derived from it) writes an enabled line, and
// that encoding is kept for the logger's later lines. The output is the same.
func Lazy(l logr.Logger) logr.Logger {
	sink := l.GetSink()
	if sink == nil {
		return l
	}
	if _, ok := sink.(*lazySink); ok {
		return l
	}
	// This sink's Info and Error add a frame between the caller and the
	// wrapped sink.
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1)
	}
	return logr.New(&lazySink{base: sink})
}

// lazySink defers WithValues on base until a line is written.
type lazySink struct {
	base logr.LogSink // names and call depth applied, values not
	kv   []any        // values not yet applied to base

	once  sync.Once
	built logr.LogSink // base with kv, once a line was written
}

var (
	_ logr.LogSink          = (*lazySink)(nil)
	_ logr.CallDepthLogSink = (*lazySink)(nil)
)

// Init is a no-op: the wrapped sink was initialised by its own logger.
func (s *lazySink) Init(logr.RuntimeInfo) {}

// Enabled reports whether the wrapped sink writes lines at level.
func (s *lazySink) Enabled(level int) bool { return s.base.Enabled(level) }

// Info writes a line with the values kept so far.
func (s *lazySink) Info(level int, msg string, kv ...any) { s.sink().Info(level, msg, kv...) }

// Error writes an error line with the values kept so far.
func (s *lazySink) Error(err error, msg string, kv ...any) { s.sink().Error(err, msg, kv...) }

// WithValues remembers kv for the lines written later.
func (s *lazySink) WithValues(kv ...any) logr.LogSink {
	if len(kv) == 0 {
		return s
	}
	all := make([]any, 0, len(s.kv)+len(kv))
	all = append(append(all, s.kv...), kv...)
	return &lazySink{base: s.base, kv: all}
}

// WithName adds a name segment; names and values are independent in a line.
func (s *lazySink) WithName(name string) logr.LogSink {
	return &lazySink{base: s.base.WithName(name), kv: s.kv}
}

// WithCallDepth passes the extra depth to the wrapped sink, if it reports callers.
func (s *lazySink) WithCallDepth(depth int) logr.LogSink {
	cd, ok := s.base.(logr.CallDepthLogSink)
	if !ok {
		return s
	}
	return &lazySink{base: cd.WithCallDepth(depth), kv: s.kv}
}

// sink returns base with the kept values applied, applying them once.
func (s *lazySink) sink() logr.LogSink {
	s.once.Do(func() {
		s.built = s.base
		if len(s.kv) > 0 {
			s.built = s.base.WithValues(s.kv...)
		}
	})
	return s.built
}
