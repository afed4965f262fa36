package manager

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDefaultTags leaves room on every resource for the controller's three
// ownership tags and a Name, within AWS's 50 tags.
const maxDefaultTags = 46

// ParseTags parses --default-tags: comma-separated key=value pairs. Keys may not
// start with "aws:" (AWS's) or "vpce.dev/" (the controller's ownership tags); keys
// are 1 to 128 characters and values at most 256, as AWS allows.
func ParseTags(spec string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			return nil, fmt.Errorf("--default-tags: %q is not key=value", part)
		case k == "" || utf8.RuneCountInString(k) > 128:
			return nil, fmt.Errorf("--default-tags: key %q must be 1 to 128 characters", k)
		case utf8.RuneCountInString(v) > 256:
			return nil, fmt.Errorf("--default-tags: the value of %s is longer than 256 characters", k)
		case strings.HasPrefix(k, "aws:") || strings.HasPrefix(k, "vpce.dev/"):
			return nil, fmt.Errorf("--default-tags: key %s is reserved (aws: and vpce.dev/ keys belong to AWS and to the controller's ownership tags)", k)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("--default-tags: key %s is given twice", k)
		}
		out[k] = v
	}
	if len(out) > maxDefaultTags {
		return nil, fmt.Errorf("--default-tags: %d tags, at most %d fit beside the controller's own within AWS's 50 per resource", len(out), maxDefaultTags)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
