package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/manager"
)

// simAccount is the account ec2sim's resources belong to.
const simAccount = "123456789012"

// localSTS answers sts:AssumeRole and sts:GetCallerIdentity for the one account
// of today's single-account ec2sim: roles of that account it knows (each with the
// external ID its trust policy requires) can be assumed; any other is refused
// with AccessDenied, as AWS answers. It stands in for STS until ec2sim serves it.
type localSTS struct {
	mu    sync.Mutex
	roles map[string]string
	keys  map[string]string
}

func newLocalSTS(t *testing.T) (*localSTS, string) {
	s := &localSTS{roles: map[string]string{}, keys: map[string]string{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// allow makes a role of the sim's account assumable with the external ID ("" none).
func (s *localSTS) allow(role, externalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[role] = externalID
}

func (s *localSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	switch r.Form.Get("Action") {
	case "AssumeRole":
		role := r.Form.Get("RoleArn")
		want, ok := s.roles[role]
		if !ok || want != r.Form.Get("ExternalId") {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::%s:user/test is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, simAccount, role)
			return
		}
		key := fmt.Sprintf("ASIA%016d", len(s.keys)+1)
		session := strings.Replace(strings.Replace(role, ":iam::", ":sts::", 1), ":role/", ":assumed-role/", 1) + "/" + r.Form.Get("RoleSessionName")
		s.keys[key] = session
		fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			key, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), session)
	case "GetCallerIdentity":
		arn := "arn:aws:iam::" + simAccount + ":user/test"
		for key, session := range s.keys {
			if strings.Contains(r.Header.Get("Authorization"), "Credential="+key+"/") {
				arn = session
			}
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>%s</Arn><UserId>X</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, arn, simAccount)
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

// callCounter counts EC2 calls (each attempt) by the object they were made for.
type callCounter struct {
	mu sync.Mutex
	by map[string]map[string]int
}

func (c *callCounter) option() func(*ec2.Options) {
	mw := middleware.FinalizeMiddlewareFunc("count-by-object", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		c.mu.Lock()
		obj := awsclient.ObjectOf(ctx)
		if c.by[obj] == nil {
			c.by[obj] = map[string]int{}
		}
		c.by[obj][awsmiddleware.GetOperationName(ctx)]++
		c.mu.Unlock()
		return next.HandleFinalize(ctx, in)
	})
	return func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Finalize.Add(mw, middleware.After) })
	}
}

// calls returns the EC2 calls made for an object (namespace/name, or
// AWSAccount/name), by action.
func (c *callCounter) calls(object string) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.by[object] {
		out[k] = v
	}
	return out
}

// accountHarness is a harness whose manager reaches AWSAccounts through a local
// STS and counts EC2 calls by object.
type accountHarness struct {
	*harness
	sts     *localSTS
	counter *callCounter
	// owner labels the test's AWSAccounts, removed after the harness's cleanup.
	owner string
	// cluster is the manager's --cluster-name. AWSAccounts are cluster-scoped and
	// every test's manager sees them: each test claims its own for its manager.
	cluster string
}

type accountHarnessOptions struct {
	harnessOptions
	// options changes the manager's options further.
	options func(*manager.Options)
}

// newAccountHarness starts a harness (and its manager) for tests of AWSAccounts.
// AWSAccounts the test creates are removed after the harness's own cleanup.
func newAccountHarness(t *testing.T, o accountHarnessOptions) *accountHarness {
	t.Helper()
	// Registered before the harness, so it runs after the harness's cleanup has
	// deleted the endpoint objects (t.Cleanup runs last-in, first-out).
	owner := fmt.Sprintf("%d", accountOwners.Add(1))
	t.Cleanup(func() { removeAccounts(owner) })
	start := !o.noStart
	o.noStart = true
	h := &accountHarness{harness: newHarness(t, o.harnessOptions), counter: &callCounter{by: map[string]map[string]int{}}, owner: owner, cluster: o.cluster}
	if h.cluster == "" {
		h.cluster = "accounts-" + owner
	}
	var stsURL string
	h.sts, stsURL = newLocalSTS(t)
	h.options = func(mo *manager.Options) {
		mo.STSAPIOptions = append(mo.STSAPIOptions, func(so *sts.Options) { so.BaseEndpoint = aws.String(stsURL) })
		mo.EC2APIOptions = append(mo.EC2APIOptions, h.counter.option())
		if o.options != nil {
			o.options(mo)
		}
	}
	if start {
		h.start()
	}
	return h
}

// start runs the harness's manager.
func (h *accountHarness) start() { h.startManager(h.cluster) }

// accountName is a name for the test's AWSAccount, unique across tests.
func (h *accountHarness) accountName(suffix string) string {
	return strings.TrimRight(h.ns[:min(len(h.ns), 40)], "-") + "-" + suffix
}

// createAccount creates an AWSAccount labelled for removal after the test.
func (h *accountHarness) createAccount(a *v1alpha1.AWSAccount) {
	h.t.Helper()
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	a.Labels[accountOwnerLabel] = h.owner
	if a.Annotations == nil {
		a.Annotations = map[string]string{}
	}
	a.Annotations[v1alpha1.ClaimAnnotation] = h.cluster
	if err := h.k.Create(h.ctx, a); err != nil {
		h.t.Fatalf("create AWSAccount %s: %v", a.Name, err)
	}
}

const accountOwnerLabel = "test.vpce.dev/owner"

var accountOwners atomic.Int64

// removeAccounts deletes a test's AWSAccounts and drops their finalizers (its
// manager is gone by then).
func removeAccounts(owner string) {
	ctx := context.Background()
	var list v1alpha1.AWSAccountList
	if err := env.Client.List(ctx, &list, client.MatchingLabels{accountOwnerLabel: owner}); err != nil {
		return
	}
	for i := range list.Items {
		a := &list.Items[i]
		_ = env.Client.Delete(ctx, a)
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(a), a); err == nil {
			a.Finalizers = nil
			_ = env.Client.Update(ctx, a)
		}
	}
}

// waitAccount waits until the AWSAccount's Ready condition has the status and
// reason at its current generation, and returns the account.
func (h *accountHarness) waitAccount(name string, status metav1.ConditionStatus, reason string, timeout time.Duration) *v1alpha1.AWSAccount {
	h.t.Helper()
	var a v1alpha1.AWSAccount
	h.eventually(timeout, fmt.Sprintf("AWSAccount %s Ready=%s %s", name, status, reason), func() error {
		if err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &a); err != nil {
			return err
		}
		c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
		if c == nil {
			return fmt.Errorf("no Ready condition yet")
		}
		if c.Status != status || c.Reason != reason || a.Status.ObservedGeneration != a.Generation {
			return fmt.Errorf("Ready=%s %s gen %d/%d: %s", c.Status, c.Reason, a.Status.ObservedGeneration, a.Generation, c.Message)
		}
		return nil
	})
	return &a
}

// labelNamespace sets the labels of a namespace.
func (h *accountHarness) labelNamespace(name string, labels map[string]string) {
	h.t.Helper()
	h.eventually(10*time.Second, "label namespace "+name, func() error {
		var ns corev1.Namespace
		if err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &ns); err != nil {
			return err
		}
		ns.Labels = labels
		return h.k.Update(h.ctx, &ns)
	})
}

// updateAccount applies mutate to the latest version of the AWSAccount.
func (h *accountHarness) updateAccount(name string, mutate func(*v1alpha1.AWSAccount)) {
	h.t.Helper()
	h.eventually(10*time.Second, "update AWSAccount "+name, func() error {
		var a v1alpha1.AWSAccount
		if err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &a); err != nil {
			return err
		}
		mutate(&a)
		return h.k.Update(h.ctx, &a)
	})
}

// key is the object's namespace/name, as EC2 calls are attributed.
func key(obj client.Object) string { return obj.GetNamespace() + "/" + obj.GetName() }

// simCalls sums ec2sim's counters by action.
func (h *harness) simCalls() map[string]int {
	out := map[string]int{}
	for action, outcomes := range h.sim.Counters() {
		for _, n := range outcomes {
			out[action] += n
		}
	}
	return out
}

// waitAccountEvent waits for an event of an AWSAccount (recorded, as for every
// cluster-scoped object, in the default namespace).
func (h *accountHarness) waitAccountEvent(a *v1alpha1.AWSAccount, reason, text string) {
	h.t.Helper()
	h.eventually(15*time.Second, "AWSAccount event "+reason, func() error {
		var list eventsv1.EventList
		if err := h.k.List(h.ctx, &list, client.InNamespace("default")); err != nil {
			return err
		}
		var seen []string
		for _, e := range list.Items {
			if e.Regarding.UID != a.UID {
				continue
			}
			if e.Reason == reason && strings.Contains(e.Note, text) {
				return nil
			}
			seen = append(seen, e.Reason+": "+e.Note)
		}
		return fmt.Errorf("no %s event containing %q among %q", reason, text, seen)
	})
}
