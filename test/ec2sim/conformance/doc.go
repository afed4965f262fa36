// Package conformance holds the ec2sim conformance suite: scenarios written
// once against the EC2 Query API with the real aws-sdk-go-v2 client, each
// stating the behaviour AWS documents and where it is documented.
//
// The same scenarios run against ec2sim, which must pass all of them, and
// against moto_server, whose failures are recorded as known divergences in
// the table of test/ec2sim/README.md. The table is generated from what the
// suite observed: run the tests with -update-divergences (or
// UPDATE_DIVERGENCES=1) to rewrite it.
//
// Test harness (under test/): the manager never imports it.
package conformance
