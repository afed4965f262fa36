package ec2sim_test

import (
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

func TestConcurrentRequestsAreSafe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ec2sim.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := e.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
				VpcId: aws.String(e.fx.VPCID), ServiceName: svc("sqs"), VpcEndpointType: "Interface",
				SubnetIds: e.privateSubnets(), PrivateDnsEnabled: aws.Bool(false),
			})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	enis := must(e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{}))
	ips := map[string]bool{}
	for _, n := range enis.NetworkInterfaces {
		if ips[*n.PrivateIpAddress] {
			t.Fatalf("duplicate IP %s", *n.PrivateIpAddress)
		}
		ips[*n.PrivateIpAddress] = true
	}
	if len(ips) != 60 {
		t.Fatalf("%d ENIs, want 60", len(ips))
	}
}
