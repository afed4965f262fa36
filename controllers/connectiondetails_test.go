package controllers_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/controllers"
	"github.com/vpce-dev/vpce-controller/internal/manager"
	"github.com/vpce-dev/vpce-controller/internal/metrics"
)

// configMap reads a ConfigMap of the test's namespace from the API server.
func (h *harness) configMap(name string) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{}
	err := h.k.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, cm)
	return cm, err
}

// waitConfigMap waits until the ConfigMap exists and check accepts it.
func (h *harness) waitConfigMap(name string, check func(*corev1.ConfigMap) error) *corev1.ConfigMap {
	h.t.Helper()
	var cm *corev1.ConfigMap
	h.eventually(20*time.Second, "ConfigMap "+name, func() error {
		var err error
		if cm, err = h.configMap(name); err != nil {
			return err
		}
		return check(cm)
	})
	return cm
}

// waitNoConfigMap waits until the ConfigMap is gone.
func (h *harness) waitNoConfigMap(name string) {
	h.t.Helper()
	h.eventually(20*time.Second, "ConfigMap "+name+" deleted", func() error {
		cm, err := h.configMap(name)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (err %v, owners %v)", err, cm.OwnerReferences)
	})
}

// controlledBy checks that obj is the ConfigMap's controller, as the garbage
// collector needs to delete it with obj.
func controlledBy(cm *corev1.ConfigMap, obj client.Object) error {
	kind := "InterfaceEndpoint"
	if _, ok := obj.(*v1alpha1.GatewayEndpoint); ok {
		kind = "GatewayEndpoint"
	}
	ref := metav1.GetControllerOf(cm)
	if ref == nil || ref.UID != obj.GetUID() || ref.Name != obj.GetName() || ref.Kind != kind || ref.APIVersion != v1alpha1.GroupVersion.String() {
		return fmt.Errorf("controller %+v, want %s %s (%s)", ref, kind, obj.GetName(), obj.GetUID())
	}
	if ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		return fmt.Errorf("owner reference %+v does not block the owner's deletion", ref)
	}
	if cm.Labels[controllers.LabelConnectionDetailsFor] != string(obj.GetUID()) {
		return fmt.Errorf("labels %v, want %s=%s", cm.Labels, controllers.LabelConnectionDetailsFor, obj.GetUID())
	}
	return nil
}

// wantData checks that a ConfigMap holds exactly want.
func wantData(want map[string]string) func(*corev1.ConfigMap) error {
	return func(cm *corev1.ConfigMap) error {
		if !maps.Equal(cm.Data, want) {
			return fmt.Errorf("data\n%v\nwant\n%v", cm.Data, want)
		}
		return nil
	}
}

// s3InterfaceData is what the ConfigMap of an S3 interface endpoint must hold,
// computed here from the status independently of the controller's code.
func s3InterfaceData(ie *v1alpha1.InterfaceEndpoint) map[string]string {
	st := ie.Status
	want := map[string]string{
		"VPCE_ENDPOINT_ID":   st.EndpointID,
		"VPCE_ENDPOINT_TYPE": "Interface",
		"VPCE_SERVICE_NAME":  "com.amazonaws.us-east-1.s3",
		"VPCE_REGION":        "us-east-1",
		"VPCE_VPC_ID":        st.VPCID,
	}
	var zones, ips []string
	for _, d := range st.DNSEntries {
		switch d.Type {
		case v1alpha1.DNSEntryRegional:
			want["VPCE_DNS_NAME"] = d.Name
			host := strings.TrimPrefix(d.Name, "*.")
			want["VPCE_S3_BUCKET_URL"] = "https://bucket." + host
			want["AWS_ENDPOINT_URL_S3"] = "https://bucket." + host
			want["VPCE_S3_ACCESSPOINT_URL"] = "https://accesspoint." + host
			want["VPCE_S3_CONTROL_URL"] = "https://control." + host
			want["AWS_ENDPOINT_URL_S3_CONTROL"] = "https://control." + host
		case v1alpha1.DNSEntryZonal:
			want["VPCE_DNS_NAME_"+strings.ToUpper(strings.ReplaceAll(d.AvailabilityZone, "-", "_"))] = d.Name
		case v1alpha1.DNSEntryPrivateDNS:
			want["VPCE_PRIVATE_DNS_NAME"] = d.Name
			want["VPCE_PRIVATE_DNS_NAMES"] = d.Name
		}
	}
	for _, ni := range sortedInterfaces(st.NetworkInterfaces) {
		zones = append(zones, ni.AvailabilityZone)
		ips = append(ips, ni.PrivateIPv4)
		want["VPCE_IPV4_"+strings.ToUpper(strings.ReplaceAll(ni.AvailabilityZone, "-", "_"))] = ni.PrivateIPv4
	}
	want["VPCE_ZONES"] = strings.Join(zones, ",")
	want["VPCE_IPV4_ADDRESSES"] = strings.Join(ips, ",")
	return want
}

func sortedInterfaces(nis []v1alpha1.NetworkInterface) []v1alpha1.NetworkInterface {
	out := append([]v1alpha1.NetworkInterface(nil), nis...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].AvailabilityZone < out[i].AvailabilityZone {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// endpointObject is a pointer to either kind.
type endpointObject interface {
	*v1alpha1.InterfaceEndpoint | *v1alpha1.GatewayEndpoint
}

// withDetails asks obj for connection details in the ConfigMap name.
func withDetails[T endpointObject](obj T, name string) T {
	switch o := any(obj).(type) {
	case *v1alpha1.InterfaceEndpoint:
		o.Spec.ConnectionDetails = &v1alpha1.ConnectionDetails{ConfigMapName: name}
	case *v1alpha1.GatewayEndpoint:
		o.Spec.ConnectionDetails = &v1alpha1.ConnectionDetails{ConfigMapName: name}
	}
	return obj
}

// TestConnectionDetailsWrittenAndKeptCurrent: an S3 interface endpoint's
// ConfigMap holds its ID, DNS names, addresses per zone and the S3 endpoint URLs,
// is owned by the object, stays untouched at rest, and follows the endpoint when a
// subnet is added (a new zonal name and address), as a plain update, not drift.
func TestConnectionDetailsWrittenAndKeptCurrent(t *testing.T) {
	h := newHarness(t)
	subs := h.fix.PrivateSubnets
	ie := withDetails(iface("s3", h.fix.VPCID, "s3", v1alpha1.SubnetSelector{IDs: []string{subs[0].SubnetID, subs[1].SubnetID}}), "s3-endpoint")
	h.create(ie)
	h.waitReady(ie)
	h.waitCondition(ie, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionTrue, v1alpha1.ReasonConnectionDetailsWritten, 10*time.Second)
	want := s3InterfaceData(ie)
	if len(want) != 19 || !strings.HasPrefix(want["AWS_ENDPOINT_URL_S3"], "https://bucket.vpce-") || !strings.HasSuffix(want["AWS_ENDPOINT_URL_S3"], ".s3.us-east-1.vpce.amazonaws.com") {
		t.Fatalf("status does not give the expected shape of data: %v", want)
	}
	cm := h.waitConfigMap("s3-endpoint", wantData(want))
	if err := controlledBy(cm, ie); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(ie, v1alpha1.EventConnectionDetailsWritten, `Created ConfigMap "s3-endpoint"`)

	// At rest nothing is written.
	rv := cm.ResourceVersion
	time.Sleep(2*syncPeriod + time.Second)
	if cm, _ = h.configMap("s3-endpoint"); cm.ResourceVersion != rv {
		t.Fatalf("ConfigMap rewritten at rest: resourceVersion %s, then %s", rv, cm.ResourceVersion)
	}

	// A third subnet: its zone's DNS name and address appear.
	newZone := strings.ToUpper(strings.ReplaceAll(subs[2].AvailabilityZone, "-", "_"))
	h.update(ie, func() { ie.Spec.Subnets.IDs = append(ie.Spec.Subnets.IDs, subs[2].SubnetID) })
	h.eventually(20*time.Second, "third interface in the status", func() error {
		h.get(ie)
		if len(ie.Status.NetworkInterfaces) != 3 || !isReady(ie) {
			return fmt.Errorf("interfaces %v", ie.Status.NetworkInterfaces)
		}
		return nil
	})
	want = s3InterfaceData(ie)
	if want["VPCE_IPV4_"+newZone] == "" || want["VPCE_DNS_NAME_"+newZone] == "" {
		t.Fatalf("status lacks zone %s: %v", subs[2].AvailabilityZone, want)
	}
	h.waitConfigMap("s3-endpoint", wantData(want))
	h.waitEvent(ie, v1alpha1.EventConnectionDetailsWritten, "VPCE_IPV4_"+newZone+" added")
	h.noEvent(ie, v1alpha1.EventDriftCorrected)
}

// TestConnectionDetailsRepairedAfterHandEdit: a hand edit, a removed label and a
// deleted ConfigMap are each repaired, with a DriftCorrected event and the metric.
func TestConnectionDetailsRepairedAfterHandEdit(t *testing.T) {
	h := newHarness(t)
	ie := withDetails(iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}), "ssm-endpoint")
	h.create(ie)
	h.waitReady(ie)
	cm := h.waitConfigMap("ssm-endpoint", func(cm *corev1.ConfigMap) error {
		if cm.Data["VPCE_ENDPOINT_ID"] == "" {
			return fmt.Errorf("data %v", cm.Data)
		}
		return nil
	})
	want := maps.Clone(cm.Data)
	if want["VPCE_URL"] != "https://"+want["VPCE_DNS_NAME"] || want["VPCE_PRIVATE_DNS_NAME"] != "ssm.us-east-1.amazonaws.com" {
		t.Fatalf("data %v", want)
	}
	repairs := func() float64 {
		return testutil.ToFloat64(metrics.DriftRepairs.WithLabelValues("InterfaceEndpoint", h.ns, "connection-details"))
	}
	before := repairs()

	// A value changed and a key added by hand.
	cm.Data["VPCE_URL"] = "https://example.com"
	cm.Data["EXTRA"] = "by hand"
	if err := h.k.Update(h.ctx, cm); err != nil {
		t.Fatal(err)
	}
	h.waitConfigMap("ssm-endpoint", wantData(want))
	h.waitEvent(ie, v1alpha1.EventDriftCorrected, "EXTRA removed, VPCE_URL changed")
	if got := repairs(); got < before+1 {
		t.Fatalf("vpce_drift_repairs_total{field=connection-details} = %v, want at least %v", got, before+1)
	}

	// Our label removed: the ConfigMap leaves the manager's cache, and is found
	// and restored all the same.
	cm, _ = h.configMap("ssm-endpoint")
	delete(cm.Labels, controllers.LabelConnectionDetailsFor)
	if err := h.k.Update(h.ctx, cm); err != nil {
		t.Fatal(err)
	}
	h.waitConfigMap("ssm-endpoint", func(cm *corev1.ConfigMap) error { return controlledBy(cm, ie) })
	// (Its event folds into the series of the first restore: same reason and action.)
	h.eventually(5*time.Second, "second repair counted", func() error {
		if got := repairs(); got < before+2 {
			return fmt.Errorf("vpce_drift_repairs_total{field=connection-details} = %v, want at least %v", got, before+2)
		}
		return nil
	})

	// Deleted by hand: created again.
	cm, _ = h.configMap("ssm-endpoint")
	if err := h.k.Delete(h.ctx, cm); err != nil {
		t.Fatal(err)
	}
	h.waitConfigMap("ssm-endpoint", func(got *corev1.ConfigMap) error {
		if got.UID == cm.UID {
			return fmt.Errorf("not deleted yet")
		}
		return wantData(want)(got)
	})
	h.waitEvent(ie, v1alpha1.EventDriftCorrected, `Recreated ConfigMap "ssm-endpoint"`)
	if got := repairs(); got < before+3 {
		t.Fatalf("vpce_drift_repairs_total{field=connection-details} = %v, want at least %v", got, before+3)
	}
	h.waitCondition(ie, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonAvailable, 20*time.Second)
}

// TestConnectionDetailsDeletedWithTheObject: the controller deletes the ConfigMap
// itself before it removes the finalizer (envtest has no garbage collector, so
// this is the controller's doing), whatever the deletion policy.
func TestConnectionDetailsDeletedWithTheObject(t *testing.T) {
	h := newHarness(t)
	gw := withDetails(gateway("s3", h.fix.VPCID, v1alpha1.RouteTableSelector{Tags: map[string]string{"tier": "private"}}), "s3-gateway")
	gw.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	ie := withDetails(iface("sts", h.fix.VPCID, "sts", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}), "sts-endpoint")
	h.create(gw)
	h.create(ie)
	h.waitReady(gw)
	h.waitReady(ie)
	cm := h.waitConfigMap("s3-gateway", wantData(map[string]string{
		"VPCE_ENDPOINT_ID":     gw.Status.EndpointID,
		"VPCE_ENDPOINT_TYPE":   "Gateway",
		"VPCE_SERVICE_NAME":    "com.amazonaws.us-east-1.s3",
		"VPCE_REGION":          "us-east-1",
		"VPCE_VPC_ID":          h.fix.VPCID,
		"VPCE_PREFIX_LIST_ID":  gw.Status.PrefixListID,
		"VPCE_ROUTE_TABLE_IDS": strings.Join(h.privateRouteTables(), ","),
	}))
	if err := controlledBy(cm, gw); err != nil {
		t.Fatal(err)
	}
	h.waitConfigMap("sts-endpoint", func(cm *corev1.ConfigMap) error { return controlledBy(cm, ie) })

	h.deleteAndWait(gw)
	h.deleteAndWait(ie)
	for _, name := range []string{"s3-gateway", "sts-endpoint"} {
		if _, err := h.configMap(name); !apierrors.IsNotFound(err) {
			t.Fatalf("ConfigMap %s outlived its object: %v", name, err)
		}
	}
}

// TestConnectionDetailsNeverOverwriteAForeignConfigMap: a ConfigMap of the name
// that the object does not control (made by hand, or another object's) is left
// as it is; the object says why (ConnectionDetailsReady and Ready False, Stalled,
// a Warning event) while Synced still reports AWS, and it recovers when the name
// is changed or the other ConfigMap goes. Changing the name moves the data, and
// removing the field removes the ConfigMap and the condition.
func TestConnectionDetailsNeverOverwriteAForeignConfigMap(t *testing.T) {
	h := newHarness(t)
	foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "taken"}, Data: map[string]string{"owner": "someone else"}}
	if err := h.k.Create(h.ctx, foreign); err != nil {
		t.Fatal(err)
	}
	ie := withDetails(iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}), "taken")
	h.create(ie)
	cond := h.waitCondition(ie, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionFalse, v1alpha1.ReasonConfigMapNotOwned, 20*time.Second)
	if !strings.Contains(cond.Message, `"taken"`) || !strings.Contains(cond.Message, "spec.connectionDetails.configMapName") {
		t.Fatalf("message %q does not name the ConfigMap and the field", cond.Message)
	}
	h.waitCondition(ie, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonConfigMapNotOwned, 20*time.Second)
	h.waitCondition(ie, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonConfigMapNotOwned, 20*time.Second)
	h.waitCondition(ie, v1alpha1.ConditionSynced, metav1.ConditionTrue, v1alpha1.ReasonReconciled, 20*time.Second)
	if meta.FindStatusCondition(ie.Status.Conditions, v1alpha1.ConditionReconciling) != nil || ie.Status.State != "available" {
		t.Fatalf("conditions %v, state %s", ie.Status.Conditions, ie.Status.State)
	}
	h.waitEvent(ie, v1alpha1.ReasonConfigMapNotOwned, "no controller")
	// Two sync periods later: still untouched, one Warning only, and no status
	// write (Ready is not flipped back and forth on each look).
	h.get(ie)
	objectVersion := ie.ResourceVersion
	time.Sleep(2*syncPeriod + time.Second)
	if h.get(ie); ie.ResourceVersion != objectVersion {
		t.Fatalf("status rewritten at rest while refused: %v", ie.Status.Conditions)
	}
	got, _ := h.configMap("taken")
	if got.ResourceVersion != foreign.ResourceVersion || !maps.Equal(got.Data, foreign.Data) || len(got.OwnerReferences) != 0 {
		t.Fatalf("foreign ConfigMap changed: %+v", got)
	}
	warnings := 0
	for _, e := range h.events(ie) {
		if e.Reason == v1alpha1.ReasonConfigMapNotOwned {
			warnings++
			if e.Type != corev1.EventTypeWarning {
				t.Fatalf("event %s is %s, want Warning", e.Reason, e.Type)
			}
		}
	}
	if warnings != 1 {
		t.Fatalf("%d ConfigMapNotOwned events, want one", warnings)
	}

	// Another object asking for a ConfigMap this one controls is refused too.
	other := withDetails(iface("sts", h.fix.VPCID, "sts", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}), "taken")
	h.create(other)
	// The name changes: the data is written there, and the first object is Ready.
	h.update(ie, func() { ie.Spec.ConnectionDetails.ConfigMapName = "ssm-endpoint" })
	h.waitReady(ie)
	h.waitCondition(ie, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionTrue, v1alpha1.ReasonConnectionDetailsWritten, 20*time.Second)
	if c := meta.FindStatusCondition(ie.Status.Conditions, v1alpha1.ConditionStalled); c != nil {
		t.Fatalf("still Stalled: %v", c)
	}
	h.waitConfigMap("ssm-endpoint", func(cm *corev1.ConfigMap) error { return controlledBy(cm, ie) })
	cond = h.waitCondition(other, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionFalse, v1alpha1.ReasonConfigMapNotOwned, 20*time.Second)
	if !strings.Contains(cond.Message, "no controller") {
		t.Fatalf("message %q", cond.Message)
	}
	// The foreign ConfigMap goes: the other object writes its own within a sync period.
	if err := h.k.Delete(h.ctx, foreign); err != nil {
		t.Fatal(err)
	}
	h.waitConfigMap("taken", func(cm *corev1.ConfigMap) error { return controlledBy(cm, other) })
	h.waitReady(other)

	// Now ssm names the ConfigMap sts controls: refused, naming its controller.
	h.update(ie, func() { ie.Spec.ConnectionDetails.ConfigMapName = "taken" })
	cond = h.waitCondition(ie, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionFalse, v1alpha1.ReasonConfigMapNotOwned, 20*time.Second)
	if !strings.Contains(cond.Message, `controller InterfaceEndpoint "sts"`) {
		t.Fatalf("message %q does not name the other object", cond.Message)
	}
	// Its own ConfigMap under the old name is gone, sts's is untouched.
	h.waitNoConfigMap("ssm-endpoint")
	h.waitEvent(ie, v1alpha1.EventConnectionDetailsDeleted, `Deleted ConfigMap "ssm-endpoint"`)
	if cm, err := h.configMap("taken"); err != nil || controlledBy(cm, other) != nil {
		t.Fatalf("sts's ConfigMap: %v %v", err, cm.OwnerReferences)
	}

	// Field removed: no ConfigMap, no condition, Ready again.
	h.update(other, func() { other.Spec.ConnectionDetails = nil })
	h.waitNoConfigMap("taken")
	h.eventually(10*time.Second, "condition removed", func() error {
		h.get(other)
		if c := meta.FindStatusCondition(other.Status.Conditions, v1alpha1.ConditionConnectionDetailsReady); c != nil || !isReady(other) {
			return fmt.Errorf("conditions %v", other.Status.Conditions)
		}
		return nil
	})
}

// TestConnectionDetailsWaitForTheEndpoint: refused input makes no AWS call and
// writes no ConfigMap: it is written once the endpoint is available.
func TestConnectionDetailsWaitForTheEndpoint(t *testing.T) {
	h := newHarness(t)
	h.sim.ResetCounters()
	ie := withDetails(iface("ssm", "vpc-0000000000000dead", "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}), "ssm-endpoint")
	h.create(ie)
	h.waitCondition(ie, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonVPCNotFound, 15*time.Second)
	cond := h.waitCondition(ie, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionFalse, v1alpha1.ReasonEndpointNotAvailable, 20*time.Second)
	if !strings.Contains(cond.Message, `"ssm-endpoint"`) {
		t.Fatalf("message %q", cond.Message)
	}
	if c := meta.FindStatusCondition(ie.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Reason == v1alpha1.ReasonEndpointNotAvailable {
		t.Fatalf("Ready %v: the endpoint's own reason must stay", c)
	}
	if _, err := h.configMap("ssm-endpoint"); !apierrors.IsNotFound(err) {
		t.Fatalf("ConfigMap written before the endpoint exists: %v", err)
	}
	if m := h.mutatingCalls(); total(m) != 0 {
		t.Fatalf("refused input wrote to AWS: %v", m)
	}
	h.deleteAndWait(ie)
}

// TestManagerCachesOnlyItsOwnConfigMaps: the manager's cache holds the ConfigMaps
// of connection details, not the namespace's other ConfigMaps, so its memory does
// not grow with the cluster's ConfigMaps.
func TestManagerCachesOnlyItsOwnConfigMaps(t *testing.T) {
	h := newHarness(t, harnessOptions{noStart: true})
	for i := range 5 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: fmt.Sprintf("unrelated-%d", i)}, Data: map[string]string{"k": "v"}}
		if err := h.k.Create(h.ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	mgr, err := manager.New(ctx, env.Config, manager.Options{
		Region: "us-east-1", ClusterName: "test", AWSEndpointURL: h.url, SyncPeriod: syncPeriod,
		Metrics: manager.MetricsOptions{BindAddress: "0"}, HealthProbeBindAddress: "0",
		WatchNamespace: h.ns, SkipNameValidation: true,
		AWSLoadOptions: []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() { cancel(); <-done }()

	ie := withDetails(iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}), "ssm-endpoint")
	h.create(ie)
	h.waitReady(ie)
	h.eventually(10*time.Second, "the cache lists the connection details", func() error {
		var list corev1.ConfigMapList
		if err := mgr.GetCache().List(h.ctx, &list, client.InNamespace(h.ns)); err != nil {
			return err
		}
		var names []string
		for _, cm := range list.Items {
			names = append(names, cm.Name)
			if len(cm.ManagedFields) != 0 {
				return fmt.Errorf("%s cached with its managed fields", cm.Name)
			}
		}
		if len(names) != 1 || names[0] != "ssm-endpoint" {
			return fmt.Errorf("cache holds ConfigMaps %v, want only ssm-endpoint", names)
		}
		return nil
	})
	h.deleteAndWait(ie)
}

// TestConnectionDetailsWriteRefusedIsRetried: when the API server refuses to
// repair the ConfigMap (made immutable by hand, with other data), the object says
// so (ConnectionDetailsReady and Ready False, ConfigMapWriteFailed, Reconciling)
// and retries; deleting that ConfigMap lets the controller write it again.
func TestConnectionDetailsWriteRefusedIsRetried(t *testing.T) {
	h := newHarness(t)
	ie := withDetails(iface("ssm", h.fix.VPCID, "ssm", v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}}), "ssm-endpoint")
	h.create(ie)
	h.waitReady(ie)
	cm := h.waitConfigMap("ssm-endpoint", func(cm *corev1.ConfigMap) error { return controlledBy(cm, ie) })
	want := maps.Clone(cm.Data)
	immutable := true
	cm.Immutable = &immutable
	cm.Data["VPCE_URL"] = "https://example.com"
	if err := h.k.Update(h.ctx, cm); err != nil {
		t.Fatal(err)
	}
	cond := h.waitCondition(ie, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionFalse, v1alpha1.ReasonConfigMapWriteFailed, 20*time.Second)
	if !strings.Contains(cond.Message, `"ssm-endpoint"`) || !strings.Contains(cond.Message, "immutable") {
		t.Fatalf("message %q does not name the ConfigMap and the API server's answer", cond.Message)
	}
	h.waitCondition(ie, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonConfigMapWriteFailed, 20*time.Second)
	h.waitCondition(ie, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonConfigMapWriteFailed, 20*time.Second)
	if c := meta.FindStatusCondition(ie.Status.Conditions, v1alpha1.ConditionStalled); c != nil {
		t.Fatalf("Stalled %v: the controller retries on its own", c)
	}

	if err := h.k.Delete(h.ctx, cm); err != nil {
		t.Fatal(err)
	}
	h.waitConfigMap("ssm-endpoint", func(got *corev1.ConfigMap) error {
		if got.Immutable != nil && *got.Immutable {
			return fmt.Errorf("still the immutable one")
		}
		return wantData(want)(got)
	})
	h.waitReady(ie)
	h.waitCondition(ie, v1alpha1.ConditionConnectionDetailsReady, metav1.ConditionTrue, v1alpha1.ReasonConnectionDetailsWritten, 20*time.Second)
}
