package metricsauth

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// reader may get /metrics; stranger authenticates but may not.
var (
	reader = authenticationv1.UserInfo{Username: "system:serviceaccount:monitoring:prometheus", UID: "uid-1",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:monitoring"},
		Extra:  map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"prometheus-0"}}}
	stranger = authenticationv1.UserInfo{Username: "system:serviceaccount:default:stranger"}
)

// fakeTokens authenticates "reader-token" and "stranger-token"; any other token
// does not authenticate. A set err fails the review itself.
type fakeTokens struct {
	calls int
	err   error
}

func (f *fakeTokens) Create(_ context.Context, r *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	out := r.DeepCopy()
	switch r.Spec.Token {
	case "reader-token":
		out.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: reader}
	case "stranger-token":
		out.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: stranger}
	default:
		out.Status = authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}
	}
	return out, nil
}

// fakeAccess allows reader to get /metrics and nothing else, and keeps the last review.
type fakeAccess struct {
	calls int
	err   error
	last  authorizationv1.SubjectAccessReviewSpec
}

func (f *fakeAccess) Create(_ context.Context, r *authorizationv1.SubjectAccessReview, _ metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	f.calls++
	f.last = r.Spec
	if f.err != nil {
		return nil, f.err
	}
	out := r.DeepCopy()
	na := r.Spec.NonResourceAttributes
	out.Status.Allowed = r.Spec.User == reader.Username && na != nil && na.Verb == "get" && na.Path == "/metrics"
	if !out.Status.Allowed {
		out.Status.Reason = "no RBAC policy matched"
	}
	return out, nil
}

// request is one request through the guard and what must follow.
type request struct {
	wait time.Duration
	// failing, when set, says which reviews fail from this request on: "tokens",
	// "access" or "none".
	failing       string
	method, path  string // default GET /metrics
	authorization string // the Authorization header, if any
	wantCode      int
	// wantTokenCalls and wantAccessCalls are the reviews made so far.
	wantTokenCalls, wantAccessCalls int
}

func TestGuard(t *testing.T) {
	const reviewer, denied = "Bearer reader-token", "Bearer stranger-token"
	for _, tc := range []struct {
		name     string
		requests []request
	}{
		{
			name: "no token, or not a bearer token: 401 without a review",
			requests: []request{
				{wantCode: 401},
				{authorization: "Basic dXNlcjpwYXNz", wantCode: 401},
				{authorization: "Bearer", wantCode: 401},
				{authorization: "Bearer a b", wantCode: 401},
			},
		},
		{
			name: "a token that does not authenticate: 401, and no SubjectAccessReview",
			requests: []request{
				{authorization: "Bearer not-a-token", wantCode: 401, wantTokenCalls: 1},
				{authorization: "Bearer not-a-token", wantCode: 401, wantTokenCalls: 1},
				{wait: DefaultRefusedTTL, authorization: "Bearer not-a-token", wantCode: 401, wantTokenCalls: 2},
			},
		},
		{
			name: "an identity without the permission: 403, cached for the refused TTL",
			requests: []request{
				{authorization: denied, wantCode: 403, wantTokenCalls: 1, wantAccessCalls: 1},
				{wait: DefaultRefusedTTL - time.Second, authorization: denied, wantCode: 403, wantTokenCalls: 1, wantAccessCalls: 1},
				{wait: time.Second, authorization: denied, wantCode: 403, wantTokenCalls: 2, wantAccessCalls: 2},
			},
		},
		{
			name: "the metrics reader: 200, one review pair per allowed TTL however often it scrapes",
			requests: []request{
				{authorization: reviewer, wantCode: 200, wantTokenCalls: 1, wantAccessCalls: 1},
				{wait: 15 * time.Second, authorization: reviewer, wantCode: 200, wantTokenCalls: 1, wantAccessCalls: 1},
				{wait: 15 * time.Second, authorization: "bearer  reader-token ", wantCode: 200, wantTokenCalls: 1, wantAccessCalls: 1},
				{wait: 30 * time.Second, authorization: reviewer, wantCode: 200, wantTokenCalls: 2, wantAccessCalls: 2},
			},
		},
		{
			name: "the reader's permission is for get on /metrics only",
			requests: []request{
				{authorization: reviewer, path: "/debug/pprof/", wantCode: 403, wantTokenCalls: 1, wantAccessCalls: 1},
				{authorization: reviewer, method: http.MethodPost, wantCode: 403, wantTokenCalls: 2, wantAccessCalls: 2},
				{authorization: reviewer, wantCode: 200, wantTokenCalls: 3, wantAccessCalls: 3},
			},
		},
		{
			name: "failed reviews: 500, never cached, so the next scrape after recovery passes",
			requests: []request{
				{failing: "tokens", authorization: reviewer, wantCode: 500, wantTokenCalls: 1},
				{authorization: reviewer, wantCode: 500, wantTokenCalls: 2},
				{authorization: "Bearer not-a-token", wantCode: 500, wantTokenCalls: 3},
				{failing: "access", authorization: reviewer, wantCode: 500, wantTokenCalls: 4, wantAccessCalls: 1},
				{authorization: reviewer, wantCode: 500, wantTokenCalls: 5, wantAccessCalls: 2},
				{failing: "none", authorization: reviewer, wantCode: 200, wantTokenCalls: 6, wantAccessCalls: 3},
				{authorization: reviewer, wantCode: 200, wantTokenCalls: 6, wantAccessCalls: 3},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			tokens, access := &fakeTokens{}, &fakeAccess{}
			metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "vpce_endpoints 1\n") })
			h := New(tokens, access, Options{Now: clock.now}).Wrap(logr.Discard(), metrics)
			for i, r := range tc.requests {
				clock.advance(r.wait)
				if r.failing != "" {
					tokens.err, access.err = nil, nil
					switch r.failing {
					case "tokens":
						tokens.err = errors.New("connection refused")
					case "access":
						access.err = errors.New("connection refused")
					}
				}
				req := httptest.NewRequest(cmp.Or(r.method, http.MethodGet), cmp.Or(r.path, "/metrics"), nil)
				if r.authorization != "" {
					req.Header.Set("Authorization", r.authorization)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != r.wantCode {
					t.Errorf("request %d: %d %q, want %d", i, rec.Code, rec.Body.String(), r.wantCode)
				}
				if served := rec.Body.String() == "vpce_endpoints 1\n"; served != (r.wantCode == 200) {
					t.Errorf("request %d: the metrics were served: %v, want %v", i, served, r.wantCode == 200)
				}
				if r.wantCode == 401 && rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("request %d: a 401 without WWW-Authenticate", i)
				}
				if tokens.calls != r.wantTokenCalls || access.calls != r.wantAccessCalls {
					t.Errorf("request %d: %d TokenReviews and %d SubjectAccessReviews so far, want %d and %d",
						i, tokens.calls, access.calls, r.wantTokenCalls, r.wantAccessCalls)
				}
			}
		})
	}
}

// TestGuardReviewsTheWholeIdentity checks the SubjectAccessReview carries all the
// TokenReview said of the user, as RBAC may grant by group, and the request's
// non-resource URL and verb.
func TestGuardReviewsTheWholeIdentity(t *testing.T) {
	tokens, access := &fakeTokens{}, &fakeAccess{}
	h := New(tokens, access, Options{}).Wrap(logr.Discard(), http.NotFoundHandler())
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Authorization", "Bearer reader-token")
	h.ServeHTTP(httptest.NewRecorder(), req)
	want := authorizationv1.SubjectAccessReviewSpec{
		User: reader.Username, UID: reader.UID, Groups: reader.Groups,
		Extra:                 map[string]authorizationv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"prometheus-0"}},
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"},
	}
	if !reflect.DeepEqual(access.last, want) {
		t.Errorf("SubjectAccessReview spec\n got %+v\nwant %+v", access.last, want)
	}
}
