package controllers_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpce-dev/vpce-controller/test/ec2sim"
)

// startMoto starts a moto_server on a free loopback port for one test; the test
// is skipped when moto_server is not installed.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Post(url+"/moto-api/reset", "application/json", nil)
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// buildFixture makes ec2sim's demo world through the EC2 API, for peers that have
// no fixture: a VPC with DNS attributes on, three private subnets in three AZs each
// with its own route table, and a public subnet, tagged like the fixture.
func buildFixture(t *testing.T, cl *ec2.Client) ec2sim.Fixture {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tag := func(id, k, v string) {
		_, err := cl.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}})
		must(err)
	}
	vpc, err := cl.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	must(err)
	f := ec2sim.Fixture{Region: "us-east-1", VPCID: aws.ToString(vpc.Vpc.VpcId), VPCCIDR: "10.0.0.0/16"}
	for _, attr := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: vpc.Vpc.VpcId, EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: vpc.Vpc.VpcId, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		_, err := cl.ModifyVpcAttribute(ctx, attr)
		must(err)
	}
	mainRT, err := cl.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{f.VPCID}}, {Name: aws.String("association.main"), Values: []string{"true"}}}})
	must(err)
	if len(mainRT.RouteTables) > 0 {
		f.MainRouteTableID = aws.ToString(mainRT.RouteTables[0].RouteTableId)
	}
	subnet := func(cidr, az, tier string) (string, string) {
		sn, err := cl.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(az)})
		must(err)
		rt, err := cl.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpc.Vpc.VpcId})
		must(err)
		_, err = cl.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sn.Subnet.SubnetId})
		must(err)
		for _, id := range []string{aws.ToString(sn.Subnet.SubnetId), aws.ToString(rt.RouteTable.RouteTableId)} {
			tag(id, "tier", tier)
		}
		return aws.ToString(sn.Subnet.SubnetId), aws.ToString(rt.RouteTable.RouteTableId)
	}
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		cidr := fmt.Sprintf("10.0.%d.0/24", i+1)
		sn, rt := subnet(cidr, az, "private")
		f.PrivateSubnets = append(f.PrivateSubnets, ec2sim.FixtureSubnet{SubnetID: sn, AvailabilityZone: az, CIDR: cidr, RouteTableID: rt})
	}
	f.PublicSubnetID, f.PublicRouteTableID = subnet("10.0.101.0/24", "us-east-1a", "public")
	return f
}
