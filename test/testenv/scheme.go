package testenv

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	networkingv1alpha1 "github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// NewScheme returns a scheme with client-go's built-in types and the
// networking.vpce.dev/v1alpha1 types registered.
func NewScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := networkingv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}
