package ec2cache

import "github.com/aws/aws-sdk-go-v2/service/ec2/types"

// WaitingEndpointReadIDs is how many endpoint IDs wait for the next shared read
// by ID, for tests that must let every reader join before the clock moves.
func (c *Client) WaitingEndpointReadIDs() int {
	c.endpointReads.mu.Lock()
	b := c.endpointReads.by[signature(idFilter("vpc-endpoint-id", []string{"x"}))]
	c.endpointReads.mu.Unlock()
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next == nil {
		return 0
	}
	return len(b.next.values["vpc-endpoint-id"])
}

// WaitingVPCEndpointReadCallers is how many checks wait for the next shared
// read of the endpoints of some VPCs (the private DNS check).
func (c *Client) WaitingVPCEndpointReadCallers() int {
	c.vpcEndpointReads.mu.Lock()
	defer c.vpcEndpointReads.mu.Unlock()
	n := 0
	for _, b := range c.vpcEndpointReads.by {
		b.mu.Lock()
		if b.next != nil {
			n += b.next.callers
		}
		b.mu.Unlock()
	}
	return n
}

// UndecodedMembers is how many members of Describe responses were found
// unchanged and left undecoded.
func (c *Client) UndecodedMembers() int64 { return c.undecoded.Load() }

// HoldDecodeSlot takes the account's and region's decode slot until release is
// called: responses that arrive meanwhile wait to be decoded.
func (c *Client) HoldDecodeSlot() (release func()) {
	c.decodeSlot <- struct{}{}
	return func() { <-c.decodeSlot }
}

// InventoryCandidates is how many subnets and route tables of the latest
// listings a query with these filters looks through.
func (c *Client) InventoryCandidates(filters []types.Filter) (subnets, routeTables int) {
	return len(c.subnets.inVPCs(nil, filters)), len(c.routeTables.inVPCs(nil, filters))
}

// BudgetIntervals is budgetIntervals, for the table test of its arithmetic.
var BudgetIntervals = budgetIntervals
