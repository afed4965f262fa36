package manager

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTags(t *testing.T) {
	got, err := ParseTags(" CostCenter=platform, owner = team-a ,empty=,")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"CostCenter": "platform", "owner": "team-a", "empty": ""}; !reflect.DeepEqual(got, want) {
		t.Fatalf("%v", got)
	}
	if got, err := ParseTags(""); got != nil || err != nil {
		t.Fatalf("empty: %v %v", got, err)
	}
	for spec, want := range map[string]string{
		"novalue":                       "is not key=value",
		"=x":                            "must be 1 to 128 characters",
		"aws:x=1":                       "is reserved",
		"vpce.dev/cluster=x":            "is reserved",
		"a=1,a=2":                       "given twice",
		"k=" + strings.Repeat("v", 257): "longer than 256",
		strings.Repeat("k", 129) + "=v": "must be 1 to 128",
	} {
		if _, err := ParseTags(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTags(%.20q) = %v; want %q", spec, err, want)
		}
	}
	var many []string
	for i := range 47 {
		many = append(many, "k"+strings.Repeat("x", i)+"=v")
	}
	if _, err := ParseTags(strings.Join(many, ",")); err == nil || !strings.Contains(err.Error(), "at most 46") {
		t.Errorf("47 tags: %v", err)
	}
}
