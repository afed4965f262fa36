package gitops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/test/testenv"
)

// healthKeyPrefix starts the argocd-cm keys of the health checks.
const healthKeyPrefix = "resource.customizations.health.networking.vpce.dev_"

// argoHealthChecks returns the Lua health checks of docs/gitops.md by kind: the data
// of the argocd-cm ConfigMap the doc shows, parsed as Argo CD reads it.
func argoHealthChecks(t *testing.T) map[string]string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "gitops.md"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(doc), "```")
	for i := 1; i < len(parts); i += 2 {
		block, ok := strings.CutPrefix(parts[i], "yaml\n")
		if !ok || !strings.Contains(block, "name: argocd-cm") {
			continue
		}
		var cm corev1.ConfigMap
		if err := yaml.UnmarshalStrict([]byte(block), &cm); err != nil {
			t.Fatalf("the argocd-cm ConfigMap of docs/gitops.md does not parse: %v", err)
		}
		scripts := map[string]string{}
		for key, script := range cm.Data {
			if kind, ok := strings.CutPrefix(key, healthKeyPrefix); ok {
				scripts[kind] = script
			}
		}
		if len(scripts) != 3 || scripts["GatewayEndpoint"] == "" || scripts["InterfaceEndpoint"] == "" || scripts["InstanceConnectEndpoint"] == "" {
			t.Fatalf("the argocd-cm ConfigMap of docs/gitops.md has %d health checks, want GatewayEndpoint, InterfaceEndpoint and InstanceConnectEndpoint", len(scripts))
		}
		return scripts
	}
	t.Fatal("docs/gitops.md shows no argocd-cm ConfigMap in a yaml block")
	return nil
}

// health is what an Argo CD health check returns.
type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// argoHealthStatuses are the statuses Argo CD accepts from a health check; it
// reports Unknown for anything else.
var argoHealthStatuses = map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}

// runHealthCheck runs script on obj as Argo CD's controller does (util/lua in
// argo-cd): a state without the standard libraries except base, table and package,
// the object converted to Lua tables as global obj, one second to finish, and the
// returned table read back through JSON.
func runHealthCheck(t *testing.T, script string, obj map[string]any) health {
	t.Helper()
	state := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer state.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := state.CallByParam(lua.P{Fn: state.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	state.SetContext(ctx)
	state.SetGlobal("obj", toLua(state, obj))
	if err := state.DoString(script); err != nil {
		t.Fatalf("the health check failed: %v", err)
	}
	result, ok := state.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("the health check returned %s, want a table", state.Get(-1).Type())
	}
	var h health
	fields := map[string]any{}
	result.ForEach(func(key, value lua.LValue) { fields[key.String()] = value.String() })
	raw, _ := json.Marshal(fields)
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	if !argoHealthStatuses[h.Status] {
		t.Fatalf("the health check returned status %q, which Argo CD turns into Unknown", h.Status)
	}
	return h
}

// toLua converts an object decoded from JSON (numbers as int64 or float64, as the
// unstructured objects of Argo CD's cluster cache hold them) into Lua values.
func toLua(state *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case []any:
		table := state.CreateTable(len(v), 0)
		for _, item := range v {
			table.Append(toLua(state, item))
		}
		return table
	case map[string]any:
		table := state.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetString(key, toLua(state, item))
		}
		return table
	}
	panic(fmt.Sprintf("toLua: unexpected %T", value))
}

// asArgoSeesIt converts obj to the unstructured form Argo CD's cache holds.
func asArgoSeesIt(t *testing.T, obj runtime.Object) map[string]any {
	t.Helper()
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	return content
}

// TestArgoCDHealthCheckOfEachPhase runs the Lua health checks of docs/gitops.md (the
// very text of the doc, so the doc and the test cannot drift) with gopher-lua, the
// interpreter Argo CD embeds, on objects of each kind in every phase of the kstatus
// table, and checks the health the doc's table promises.
func TestArgoCDHealthCheckOfEachPhase(t *testing.T) {
	scripts := argoHealthChecks(t)
	for kind := range kinds {
		for _, p := range phases {
			t.Run(kind+"/"+p.name, func(t *testing.T) {
				obj := build(kind, p)
				h := runHealthCheck(t, scripts[kind], asArgoSeesIt(t, obj))
				if h.Status != p.argo {
					t.Fatalf("Argo CD health = %s (%q), want %s", h.Status, h.Message, p.argo)
				}
				conditions := common(obj).Conditions
				switch h.Status {
				case "Degraded":
					stalled := findCondition(conditions, v1alpha1.ConditionStalled)
					if !strings.Contains(h.Message, stalled.Reason) || !strings.Contains(h.Message, stalled.Message) {
						t.Errorf("Degraded message %q does not give the Stalled reason and message (%s: %s)", h.Message, stalled.Reason, stalled.Message)
					}
				case "Healthy":
					if ready := findCondition(conditions, v1alpha1.ConditionReady); !strings.Contains(h.Message, ready.Message) {
						t.Errorf("Healthy message %q is not the Ready message %q", h.Message, ready.Message)
					}
				case "Progressing":
					if h.Message == "" {
						t.Error("Progressing without a message")
					}
				}
			})
		}
	}
}

// TestArgoCDHealthCheckBeforeAndAroundTheController covers what the phase table
// cannot: no status at all, the status the apiserver defaults on a new object, and a
// Ready condition left from an older generation.
func TestArgoCDHealthCheckBeforeAndAroundTheController(t *testing.T) {
	scripts := argoHealthChecks(t)
	for kind, newObject := range kinds {
		script := scripts[kind]
		t.Run(kind+"/no status", func(t *testing.T) {
			obj := asArgoSeesIt(t, newObject("fresh"))
			delete(obj, "status")
			obj["metadata"].(map[string]any)["generation"] = int64(1)
			if h := runHealthCheck(t, script, obj); h.Status != "Progressing" {
				t.Errorf("health = %s (%q), want Progressing", h.Status, h.Message)
			}
		})
		t.Run(kind+"/status defaulted by the apiserver, not yet written", func(t *testing.T) {
			obj := newObject("fresh")
			obj.SetGeneration(1)
			common(obj).ObservedGeneration = 0
			if h := runHealthCheck(t, script, asArgoSeesIt(t, obj)); h.Status != "Progressing" {
				t.Errorf("health = %s (%q), want Progressing", h.Status, h.Message)
			}
		})
		t.Run(kind+"/Ready condition of an older generation", func(t *testing.T) {
			obj := build(kind, phase{name: "available", generation: 2, observed: 2, state: "available",
				conditions: []cond{ready(metav1.ConditionTrue, v1alpha1.ReasonAvailable, "endpoint is available"), applied}})
			for i := range common(obj).Conditions {
				if common(obj).Conditions[i].Type == v1alpha1.ConditionReady {
					common(obj).Conditions[i].ObservedGeneration = 1
				}
			}
			if h := runHealthCheck(t, script, asArgoSeesIt(t, obj)); h.Status != "Progressing" {
				t.Errorf("health = %s (%q), want Progressing: the Ready condition speaks of generation 1", h.Status, h.Message)
			}
		})
	}
}

// findCondition returns the condition of type typ; it fails the test's premise if absent.
func findCondition(conditions []metav1.Condition, typ string) metav1.Condition {
	for _, c := range conditions {
		if c.Type == typ {
			return c
		}
	}
	panic("no " + typ + " condition in the phase")
}
