package v1alpha1_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// env is the control plane every test of this package sends manifests to.
var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop control plane:", err)
	}
	os.Exit(code)
}
