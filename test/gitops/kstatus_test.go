// Package gitops_test checks what GitOps tools make of GatewayEndpoints and
// InterfaceEndpoints: it builds objects in each phase exactly as the controller
// writes them and asserts what sigs.k8s.io/cli-utils/pkg/kstatus/status computes for
// them (Flux, `kubectl wait`) and what the Argo CD health check of docs/gitops.md,
// run with gopher-lua as Argo CD runs it, reports; and it checks that section's
// account of changing an immutable field against a real apiserver.
package gitops_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// common returns the status fields both kinds share.
func common(obj client.Object) *v1alpha1.EndpointStatusCommon {
	switch o := obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		return &o.Status.EndpointStatusCommon
	case *v1alpha1.InterfaceEndpoint:
		return &o.Status.EndpointStatusCommon
	case *v1alpha1.InstanceConnectEndpoint:
		return &o.Status.EndpointStatusCommon
	}
	panic(fmt.Sprintf("not an endpoint: %T", obj))
}

// setTags changes the spec (so the generation grows).
func setTags(obj client.Object, tags map[string]v1alpha1.TagValue) {
	switch o := obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		o.Spec.Tags = tags
	case *v1alpha1.InterfaceEndpoint:
		o.Spec.Tags = tags
	case *v1alpha1.InstanceConnectEndpoint:
		o.Spec.Tags = tags
	}
}

// kinds builds a valid new object of each kind.
var kinds = map[string]func(name string) client.Object{
	"GatewayEndpoint": func(name string) client.Object {
		o := &v1alpha1.GatewayEndpoint{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "GatewayEndpoint"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: v1alpha1.GatewayEndpointSpec{
				EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: "vpc-0a1b2c3d4e5f67890"}},
				Service:            "s3",
				RouteTables:        v1alpha1.RouteTableSelector{IDs: []string{"rtb-0a1b2c3d4e5f67890"}},
			},
		}
		return o
	},
	"InterfaceEndpoint": func(name string) client.Object {
		o := &v1alpha1.InterfaceEndpoint{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "InterfaceEndpoint"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: v1alpha1.InterfaceEndpointSpec{
				EndpointSpecCommon: v1alpha1.EndpointSpecCommon{VPC: v1alpha1.VPCSelector{ID: "vpc-0a1b2c3d4e5f67890"}},
				Service:            "ssm",
				Subnets:            v1alpha1.SubnetSelector{Tags: map[string]string{"tier": "private"}},
			},
		}
		return o
	},
	"InstanceConnectEndpoint": func(name string) client.Object {
		return &v1alpha1.InstanceConnectEndpoint{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "InstanceConnectEndpoint"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: v1alpha1.InstanceConnectEndpointSpec{
				VPC:    v1alpha1.VPCSelector{ID: "vpc-0a1b2c3d4e5f67890"},
				Subnet: v1alpha1.InstanceConnectSubnet{Tags: map[string]string{"tier": "private"}},
			},
		}
	},
}

// cond is one condition the controller writes, at the object's generation.
type cond struct {
	typ, reason, message string
	status               metav1.ConditionStatus
}

// phase is an object state as controllers/reconciler.go writes it: Ready and Synced
// always; Reconciling while the controller keeps working; Stalled when only the
// user can help.
type phase struct {
	name string
	// generation is metadata.generation; observed is status.observedGeneration.
	generation, observed int64
	deleting             bool
	state                string
	conditions           []cond
	// want are the acceptable kstatus results.
	want []status.Status
	// argo is the health the Argo CD check of docs/gitops.md must report.
	argo string
}

func ready(s metav1.ConditionStatus, reason, msg string) cond {
	return cond{v1alpha1.ConditionReady, reason, msg, s}
}
func synced(s metav1.ConditionStatus, reason, msg string) cond {
	return cond{v1alpha1.ConditionSynced, reason, msg, s}
}
func reconciling(reason, msg string) cond {
	return cond{v1alpha1.ConditionReconciling, reason, msg, metav1.ConditionTrue}
}
func stalled(reason, msg string) cond {
	return cond{v1alpha1.ConditionStalled, reason, msg, metav1.ConditionTrue}
}

var (
	applied  = synced(metav1.ConditionTrue, v1alpha1.ReasonReconciled, "the spec is applied to AWS")
	notReady = func(msg string) cond {
		return ready(metav1.ConditionFalse, v1alpha1.ReasonNotSynced, "the spec is not applied: "+msg)
	}
)

const vpceID = "vpce-0a1b2c3d4e5f67890"

func connectionDetails(s metav1.ConditionStatus, reason, msg string) cond {
	return cond{v1alpha1.ConditionConnectionDetailsReady, reason, msg, s}
}

const (
	notOwned    = `ConfigMap "taken" already exists and this object does not control it (no controller); the controller does not overwrite it: set spec.connectionDetails.configMapName to another name, or delete that ConfigMap`
	writeFailed = `writing ConfigMap "ssm-endpoint" of spec.connectionDetails: configmaps "ssm-endpoint" is forbidden: unable to create new content in namespace team-a because it is being terminated; retrying`
)

var phases = []phase{
	{
		name: "pending", generation: 1, observed: 1, state: "pending",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonPending, "endpoint "+vpceID+" is pending"), applied,
			reconciling(v1alpha1.ReasonPending, "endpoint "+vpceID+" is pending"),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "waiting for AWS to list a new endpoint", generation: 1, observed: 1,
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonPending, "waiting for AWS to list endpoint "+vpceID), applied,
			reconciling(v1alpha1.ReasonPending, "waiting for AWS to list endpoint "+vpceID),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "pending acceptance by the service owner", generation: 1, observed: 1, state: "pendingAcceptance",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonPendingAcceptance, "endpoint "+vpceID+" waits for the owner of com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f67890 to accept the connection"), applied,
			reconciling(v1alpha1.ReasonPendingAcceptance, "endpoint "+vpceID+" waits for the owner to accept the connection"),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "available", generation: 1, observed: 1, state: "available",
		conditions: []cond{ready(metav1.ConditionTrue, v1alpha1.ReasonAvailable, "endpoint "+vpceID+" is available"), applied},
		want:       []status.Status{status.CurrentStatus}, argo: "Healthy",
	},
	{
		name: "available again after a drift repair", generation: 3, observed: 3, state: "available",
		conditions: []cond{ready(metav1.ConditionTrue, v1alpha1.ReasonAvailable, "endpoint "+vpceID+" is available"), applied},
		want:       []status.Status{status.CurrentStatus}, argo: "Healthy",
	},
	{
		name: "modifying after a spec change", generation: 2, observed: 2, state: "pending",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonPending, "endpoint "+vpceID+" is pending"), applied,
			reconciling(v1alpha1.ReasonPending, "endpoint "+vpceID+" is pending"),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "spec changed, not yet observed (was available)", generation: 2, observed: 1, state: "available",
		conditions: []cond{ready(metav1.ConditionTrue, v1alpha1.ReasonAvailable, "endpoint "+vpceID+" is available"), applied},
		want:       []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "spec fixed, not yet observed (was stalled)", generation: 2, observed: 1,
		conditions: []cond{
			notReady("spec.vpc.id: VPC vpc-0a1b2c3d4e5f67890 does not exist in us-east-1; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC"),
			synced(metav1.ConditionFalse, v1alpha1.ReasonVPCNotFound, "spec.vpc.id: VPC vpc-0a1b2c3d4e5f67890 does not exist in us-east-1; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC"),
			stalled(v1alpha1.ReasonVPCNotFound, "spec.vpc.id: VPC vpc-0a1b2c3d4e5f67890 does not exist in us-east-1; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC"),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "throttled, retrying", generation: 1, observed: 1,
		conditions: []cond{
			notReady("reconciling: Request limit exceeded."),
			synced(metav1.ConditionFalse, v1alpha1.ReasonThrottled, "reconciling: Request limit exceeded."),
			reconciling(v1alpha1.ReasonNotSynced, "the spec is not applied: reconciling: Request limit exceeded."),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "AWS unavailable, retrying", generation: 1, observed: 1,
		conditions: []cond{
			notReady("reconciling: We encountered an internal error."),
			synced(metav1.ConditionFalse, v1alpha1.ReasonAWSUnavailable, "reconciling: We encountered an internal error."),
			reconciling(v1alpha1.ReasonNotSynced, "the spec is not applied: reconciling: We encountered an internal error."),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "bad input: VPC not found", generation: 1, observed: 1,
		conditions: []cond{
			notReady("spec.vpc.id: VPC vpc-0a1b2c3d4e5f67890 does not exist in us-east-1; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC"),
			synced(metav1.ConditionFalse, v1alpha1.ReasonVPCNotFound, "spec.vpc.id: VPC vpc-0a1b2c3d4e5f67890 does not exist in us-east-1; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC"),
			stalled(v1alpha1.ReasonVPCNotFound, "spec.vpc.id: VPC vpc-0a1b2c3d4e5f67890 does not exist in us-east-1; check spec.region (or the manager's --region), or, as spec.vpc is immutable, delete this object and create it with an existing VPC"),
		},
		want: []status.Status{status.FailedStatus}, argo: "Degraded",
	},
	{
		name: "AWS denies the call", generation: 1, observed: 1,
		conditions: []cond{
			notReady("reconciling: You are not authorized to perform this operation."),
			synced(metav1.ConditionFalse, "UnauthorizedOperation", "reconciling: You are not authorized to perform this operation."),
			stalled("UnauthorizedOperation", "reconciling: You are not authorized to perform this operation."),
		},
		want: []status.Status{status.FailedStatus}, argo: "Degraded",
	},
	{
		name: "rejected by the service owner", generation: 1, observed: 1, state: "rejected",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonRejected, "endpoint "+vpceID+" is rejected"),
			synced(metav1.ConditionFalse, v1alpha1.ReasonRejected, "endpoint "+vpceID+" is rejected; delete this object (or its endpoint in AWS) to try again"),
			stalled(v1alpha1.ReasonRejected, "endpoint "+vpceID+" is rejected; delete this object (or its endpoint in AWS) to try again"),
		},
		want: []status.Status{status.FailedStatus}, argo: "Degraded",
	},
	{
		name: "failed in AWS", generation: 1, observed: 1, state: "failed",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonFailed, "endpoint "+vpceID+" is failed: insufficient capacity"),
			synced(metav1.ConditionFalse, v1alpha1.ReasonFailed, "endpoint "+vpceID+" is failed: insufficient capacity; delete this object (or its endpoint in AWS) to try again"),
			stalled(v1alpha1.ReasonFailed, "endpoint "+vpceID+" is failed: insufficient capacity; delete this object (or its endpoint in AWS) to try again"),
		},
		want: []status.Status{status.FailedStatus}, argo: "Degraded",
	},
	{
		name: "available, connection details written", generation: 1, observed: 1, state: "available",
		conditions: []cond{
			ready(metav1.ConditionTrue, v1alpha1.ReasonAvailable, "endpoint "+vpceID+" is available"), applied,
			connectionDetails(metav1.ConditionTrue, v1alpha1.ReasonConnectionDetailsWritten, `ConfigMap "ssm-endpoint" holds the endpoint's connection details (17 keys)`),
		},
		want: []status.Status{status.CurrentStatus}, argo: "Healthy",
	},
	{
		name: "available, connection details refused: a foreign ConfigMap", generation: 1, observed: 1, state: "available",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonConfigMapNotOwned, notOwned), applied,
			connectionDetails(metav1.ConditionFalse, v1alpha1.ReasonConfigMapNotOwned, notOwned),
			stalled(v1alpha1.ReasonConfigMapNotOwned, notOwned),
		},
		want: []status.Status{status.FailedStatus}, argo: "Degraded",
	},
	{
		name: "available, connection details not written yet, retrying", generation: 1, observed: 1, state: "available",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonConfigMapWriteFailed, writeFailed), applied,
			connectionDetails(metav1.ConditionFalse, v1alpha1.ReasonConfigMapWriteFailed, writeFailed),
			reconciling(v1alpha1.ReasonConfigMapWriteFailed, writeFailed),
		},
		want: []status.Status{status.InProgressStatus}, argo: "Progressing",
	},
	{
		name: "deleting", generation: 1, observed: 1, deleting: true, state: "deleting",
		conditions: []cond{
			ready(metav1.ConditionFalse, v1alpha1.ReasonDeleting, "the object is being deleted"),
			synced(metav1.ConditionFalse, v1alpha1.ReasonDeletePending, "deleting the endpoint in AWS"),
			reconciling(v1alpha1.ReasonDeleting, "the object is being deleted"),
		},
		want: []status.Status{status.TerminatingStatus, status.InProgressStatus}, argo: "Progressing",
	},
}

// build returns an object of kind in phase p, its status written the way the
// controller writes it.
func build(kind string, p phase) client.Object {
	obj := kinds[kind]("ep")
	obj.SetGeneration(p.generation)
	obj.SetUID("0b6a8f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
	obj.SetFinalizers([]string{v1alpha1.Finalizer})
	if p.deleting {
		now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		obj.SetDeletionTimestamp(&now)
	}
	writeStatus(obj, p)
	return obj
}

// writeStatus fills the status of obj for phase p.
func writeStatus(obj client.Object, p phase) {
	c := common(obj)
	c.ObservedGeneration = p.observed
	c.State = p.state
	c.Region = "us-east-1"
	c.VPCID = "vpc-0a1b2c3d4e5f67890"
	if p.observed > 0 {
		c.EndpointID = vpceID
	}
	for _, cd := range p.conditions {
		meta.SetStatusCondition(&c.Conditions, metav1.Condition{
			Type: cd.typ, Status: cd.status, Reason: cd.reason, Message: cd.message, ObservedGeneration: p.observed,
		})
	}
}

// compute converts obj to unstructured, as Flux and Argo CD see it, and computes its kstatus.
func compute(t *testing.T, obj runtime.Object) *status.Result {
	t.Helper()
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: content})
	if err != nil {
		t.Fatalf("kstatus Compute: %v", err)
	}
	return res
}

func assertStatus(t *testing.T, res *status.Result, want []status.Status) {
	t.Helper()
	for _, w := range want {
		if res.Status == w {
			return
		}
	}
	t.Errorf("kstatus = %s (%s), want one of %v", res.Status, res.Message, want)
}

func TestKstatusOfEachPhase(t *testing.T) {
	for kind := range kinds {
		for _, p := range phases {
			t.Run(kind+"/"+p.name, func(t *testing.T) {
				obj := build(kind, p)
				res := compute(t, obj)
				assertStatus(t, res, p.want)
				// A Failed result carries the reason and message the user must act on.
				if res.Status == status.FailedStatus {
					stalledCond := meta.FindStatusCondition(common(obj).Conditions, v1alpha1.ConditionStalled)
					if res.Message != stalledCond.Message {
						t.Errorf("Failed message = %q, want the Stalled message %q", res.Message, stalledCond.Message)
					}
				}
			})
		}
	}
}

// TestPhasesFollowTheConditionContract keeps the table honest: the Reconciling and
// Stalled conditions are mutually exclusive and never stay on a Ready object.
func TestPhasesFollowTheConditionContract(t *testing.T) {
	for _, p := range phases {
		obj := build("GatewayEndpoint", p)
		conds := common(obj).Conditions
		isReady := meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReady)
		isReconciling := meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReconciling)
		isStalled := meta.IsStatusConditionTrue(conds, v1alpha1.ConditionStalled)
		if meta.FindStatusCondition(conds, v1alpha1.ConditionReady) == nil || meta.FindStatusCondition(conds, v1alpha1.ConditionSynced) == nil {
			t.Errorf("%s: Ready and Synced are always written", p.name)
		}
		if isReconciling && isStalled {
			t.Errorf("%s: Reconciling and Stalled both True", p.name)
		}
		if isReady && (isReconciling || isStalled) {
			t.Errorf("%s: Ready=True with Reconciling or Stalled", p.name)
		}
		if !isReady && !isReconciling && !isStalled {
			t.Errorf("%s: not Ready, yet neither Reconciling nor Stalled: kstatus would call it Current only through the Ready fallback", p.name)
		}
	}
}

// TestKstatusThroughTheAPIServer writes each phase through a real apiserver (so
// the conditions pass the CRD schema and the status subresource) and computes the
// kstatus of what a GitOps tool reads back; it also checks a new object, before the
// controller has written any status, is not reported Current.
func TestKstatusThroughTheAPIServer(t *testing.T) {
	env := testenv.StartForTest(t)
	ctx := context.Background()
	read := func(t *testing.T, obj client.Object) *status.Result {
		t.Helper()
		gvk, err := apiutil.GVKForObject(obj, env.Scheme)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), u); err != nil {
			t.Fatal(err)
		}
		res, err := status.Compute(u)
		if err != nil {
			t.Fatalf("kstatus Compute: %v", err)
		}
		return res
	}

	for kind, newObject := range kinds {
		t.Run(kind+"/new object before the first reconcile", func(t *testing.T) {
			obj := newObject("fresh")
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			if res := read(t, obj); res.Status != status.InProgressStatus {
				t.Errorf("kstatus of a new %s = %s (%s), want InProgress: Flux and `kubectl wait` would call it healthy before the "+
					"controller saw it. Default the status so the apiserver reports observedGeneration 0 < generation 1: "+
					"`// +kubebuilder:default={}` on the Status field and `// +kubebuilder:default=0` on EndpointStatusCommon.ObservedGeneration",
					kind, res.Status, res.Message)
			}
		})
		for i, p := range phases {
			t.Run(kind+"/"+p.name, func(t *testing.T) {
				obj := newObject(fmt.Sprintf("phase-%d", i))
				controllerutil.AddFinalizer(obj, v1alpha1.Finalizer)
				if err := env.Client.Create(ctx, obj); err != nil {
					t.Fatal(err)
				}
				// Bump the generation with spec changes to the phase's generation.
				for obj.GetGeneration() < p.generation {
					setTags(obj, map[string]v1alpha1.TagValue{"rev": v1alpha1.TagValue(fmt.Sprint(obj.GetGeneration()))})
					if err := env.Client.Update(ctx, obj); err != nil {
						t.Fatal(err)
					}
				}
				if obj.GetGeneration() != p.generation {
					t.Fatalf("generation %d, want %d", obj.GetGeneration(), p.generation)
				}
				writeStatus(obj, p)
				if err := env.Client.Status().Update(ctx, obj); err != nil {
					t.Fatalf("the apiserver refused the status of phase %q: %v", p.name, err)
				}
				if p.deleting {
					if err := env.Client.Delete(ctx, obj); err != nil {
						t.Fatal(err)
					}
				}
				assertStatus(t, read(t, obj), p.want)
				if p.deleting {
					controllerutil.RemoveFinalizer(obj, v1alpha1.Finalizer)
					if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
						t.Fatal(err)
					}
					controllerutil.RemoveFinalizer(obj, v1alpha1.Finalizer)
					if err := env.Client.Update(ctx, obj); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}
