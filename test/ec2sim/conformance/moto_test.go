package conformance

import (
	"testing"
	"time"

	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// startMoto starts a fresh moto_server of the test's own (see testenv.StartMoto)
// and returns it as a conformance target.
func startMoto(t *testing.T) Target {
	t.Helper()
	base := testenv.StartMoto(t)
	return Target{
		Name:        "moto",
		Endpoint:    base,
		Reset:       ResetURL(base + "/moto-api/reset"),
		WaitTimeout: 2 * time.Second,
		IAM:         motoIAM{base},
	}
}
