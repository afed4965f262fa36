package endpoint

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awsclient"
	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// simClients serves one EC2 client for every region.
type simClients struct{ c awsclient.EC2 }

func (s simClients) ForRegion(string) awsclient.EC2 { return s.c }
func (s simClients) DefaultRegion() string          { return "us-east-1" }

// policyEngine is an engine against an emulator that evaluates
// config/iam/policy.json for every call.
func policyEngine(t *testing.T) (*Engine, *ec2.Client, *ec2sim.Server, ec2sim.Fixture) {
	t.Helper()
	doc, err := os.ReadFile("../../config/iam/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	sim := ec2sim.New(ec2sim.Options{StateDelay: 50 * time.Millisecond, DeletedLinger: 50 * time.Millisecond})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	fx := sim.LoadFixture()
	if err := sim.SetIAMPolicy(doc); err != nil {
		t.Fatal(err)
	}
	c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1, HTTPClient: awsclient.GuardRequestBodies(awshttp.NewBuildableClient())})
	return &Engine{Clients: simClients{c}, Cluster: "c1", PendingPoll: 10 * time.Millisecond}, c, sim, fx
}

// converge reconciles until the outcome is ready and done(out) holds.
func converge(t *testing.T, e *Engine, req *Request, done func(Outcome) bool) {
	t.Helper()
	for range 100 {
		out := e.Reconcile(context.Background(), *req)
		req.Prior.EndpointID, req.Prior.ManagedSecurityGroupID = out.EndpointID, out.ManagedGroupID
		req.Prior.EndpointIntent, req.Prior.GroupIntent = out.EndpointIntent, out.GroupIntent
		if out.Problem != nil {
			t.Fatalf("reconcile: %v", out.Problem)
		}
		if out.Ready && done(out) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("not converged")
}

// TestEngineUnderPublishedPolicy runs create, update and both deletion
// policies of an interface endpoint with a managed security group under
// config/iam/policy.json: no call may be refused.
func TestEngineUnderPublishedPolicy(t *testing.T) {
	t.Parallel()
	e, _, sim, fx := policyEngine(t)
	for _, pol := range []v1alpha1.DeletionPolicy{v1alpha1.DeletionPolicyDelete, v1alpha1.DeletionPolicyRetain} {
		req := Request{
			Owner: Owner{Cluster: "c1", Kind: "InterfaceEndpoint", Namespace: "ns", Name: "i-" + string(pol), UID: "uid-" + string(pol)},
			Spec: Spec{Type: Interface, VPCID: fx.VPCID, Service: "ssm", SubnetIDs: []string{fx.PrivateSubnets[0].SubnetID},
				PrivateDNS: true, Managed: &ManagedGroupSpec{}, Tags: map[string]string{"team": "a"}, DeletionPolicy: pol},
		}
		converge(t, e, &req, func(Outcome) bool { return true })
		moved := fx.PrivateSubnets[1].SubnetID
		req.Spec.SubnetIDs, req.Spec.Tags = []string{moved}, map[string]string{"env": "b"}
		req.Spec.Managed = &ManagedGroupSpec{Ports: []int32{443, 8443}}
		converge(t, e, &req, func(o Outcome) bool { return len(o.SubnetIDs) == 1 && o.SubnetIDs[0] == moved })
		for i := 0; ; i++ {
			out := e.Delete(context.Background(), req)
			if out.Problem != nil {
				t.Fatalf("delete (%s): %v", pol, out.Problem)
			}
			if out.Done {
				break
			}
			if i == 100 {
				t.Fatalf("delete (%s) not done", pol)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for action, outcomes := range sim.Counters() {
		if n := outcomes["UnauthorizedOperation"]; n > 0 {
			t.Errorf("%s refused %d times", action, n)
		}
	}
}

// withAdoption is config/iam/policy.json with the opt-in statement of
// config/iam/adoption-policy.json.
func withAdoption(t *testing.T) []byte {
	t.Helper()
	var all []json.RawMessage
	for _, f := range []string{"policy.json", "adoption-policy.json"} {
		raw, err := os.ReadFile("../../config/iam/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Statement []json.RawMessage }
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		all = append(all, doc.Statement...)
	}
	out, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": all})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAdoptionUnderPublishedPolicy adopts an untagged gateway endpoint whose
// route tables differ from the spec, under the published policy with its opt-in
// adoption statement.
func TestAdoptionUnderPublishedPolicy(t *testing.T) {
	t.Parallel()
	e, c, sim, fx := policyEngine(t)
	if err := sim.SetIAMPolicy(nil); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{VpcId: aws.String(fx.VPCID),
		ServiceName: aws.String("com.amazonaws.us-east-1.s3"), RouteTableIds: []string{fx.PrivateSubnets[0].RouteTableID}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	if err := sim.SetIAMPolicy(withAdoption(t)); err != nil {
		t.Fatal(err)
	}
	req := Request{
		Owner: Owner{Cluster: "c1", Kind: "GatewayEndpoint", Namespace: "ns", Name: "g", UID: "uid-g"},
		Spec: Spec{Type: Gateway, VPCID: fx.VPCID, Service: "s3", AdoptID: id,
			RouteTableIDs: []string{fx.PrivateSubnets[0].RouteTableID, fx.PrivateSubnets[1].RouteTableID}},
	}
	converge(t, e, &req, func(o Outcome) bool { return len(o.RouteTableIDs) == 2 })
}
