// Package monitoring checks the chart's alerts (the PrometheusRule) and its Grafana
// dashboard against the metrics a running manager really exports: every expression
// parses with Prometheus's own PromQL parser, and every metric and label it uses is
// in a scrape of a manager that has reconciled objects. It is a Go module of its own
// (github.com/vpce-dev/vpce-controller/test/monitoring) so that Prometheus's packages
// and the dependency versions they bring never enter the manager's module graph;
// `make test` runs it.
package monitoring
