package conformance

import (
	"context"
	"fmt"
	"time"
)

// scenarioTimeout bounds one scenario, waits included.
const scenarioTimeout = 30 * time.Second

// RunScenario resets target when it can and runs one scenario against it.
func RunScenario(ctx context.Context, target Target, s Scenario) Result {
	ctx, cancel := context.WithTimeout(ctx, scenarioTimeout)
	defer cancel()
	if target.Reset != nil {
		if err := target.Reset(ctx); err != nil {
			return Result{Scenario: s, Err: fmt.Errorf("reset target: %w", err)}
		}
	}
	env := newEnv(target)
	return Result{Scenario: s, Err: s.Check(ctx, env)}
}

// Run runs the scenarios one after another against target and returns their
// results in the same order.
func Run(ctx context.Context, target Target, scenarios []Scenario) []Result {
	results := make([]Result, 0, len(scenarios))
	for _, s := range scenarios {
		results = append(results, RunScenario(ctx, target, s))
	}
	return results
}
