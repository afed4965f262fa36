package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// simAccount is the one account of ec2sim without Options.Accounts: the harness's
// "test" key is a user of it.
const simAccount = "123456789012"

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

// accountHarness is a harness whose manager counts EC2 calls by object, for
// tests of AWSAccounts (ec2sim serves STS and IAM roles on its EC2 address).
type accountHarness struct {
	*harness
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
	h.options = func(mo *manager.Options) {
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

// spokeRole is a role in account that trusts the harness's own identity (its
// account), as config/iam/spoke-trust.json trusts the hub role: sts:AssumeRole
// only with the external ID (none when empty), sts:TagSession, and
// config/iam/policy.json as its permissions.
func (h *accountHarness) spokeRole(account, name, externalID string) string {
	h.t.Helper()
	trusted := simAccount
	if h.accessKey != "test" {
		trusted = h.accessKey
	}
	assume := map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + trusted + ":root"}, "Action": "sts:AssumeRole"}
	if externalID != "" {
		assume["Condition"] = map[string]any{"StringEquals": map[string]any{"sts:ExternalId": externalID}}
	}
	trust, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
		assume,
		map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + trusted + ":root"}, "Action": "sts:TagSession"},
	}})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.sim.PutRole(ec2sim.Role{Account: account, Name: name, TrustPolicy: trust, Policy: publishedPolicy(h.t, "policy.json", "adoption-policy.json")}); err != nil {
		h.t.Fatalf("put role %s in %s: %v", name, account, err)
	}
	return "arn:aws:iam::" + account + ":role/" + name
}

// ec2As is an EC2 client acting as an account's root user in a region.
func (h *harness) ec2As(account, region string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       region,
		BaseEndpoint: aws.String(h.url),
		Credentials:  credentials.NewStaticCredentialsProvider(account, "test", ""),
	})
}

// waitRecheck waits until the controller checked the AWSAccount again after
// since, and returns it.
func (h *accountHarness) waitRecheck(name string, since time.Time) *v1alpha1.AWSAccount {
	h.t.Helper()
	var a v1alpha1.AWSAccount
	h.eventually(4*syncPeriod+10*time.Second, "AWSAccount "+name+" checked again", func() error {
		if err := h.k.Get(h.ctx, client.ObjectKey{Name: name}, &a); err != nil {
			return err
		}
		if a.Status.LastChecked == nil || !a.Status.LastChecked.After(since.Add(time.Second)) {
			return fmt.Errorf("last checked %v", a.Status.LastChecked)
		}
		return nil
	})
	return &a
}

// liveEndpointsOf lists the endpoints of an account in a region that are not
// deleted, as that account sees them.
func (h *harness) liveEndpointsOf(account, region string) []types.VpcEndpoint {
	h.t.Helper()
	out, err := h.ec2As(account, region).DescribeVpcEndpoints(h.ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		h.t.Fatalf("describe endpoints of %s in %s: %v", account, region, err)
	}
	var live []types.VpcEndpoint
	for _, e := range out.VpcEndpoints {
		if s := strings.ToLower(string(e.State)); s != "deleted" && s != "deleting" {
			live = append(live, e)
		}
	}
	return live
}
