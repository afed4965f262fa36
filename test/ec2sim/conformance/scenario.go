package conformance

import "context"

// Scenario is one behaviour of the EC2 API, written once against the API and
// run against every target.
type Scenario struct {
	// Name identifies the scenario in test names and in the divergence table.
	Name string
	// Behaviour states, in one sentence, what AWS does.
	Behaviour string
	// Source cites where Behaviour is documented: an EC2 API reference page
	// or a terraform-provider-aws code reference.
	Source string
	// Check exercises the target through env and returns an error that
	// describes, in short stable words, how the target departed from
	// Behaviour; nil when it conformed.
	Check func(ctx context.Context, env *Env) error
}

// Result is the outcome of one scenario against one target.
type Result struct {
	// Scenario is the scenario that ran.
	Scenario Scenario
	// Err is nil when the target conformed, else the mismatch observed.
	Err error
}

// Scenarios returns every scenario of the suite, in a stable order.
func Scenarios() []Scenario {
	var all []Scenario
	all = append(all, networkScenarios()...)
	all = append(all, gatewayScenarios()...)
	all = append(all, interfaceScenarios()...)
	all = append(all, deleteScenario())
	all = append(all, errorScenarios()...)
	all = append(all, requestScenarios()...)
	all = append(all, describeScenarios()...)
	all = append(all, policyScenarios()...)
	all = append(all, instanceConnectScenarios()...)
	all = append(all, consistencyScenarios()...)
	all = append(all, faultScenarios()...)
	all = append(all, limitScenarios()...)
	all = append(all, iamScenarios()...)
	all = append(all, accountScenarios()...)
	return all
}
