package ec2sim

import "testing"

// TestFilterValuesMatchLiterallyOrAsWildcards: a value without * or ? matches
// only itself (its dots and brackets are not patterns); * and ? are EC2's
// wildcards, anchored at both ends.
func TestFilterValuesMatchLiterallyOrAsWildcards(t *testing.T) {
	for _, c := range []struct {
		pattern, val string
		want         bool
	}{
		{"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.s3", true},
		{"com.amazonaws.us-east-1.s3", "comXamazonaws.us-east-1.s3", false},
		{"vpce-1", "vpce-12", false},
		{"a(b)", "a(b)", true},
		{"com.amazonaws.*.s3", "com.amazonaws.us-east-1.s3", true},
		{"*.s3", "com.amazonaws.us-east-1.s3x", false},
		{"vpce-?", "vpce-1", true},
		{"vpce-?", "vpce-12", false},
	} {
		if got := anyMatch([]string{c.pattern}, []string{"other", c.val}); got != c.want {
			t.Errorf("%q against %q: %v, want %v", c.pattern, c.val, got, c.want)
		}
	}
}
