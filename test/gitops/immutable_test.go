package gitops_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// TestImmutableFieldChangesAsDocsGitopsSays checks the section "Changing an immutable
// field" of docs/gitops.md against a real apiserver: an update (what `kubectl replace`,
// hence Argo CD's Replace=true, sends) of spec.vpc is refused with a message that says
// to delete and recreate; an object under a new name, or the same name after a
// delete, is accepted.
func TestImmutableFieldChangesAsDocsGitopsSays(t *testing.T) {
	env := testenv.StartForTest(t)
	ctx := context.Background()
	const otherVPC = "vpc-0b1c2d3e4f5a67890"
	for kind, newObject := range kinds {
		t.Run(kind, func(t *testing.T) {
			obj := newObject("immutable-" + strings.ToLower(kind))
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}

			replaced := newObject(obj.GetName())
			setVPC(replaced, otherVPC)
			replaced.SetResourceVersion(obj.GetResourceVersion())
			err := env.Client.Update(ctx, replaced)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.vpc is immutable: delete the object and create it again") {
				t.Fatalf("replace with another spec.vpc: %v; want it refused with the advice to delete and recreate", err)
			}

			renamed := newObject(obj.GetName() + "-v2")
			setVPC(renamed, otherVPC)
			if err := env.Client.Create(ctx, renamed); err != nil {
				t.Fatalf("the same object under a new name: %v", err)
			}

			if err := env.Client.Delete(ctx, obj); err != nil {
				t.Fatal(err)
			}
			recreated := newObject(obj.GetName())
			setVPC(recreated, otherVPC)
			if err := env.Client.Create(ctx, recreated); err != nil {
				t.Fatalf("recreate under the same name after the delete: %v", err)
			}
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(recreated), recreated); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// setVPC points obj at the VPC with ID id.
func setVPC(obj client.Object, id string) {
	switch o := obj.(type) {
	case *v1alpha1.GatewayEndpoint:
		o.Spec.VPC = v1alpha1.VPCSelector{ID: id}
	case *v1alpha1.InterfaceEndpoint:
		o.Spec.VPC = v1alpha1.VPCSelector{ID: id}
	case *v1alpha1.InstanceConnectEndpoint:
		o.Spec.VPC = v1alpha1.VPCSelector{ID: id}
	}
}
