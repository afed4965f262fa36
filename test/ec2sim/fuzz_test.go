package ec2sim

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// fuzzServer is a fresh emulator with the fixture and, with seed 1, the same
// IDs every time: a gateway endpoint vpce-…, an interface endpoint and a
// security group the corpus can name.
func fuzzServer(t *testing.T) *Server {
	s := New(Options{Seed: 1, StateDelay: time.Millisecond, DeletedLinger: time.Millisecond})
	fx := s.LoadFixture()
	for _, body := range []string{
		"Action=CreateVpcEndpoint&VpcId=" + fx.VPCID + "&ServiceName=com.amazonaws.us-east-1.s3&RouteTableId.1=" + fx.PrivateSubnets[0].RouteTableID,
		"Action=CreateSecurityGroup&GroupName=g&GroupDescription=d&VpcId=" + fx.VPCID + "&TagSpecification.1.ResourceType=security-group&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v",
		"Action=CreateVpcEndpoint&VpcEndpointType=Interface&VpcId=" + fx.VPCID + "&ServiceName=com.amazonaws.us-east-1.ssm&SubnetId.1=" + fx.PrivateSubnets[0].SubnetID,
	} {
		if rec := serveForm(s, "", body); rec.Code != http.StatusOK {
			t.Fatalf("setup %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	return s
}

func serveForm(s *Server, query, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.URL.RawQuery = query
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	return rec
}

// FuzzParseRequest sends arbitrary form bodies and query strings: neither the
// parameter decoding nor any handler may panic, and every answer is a
// well-formed EC2 XML document with status 200, 400 or 412 (no faults,
// throttling or authorizer are configured, so 403, 500 and 503 would be bugs).
// The same request then goes to a server evaluating config/iam/policy.json,
// which may also answer 403. Seeds: testdata/fuzz/FuzzParseRequest, one or more per action.
func FuzzParseRequest(f *testing.F) {
	policyDoc, err := os.ReadFile("../../config/iam/policy.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		if v, err := url.ParseQuery(body); err == nil {
			p := params{v}
			p.filters()
			p.tagList("Tag")
			p.tagSpecs("vpc-endpoint")
			p.list("VpcEndpointId")
			p.integer("MaxResults")
			p.boolean("DryRun")
		}
		checkAnswer(t, serveForm(fuzzServer(t), query, body), body, false)
		s := fuzzServer(t)
		if err := s.SetIAMPolicy(policyDoc); err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, serveForm(s, query, body), body, true)
	})
}

// checkAnswer checks the status and that the answer is a well-formed EC2
// document: <ActionResponse> for 200, <Response><Errors><Error><Code> otherwise.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, body string, authorizing bool) {
	t.Helper()
	switch {
	case rec.Code == http.StatusOK, rec.Code == http.StatusBadRequest, rec.Code == http.StatusPreconditionFailed:
	case rec.Code == http.StatusForbidden && authorizing:
	default:
		t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
	}
	root, code, err := parseAnswer(rec.Body.String())
	if err != nil {
		t.Fatalf("malformed XML answer to %q: %v\n%s", body, err, rec.Body)
	}
	if rec.Code == http.StatusOK && !strings.HasSuffix(root, "Response") || rec.Code != http.StatusOK && (root != "Response" || code == "") {
		t.Fatalf("answer %d to %q has root <%s> and code %q:\n%s", rec.Code, body, root, code, rec.Body)
	}
}

// parseAnswer checks that doc is one well-formed XML element and returns its
// name and, for an error document, the first Errors/Error/Code.
func parseAnswer(doc string) (root, code string, err error) {
	dec := xml.NewDecoder(strings.NewReader(doc))
	depth := 0
	var path []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if root == "" || depth != 0 {
				return "", "", errors.New("no complete root element")
			}
			return root, code, nil
		}
		if err != nil {
			return "", "", err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 && root != "" {
				return "", "", errors.New("more than one root element")
			}
			if depth == 0 {
				root = el.Name.Local
			}
			depth++
			path = append(path, el.Name.Local)
		case xml.EndElement:
			depth--
			path = path[:len(path)-1]
		case xml.CharData:
			if strings.Join(path, "/") == "Response/Errors/Error/Code" && code == "" {
				code = string(el)
			}
		}
	}
}
