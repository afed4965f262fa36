package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/e2e"
)

// operate performs the operations at their planned moments after start.
func (r *run) operate(ctx context.Context, ops []op, start time.Time) error {
	for _, o := range ops {
		if err := sleep(ctx, time.Until(start.Add(o.At))); err != nil {
			return err
		}
		t := r.objs[o.Obj]
		var err error
		switch o.Kind {
		case opCreate:
			err = r.create(ctx, o.Obj, t)
		case opEdit:
			err = r.edit(ctx, t)
		case opDelete:
			if t.created && !t.deleted {
				r.rep.Deletes++
			}
			err = r.delete(ctx, t)
		case opDrift:
			err = r.drift(ctx, t)
		}
		if err != nil {
			return fmt.Errorf("chaos: %s object %d: %w", o.Kind, o.Obj, err)
		}
	}
	return nil
}

// create creates object i with a random spec.
func (r *run) create(ctx context.Context, i int, t *tracked) error {
	t.obj = newObject(r.opsRng, i, r.nets)
	if err := r.cp.Client.Create(ctx, t.obj); err != nil {
		return err
	}
	t.created = true
	r.rep.Creates++
	if r.cfg.Verbose {
		r.logf("create %s %s (uid %s): %s", kindOf(t.obj), t.obj.GetName(), t.obj.GetUID(), summary(t.obj))
	}
	return nil
}

// edit changes one part of a live object's spec with a merge patch, which
// cannot conflict with the manager's status writes.
func (r *run) edit(ctx context.Context, t *tracked) error {
	if !t.created || t.deleted {
		return nil
	}
	cur := fresh(t.obj)
	if err := r.cp.Client.Get(ctx, client.ObjectKeyFromObject(t.obj), cur); err != nil {
		return err
	}
	base := cur.DeepCopyObject().(client.Object)
	t.edits++
	what := edit(r.opsRng, cur, t.net, t.edits)
	if err := r.cp.Client.Patch(ctx, cur, client.MergeFrom(base)); err != nil {
		return err
	}
	t.obj = cur
	r.rep.Edits++
	if r.cfg.Verbose {
		r.logf("edit %s %s: %s (generation %d): %s", kindOf(cur), cur.GetName(), what, cur.GetGeneration(), summary(cur))
	}
	return nil
}

// drift tags a live object's endpoint behind the controller's back (a tag the
// spec does not have, which the controller removes and reports as drift).
func (r *run) drift(ctx context.Context, t *tracked) error {
	if !t.created || t.deleted {
		return nil
	}
	cur := fresh(t.obj)
	if err := r.cp.Client.Get(ctx, client.ObjectKeyFromObject(t.obj), cur); err != nil {
		return err
	}
	id := statusOf(cur).EndpointID
	if id == "" {
		return nil // nothing to drift yet
	}
	t.drifted = true
	r.rep.DriftInjected++
	_, err := r.api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []ec2types.Tag{{Key: aws.String("chaos/drift"), Value: aws.String(fmt.Sprint(r.rep.DriftInjected))}}})
	if r.cfg.Verbose {
		r.logf("drift %s %s: tagged %s chaos/drift (%v)", kindOf(cur), cur.GetName(), id, err)
	}
	return nil // a refused or lost call may still have tagged it: the object counts as drifted
}

// delete deletes an object; the manager's finalizer keeps it until AWS is clean.
func (r *run) delete(ctx context.Context, t *tracked) error {
	if !t.created || t.deleted {
		return nil
	}
	if err := r.cp.Client.Delete(ctx, t.obj); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	t.deleted = true
	if r.cfg.Verbose {
		r.logf("delete %s %s", kindOf(t.obj), t.obj.GetName())
	}
	return nil
}

// deleteAll deletes every object still alive.
func (r *run) deleteAll(ctx context.Context) error {
	n := 0
	for _, t := range r.objs {
		if t.created && !t.deleted {
			if err := r.delete(ctx, t); err != nil {
				return fmt.Errorf("chaos: delete %s: %w", t.obj.GetName(), err)
			}
			n++
		}
	}
	r.logf("deleted the %d live objects; waiting up to %s for them to go", n, r.cfg.Converge)
	return nil
}

// converge waits up to cfg.Converge until every live object is Ready and every
// deleted one is gone, and returns the objects that are not, with their
// conditions.
func (r *run) converge(ctx context.Context) ([]string, error) {
	deadline := time.Now().Add(r.cfg.Converge)
	for {
		pending, err := r.unconverged(ctx)
		if err != nil || len(pending) == 0 || time.Now().After(deadline) {
			return pending, err
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// unconverged lists the objects not yet Ready, or not yet gone.
func (r *run) unconverged(ctx context.Context) ([]string, error) {
	var pending []string
	for _, t := range r.objs {
		if !t.created {
			continue
		}
		cur := fresh(t.obj)
		err := r.cp.Client.Get(ctx, client.ObjectKeyFromObject(t.obj), cur)
		switch {
		case apierrors.IsNotFound(err):
			if !t.deleted {
				pending = append(pending, fmt.Sprintf("%s: vanished without a delete", describe(t.obj)))
			}
		case err != nil:
			return nil, err
		case t.deleted:
			pending = append(pending, fmt.Sprintf("%s: still exists %s after its delete; finalizers %v; %s",
				describe(cur), time.Since(cur.GetDeletionTimestamp().Time).Round(time.Second), cur.GetFinalizers(), conditions(cur)))
		case !e2e.IsReady(cur):
			pending = append(pending, fmt.Sprintf("%s: not Ready (generation %d): %s", describe(cur), cur.GetGeneration(), conditions(cur)))
		default:
			t.obj = cur
		}
	}
	return pending, nil
}

// fresh returns an empty object of obj's kind, to read into: decoding into a
// used object would keep map entries the server no longer has.
func fresh(obj client.Object) client.Object {
	switch obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		return &v1alpha1.GatewayEndpoint{}
	case *v1alpha1.InstanceConnectEndpoint:
		return &v1alpha1.InstanceConnectEndpoint{}
	}
	return &v1alpha1.InterfaceEndpoint{}
}

// kindOf names an object's kind.
func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		return "GatewayEndpoint"
	case *v1alpha1.InstanceConnectEndpoint:
		return "InstanceConnectEndpoint"
	}
	return "InterfaceEndpoint"
}

// describe names an object for messages: kind, namespace/name and UID.
func describe(obj client.Object) string {
	return fmt.Sprintf("%s %s/%s (uid %s)", kindOf(obj), obj.GetNamespace(), obj.GetName(), obj.GetUID())
}

// conditions renders an object's conditions as "Type=Status(Reason: message)".
func conditions(obj client.Object) string {
	var conds []string
	for _, c := range statusOf(obj).Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	sort.Strings(conds)
	return strings.Join(conds, " ")
}

// statusOf returns the common status of an endpoint object.
func statusOf(obj client.Object) *v1alpha1.EndpointStatusCommon {
	switch o := obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		return &o.Status.EndpointStatusCommon
	case *v1alpha1.InterfaceEndpoint:
		return &o.Status.EndpointStatusCommon
	case *v1alpha1.InstanceConnectEndpoint:
		return &o.Status.EndpointStatusCommon
	}
	return &v1alpha1.EndpointStatusCommon{}
}

// specOf returns the common spec of an endpoint object.
func specOf(obj client.Object) *v1alpha1.EndpointSpecCommon {
	switch o := obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		return &o.Spec.EndpointSpecCommon
	case *v1alpha1.InterfaceEndpoint:
		return &o.Spec.EndpointSpecCommon
	}
	return &v1alpha1.EndpointSpecCommon{}
}
