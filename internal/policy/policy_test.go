package policy

import (
	"strings"
	"testing"
)

func TestEqual(t *testing.T) {
	base := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"}]}`
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", base, base, true},
		{"whitespace and key order", base, `{
		  "Statement": [
		    {"Resource": "arn:aws:s3:::b/*", "Action": ["s3:ListBucket", "s3:GetObject"], "Principal": "*", "Effect": "Allow"},
		    {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:DeleteObject"], "Resource": ["*"]}
		  ],
		  "Version": "2012-10-17"}`, true},
		{"statement order", base, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*"}]}`, true},
		{"action case", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:getobject","Resource":"*"}}`, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, true},
		{"default vs omitted", "", DefaultDocument, true},
		{"default reformatted vs omitted", `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*","Principal":{"AWS":["*"]}}],"Version":"2008-10-17"}`, "", true},
		{"url-encoded", "%7B%22Version%22%3A%222008-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22%2A%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D", "", true},
		{"different action", base, strings.Replace(base, "s3:DeleteObject", "s3:PutObject", 1), false},
		{"different effect", base, strings.Replace(base, `"Deny"`, `"Allow"`, 1), false},
		{"custom vs default", base, "", false},
		{"condition values as set", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-2","o-1"]}}}]}`, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-1","o-2"]}}}]}`, true},
		{"condition value differs", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-3"}}}]}`, false},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			na, _ := Normalize(c.a)
			nb, _ := Normalize(c.b)
			t.Errorf("%s: Equal = %v, want %v\n a=%s\n b=%s", c.name, got, c.want, na, nb)
		}
	}
}

func TestCompactRejects(t *testing.T) {
	bad := map[string]string{
		"not json":     `{"Statement":`,
		"not object":   `["a"]`,
		"no statement": `{"Version":"2012-10-17"}`,
		"bad effect":   `{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
		"no action":    `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		"too long":     `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Sid":"` + strings.Repeat("x", MaxLength) + `"}]}`,
	}
	for name, doc := range bad {
		if _, err := Compact([]byte(doc)); err == nil {
			t.Errorf("%s: Compact accepted %q", name, doc[:min(len(doc), 60)])
		}
	}
	got, err := Compact([]byte("{ \"Statement\": [ {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"} ] }"))
	if err != nil || got != `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}` {
		t.Errorf("Compact = %q, %v", got, err)
	}
}

func TestIsDefault(t *testing.T) {
	if !IsDefault("") || !IsDefault(DefaultDocument) {
		t.Error("default not recognised")
	}
	if IsDefault(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`) {
		t.Error("deny-all taken for default")
	}
}

// TestEqualParsesEachDocumentOnce: every sync of every object compares its
// policy with AWS's; a document seen before is not parsed again, and the
// answers stay those of Normalize (invalid documents equal only themselves).
func TestEqualParsesEachDocumentOnce(t *testing.T) {
	aws := `{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2008-10-17"}`
	if !Equal("", aws) || !Equal(aws, DefaultDocument) || Equal("{not json", aws) || !Equal("{not json", "{not json") {
		t.Fatal("Equal's answers changed")
	}
	if allocs := testing.AllocsPerRun(100, func() { Equal("", aws) }); allocs > 0 {
		t.Fatalf("comparing two documents seen before made %.0f allocations: they were parsed again", allocs)
	}
}
