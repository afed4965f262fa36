package logging

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// recording returns a funcr logger writing into lines, and counting its WithValues.
func recording(lines *[]string, withValues *int) logr.Logger {
	l := funcr.New(func(prefix, args string) { *lines = append(*lines, prefix+" "+args) },
		funcr.Options{Verbosity: 1})
	return logr.New(&countingSink{LogSink: l.GetSink(), n: withValues})
}

type countingSink struct {
	logr.LogSink
	n *int
}

func (c *countingSink) WithValues(kv ...any) logr.LogSink {
	*c.n++
	return &countingSink{LogSink: c.LogSink.WithValues(kv...), n: c.n}
}

func (c *countingSink) WithName(name string) logr.LogSink {
	return &countingSink{LogSink: c.LogSink.WithName(name), n: c.n}
}

func (c *countingSink) WithCallDepth(depth int) logr.LogSink {
	return &countingSink{LogSink: c.LogSink.(logr.CallDepthLogSink).WithCallDepth(depth), n: c.n}
}

func TestLazyWritesWhatTheWrappedLoggerWrites(t *testing.T) {
	var eager, lazy []string
	plain := func(lines *[]string) logr.Logger {
		return funcr.New(func(prefix, args string) { *lines = append(*lines, prefix+" "+args) },
			funcr.Options{Verbosity: 1, LogCaller: funcr.All})
	}
	for _, c := range []struct {
		l     logr.Logger
		lines *[]string
	}{{plain(&eager), &eager}, {Lazy(plain(&lazy)), &lazy}} {
		l := c.l.WithName("controller").WithValues("controller", "gatewayendpoint")
		r := l.WithValues("namespace", "team-a", "name", "s3").WithValues("reconcileID", "42")
		r.Info("Reconciled", "ready", true)
		r.V(1).Info("Polling")
		r.V(2).Info("not written")
		r.Error(errors.New("boom"), "Spec not applied")
		l.Info("Starting workers")
	}
	if len(eager) != 4 || len(lazy) != 4 {
		t.Fatalf("lines written: eager %d, lazy %d; want 4 each:\n%s\n%s", len(eager), len(lazy), strings.Join(eager, "\n"), strings.Join(lazy, "\n"))
	}
	for i := range eager {
		// Both report the same caller: the test's own lines.
		if !strings.Contains(lazy[i], `"caller"={"file"="lazy_test.go"`) {
			t.Errorf("line %d names the wrong caller: %s", i, lazy[i])
		}
		if e, l := eager[i], lazy[i]; e != l {
			t.Errorf("line %d differs:\neager %s\nlazy  %s", i, e, l)
		}
	}
}

func TestLazyEncodesValuesOnlyForWrittenLines(t *testing.T) {
	var lines []string
	var with int
	l := Lazy(recording(&lines, &with))
	for i := range 1000 {
		l.WithValues("namespace", "team-a").WithValues("name", strconv.Itoa(i)).V(2).Info("Nothing changed")
	}
	if with != 0 || len(lines) != 0 {
		t.Fatalf("a thousand loggers writing nothing applied values %d times and wrote %d lines; want none", with, len(lines))
	}
	r := l.WithValues("namespace", "team-a").WithValues("name", "s3")
	r.Info("one")
	r.Info("two")
	if with != 1 {
		t.Fatalf("values applied %d times for two lines of one logger; want once", with)
	}
	if !strings.Contains(lines[1], `"namespace"="team-a" "name"="s3"`) {
		t.Fatalf("the line lost its values: %s", lines[1])
	}
}

func TestLazyDoesNotShareValuesBetweenSiblings(t *testing.T) {
	var lines []string
	var with int
	base := Lazy(recording(&lines, &with)).WithValues("controller", "x")
	a := base.WithValues("name", "a")
	b := base.WithValues("name", "b")
	a.Info("m")
	b.Info("m")
	if !strings.Contains(lines[0], `"a"`) || strings.Contains(lines[0], `"b"`) || !strings.Contains(lines[1], `"b"`) || strings.Contains(lines[1], `"a"`) {
		t.Fatalf("sibling loggers mixed their values:\n%s\n%s", lines[0], lines[1])
	}
}
