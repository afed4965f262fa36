// Package ec2cache makes the controller cheap at rest. It wraps an EC2 client and
// serves the controller's reads from per-region snapshots:
//
//   - every endpoint and security group carrying this cluster's ownership tag, from
//     one paginated DescribeVpcEndpoints and one DescribeSecurityGroups per region,
//     shared by every object of the region;
//   - the region's VPCs, subnets and route tables (what selectors resolve against),
//     endpoint services and prefix lists.
//
// Snapshots expire after a TTL; a reconcile that needs fresher data (a spec just
// changed) says so with WithMaxAge. An object the controller writes to is marked
// dirty, so its next read goes to EC2 and refreshes its entry. Requests the cache
// cannot answer exactly (other filters, unknown IDs) go to EC2 unchanged, so
// AWS's own errors still reach the caller.
package ec2cache
