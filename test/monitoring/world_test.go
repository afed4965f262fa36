package monitoring_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/go-logr/logr"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// namespace holds the objects of the world this package scrapes.
const namespace = "monitoring-test"

// exported is what a scrape of the manager holds: every series name (histograms
// as their _bucket, _sum and _count series), with the label names it carries.
type exported map[string]map[string]bool

// scraped is the scrape of the running manager, taken once in TestMain, and
// scrapedFamilies the same scrape with its samples.
var (
	scraped         exported
	scrapedFamilies map[string]*dto.MetricFamily
)

func TestMain(m *testing.M) {
	// VPCE_TEST_LOG=1 shows the manager's logs.
	if os.Getenv("VPCE_TEST_LOG") != "" {
		logf.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr)))
	} else {
		logf.SetLogger(logr.Discard())
	}
	var err error
	scrapedFamilies, err = runWorld()
	if err == nil {
		scraped, err = seriesOf(scrapedFamilies)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "monitoring: scraping a running manager:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// runWorld starts a kube-apiserver, ec2sim and the real manager (secure metrics,
// leader election) as the integration tests do; makes it reconcile a Ready gateway
// endpoint, a Stalled one, a throttled EC2 call and a drift repair; then scrapes
// /metrics with a token bound to the metrics reader role, and stops everything.
func runWorld() (map[string]*dto.MetricFamily, error) {
	env, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	defer env.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	sim := ec2sim.New(ec2sim.Options{Region: "us-east-1", StateDelay: 300 * time.Millisecond, DeletedLinger: 300 * time.Millisecond})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	fix := sim.LoadFixture()
	k := env.Client
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return nil, err
	}
	token, err := readerToken(ctx, env)
	if err != nil {
		return nil, err
	}

	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	mgrCtx, stop := context.WithCancel(context.Background())
	mgr, err := manager.New(mgrCtx, env.Config, manager.Options{
		Region:                  "us-east-1",
		ClusterName:             "monitoring-test",
		AWSEndpointURL:          srv.URL,
		SyncPeriod:              2 * time.Second,
		PendingPoll:             200 * time.Millisecond,
		LeaderElect:             true,
		LeaderElectionNamespace: "kube-system",
		Metrics:                 manager.MetricsOptions{BindAddress: addr, Secure: true},
		HealthProbeBindAddress:  "0",
		WatchNamespace:          namespace,
		AWSLoadOptions: []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		},
	})
	if err != nil {
		stop()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	defer func() { stop(); <-done }()

	var routeTables []string
	for _, s := range fix.PrivateSubnets {
		routeTables = append(routeTables, s.RouteTableID)
	}
	ready := gateway("ready", fix.VPCID, routeTables)
	stalled := gateway("stalled", "vpc-0123456789abcdef0", routeTables) // no such VPC: Stalled, VPCNotFound
	for _, gw := range []*v1alpha1.GatewayEndpoint{ready, stalled} {
		if err := k.Create(ctx, gw); err != nil {
			return nil, err
		}
	}
	if err := waitCondition(ctx, k, ready, v1alpha1.ConditionReady); err != nil {
		return nil, err
	}
	if err := waitCondition(ctx, k, stalled, v1alpha1.ConditionStalled); err != nil {
		return nil, err
	}
	// Someone removes a route table behind the controller's back, and EC2 throttles
	// the next call; the next drift check meets both.
	ec2Client := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := ec2Client.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(ready.Status.EndpointID), RemoveRouteTableIds: routeTables[:1]}); err != nil {
		return nil, fmt.Errorf("remove a route table: %w", err)
	}
	sim.InjectFault(ec2sim.Fault{Action: "*", Code: "RequestLimitExceeded", Count: 1})

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	var got map[string]*dto.MetricFamily
	for {
		got, err = scrape(ctx, client, "https://"+addr+"/metrics", token)
		if err == nil && got["vpce_drift_repairs_total"] != nil && got["vpce_ec2_api_throttled_total"] != nil {
			return got, nil
		}
		select {
		case <-ctx.Done():
			var have []string
			for name := range got {
				if strings.HasPrefix(name, "vpce_") {
					have = append(have, name)
				}
			}
			return nil, fmt.Errorf("the scrape lacks a drift repair or a throttled call (last error %v; vpce_ series: %v): %w", err, sorted(have), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readerToken creates a ServiceAccount bound to the metrics reader role (as
// config/rbac/metrics_reader_role.yaml grants it) and returns a token of it.
func readerToken(ctx context.Context, env *testenv.Env) (string, error) {
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		return "", err
	}
	if _, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "prometheus"}}, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"}, Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "prometheus", Namespace: namespace}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, "prometheus", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

// gateway is a GatewayEndpoint for S3 in vpc through the route tables.
func gateway(name, vpc string, routeTables []string) *v1alpha1.GatewayEndpoint {
	return &v1alpha1.GatewayEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.GatewayEndpointSpec{
			EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: vpc}},
			Service:            "s3",
			RouteTables:        v1alpha1.RouteTableSelector{IDs: routeTables},
		},
	}
}

// waitCondition waits until obj has the condition True, and refreshes obj.
func waitCondition(ctx context.Context, k client.Client, obj *v1alpha1.GatewayEndpoint, condition string) error {
	for {
		if err := k.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		if meta.IsStatusConditionTrue(obj.Status.Conditions, condition) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never %s=True (conditions %+v): %w", obj.Name, condition, obj.Status.Conditions, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// scrape GETs /metrics with the token and returns what it exports.
func scrape(ctx context.Context, c *http.Client, url, token string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/plain")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(bytes.NewReader(body))
}

// seriesOf turns a scrape into series names and labels.
func seriesOf(families map[string]*dto.MetricFamily) (exported, error) {
	out := exported{}
	add := func(name string, labels []*dto.LabelPair, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, l := range labels {
			out[name][l.GetName()] = true
		}
		for _, l := range extra {
			out[name][l] = true
		}
	}
	for name, family := range families {
		for _, m := range family.GetMetric() {
			switch family.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(name+"_bucket", m.GetLabel(), "le")
				add(name+"_sum", m.GetLabel())
				add(name+"_count", m.GetLabel())
			case dto.MetricType_SUMMARY:
				add(name, m.GetLabel(), "quantile")
				add(name+"_sum", m.GetLabel())
				add(name+"_count", m.GetLabel())
			default:
				add(name, m.GetLabel())
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty scrape")
	}
	return out, nil
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// names returns the sorted keys of a set, for messages.
func names(set map[string]bool) string {
	var out []string
	for k := range set {
		out = append(out, k)
	}
	return strings.Join(sorted(out), ", ")
}
