package ec2cache

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// TestScanItemsFindsTheMembersAndTheirOwnIDs: members are found at the set's
// level only, each with its own ID (not one of a nested element), and a body
// of another shape is left alone.
func TestScanItemsFindsTheMembersAndTheirOwnIDs(t *testing.T) {
	const groups = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><securityGroupInfo>` +
		`<item><ownerId>1</ownerId><ipPermissions><item><groups><item><groupId>sg-nested</groupId></item></groups></item></ipPermissions><groupId>sg-1</groupId><tagSet/></item>` +
		`<item><groupId>sg-2</groupId><groupDescription>a &lt;item&gt; b</groupDescription></item>` +
		`</securityGroupInfo><nextToken>t</nextToken></DescribeSecurityGroupsResponse>`
	for _, tc := range []struct {
		name, body, set, id string
		wantIDs             []string
		wantOK              bool
	}{
		{"nested group IDs are not the member's", groups, "securityGroupInfo", "groupId", []string{"sg-1", "sg-2"}, true},
		{"an empty set", `<R><vpcEndpointSet/><nextToken/></R>`, "vpcEndpointSet", "vpcEndpointId", nil, true},
		{"no set at all", `<R><requestId>x</requestId></R>`, "vpcEndpointSet", "vpcEndpointId", nil, true},
		{"a member without an ID", `<R><vpcEndpointSet><item><state>x</state></item></vpcEndpointSet></R>`, "vpcEndpointSet", "vpcEndpointId", []string{""}, true},
		{"cut short", `<R><vpcEndpointSet><item><vpcEndpointId>vpce-1</vpcEndpointId>`, "vpcEndpointSet", "vpcEndpointId", nil, false},
		{"an unclosed tag", `<R><vpcEndpointSet><item`, "vpcEndpointSet", "vpcEndpointId", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, ok := scanItems([]byte(tc.body), tc.set, tc.id)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			var ids []string
			for _, it := range items {
				ids = append(ids, it.id)
				if m := tc.body[it.start:it.end]; m[:6] != "<item>" || m[len(m)-7:] != "</item>" {
					t.Fatalf("member bounds %q", m)
				}
			}
			if !reflect.DeepEqual(ids, tc.wantIDs) {
				t.Fatalf("IDs %q, want %q", ids, tc.wantIDs)
			}
		})
	}
}

// TestRewriteCutsOnlyTheMembersHeldUnchanged: a member whose bytes the store
// holds is cut out, one whose bytes differ is kept, and the rest of the body
// (next token) is kept as sent.
func TestRewriteCutsOnlyTheMembersHeldUnchanged(t *testing.T) {
	a := `<item><vpcEndpointId>vpce-a</vpcEndpointId><state>available</state></item>`
	b := `<item><vpcEndpointId>vpce-b</vpcEndpointId><state>pending</state></item>`
	c := `<item><vpcEndpointId>vpce-c</vpcEndpointId><state>available</state></item>`
	body := `<R><vpcEndpointSet>` + a + b + c + `</vpcEndpointSet><nextToken>n</nextToken></R>`
	held := map[string]uint64{"vpce-a": rawHash([]byte(a)), "vpce-b": rawHash([]byte(`<item><vpcEndpointId>vpce-b</vpcEndpointId><state>available</state></item>`))}
	u := &unchangedItems{rawSet: endpointSet, known: func(id string) uint64 { return held[id] }}
	got := string(u.rewrite([]byte(body)))
	if want := `<R><vpcEndpointSet>` + b + c + `</vpcEndpointSet><nextToken>n</nextToken></R>`; got != want {
		t.Fatalf("rewritten\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(u.skipped, []string{"vpce-a"}) || len(u.hashes) != 3 || u.hashes["vpce-c"] != rawHash([]byte(c)) {
		t.Fatalf("skipped %v, hashes %v", u.skipped, u.hashes)
	}
}

// TestReadsSharingTheDecodeBufferEachGetTheirOwnAnswer: reads of one account
// and region share one body buffer, handed from one decode to the next; each
// still decodes exactly its own response, whatever their sizes.
func TestReadsSharingTheDecodeBufferEachGetTheirOwnAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id := r.Form.Get("VpcEndpointId.1")
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "vpce-"))
		var b strings.Builder
		b.WriteString(`<DescribeVpcEndpointsResponse><requestId>r</requestId><vpcEndpointSet>`)
		for i := 0; i < n%7*50+1; i++ { // answers of different sizes
			fmt.Fprintf(&b, `<item><vpcEndpointId>%s</vpcEndpointId><policyDocument>%s</policyDocument></item>`, id, strings.Repeat("x", 1000))
		}
		b.WriteString(`</vpcEndpointSet></DescribeVpcEndpointsResponse>`)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, b.String())
	}))
	defer srv.Close()
	cl := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	slot, buf := make(chan struct{}, 1), []byte(nil)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("vpce-%d", i)
			u := &unchangedItems{rawSet: endpointSet, slot: slot, buf: &buf}
			out, err := cl.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}, u.option)
			if err == nil && len(out.VpcEndpoints) != i%7*50+1 {
				err = fmt.Errorf("%s: %d members, want %d", id, len(out.VpcEndpoints), i%7*50+1)
			}
			for _, e := range out.VpcEndpoints {
				if err == nil && aws.ToString(e.VpcEndpointId) != id {
					err = fmt.Errorf("%s answered with a member of %s", id, aws.ToString(e.VpcEndpointId))
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
