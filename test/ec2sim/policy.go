package ec2sim

import (
	"encoding/json"
	"errors"
	"strings"
)

// defaultPolicy is the full-access document EC2 attaches when none is given.
const defaultPolicy = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// maxPolicyLength is EC2's limit on an endpoint policy document.
const maxPolicyLength = 20480

// policyParam returns PolicyDocument, or the default when it is absent.
func policyParam(p params) (string, *apiError) {
	if !p.has("PolicyDocument") {
		return defaultPolicy, nil
	}
	doc := p.str("PolicyDocument")
	return doc, validatePolicy(doc)
}

// validatePolicy rejects documents that are too long or not JSON objects.
func validatePolicy(doc string) *apiError {
	if len(doc) > maxPolicyLength {
		return errf("InvalidPolicyDocument", "The Policy Document is not valid. The policy document exceeds the maximum length of %d characters.", maxPolicyLength)
	}
	var v map[string]any
	err := json.Unmarshal([]byte(doc), &v)
	if err == nil {
		return nil
	}
	offset := int64(len(doc))
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		offset = syn.Offset
	}
	line := int64(strings.Count(doc[:min(int(offset), len(doc))], "\n") + 1)
	return errf("InvalidPolicyDocument", "The Policy Document is not valid. Syntax error at position (%d,%d)", line, offset)
}
