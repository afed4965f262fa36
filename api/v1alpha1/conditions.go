package v1alpha1

// Reasons of the Ready condition.
const (
	// ReasonAvailable: the endpoint is available and matches the spec.
	ReasonAvailable = "Available"
	// ReasonPending: AWS is still provisioning or modifying the endpoint.
	ReasonPending = "Pending"
	// ReasonPendingAcceptance: the PrivateLink service owner has not accepted the connection yet.
	ReasonPendingAcceptance = "PendingAcceptance"
	// ReasonRejected: the PrivateLink service owner rejected the connection.
	ReasonRejected = "Rejected"
	// ReasonFailed: AWS reports the endpoint as failed.
	ReasonFailed = "Failed"
	// ReasonExpired: the PrivateLink service owner did not accept the connection in time.
	ReasonExpired = "Expired"
	// ReasonPartial: AWS reports the endpoint as partial (not provisioned in every subnet).
	ReasonPartial = "Partial"
	// ReasonDeleting: the object is being deleted.
	ReasonDeleting = "Deleting"
	// ReasonNotSynced: the spec is not applied yet; the Synced condition says why.
	ReasonNotSynced = "NotSynced"
)

// Reasons of the Synced condition. Errors that AWS returns use AWS's error code as the
// reason (dots removed: InvalidVpcEndpointId.NotFound becomes InvalidVpcEndpointIdNotFound).
const (
	// ReasonReconciled: the last reconcile applied the spec.
	ReasonReconciled = "Reconciled"
	// ReasonVPCNotFound: spec.vpc matches no VPC.
	ReasonVPCNotFound = "VPCNotFound"
	// ReasonVPCAmbiguous: spec.vpc.tags matches several VPCs.
	ReasonVPCAmbiguous = "VPCAmbiguous"
	// ReasonServiceNotFound: spec.service names no endpoint service of the region.
	ReasonServiceNotFound = "ServiceNotFound"
	// ReasonRouteTableNotFound: a route table of spec.routeTables does not exist.
	ReasonRouteTableNotFound = "RouteTableNotFound"
	// ReasonRouteTableInOtherVPC: a route table of spec.routeTables belongs to another VPC.
	ReasonRouteTableInOtherVPC = "RouteTableInOtherVPC"
	// ReasonNoRouteTables: spec.routeTables selects no route table.
	ReasonNoRouteTables = "NoRouteTables"
	// ReasonSubnetNotFound: a subnet of the spec does not exist.
	ReasonSubnetNotFound = "SubnetNotFound"
	// ReasonSubnetInOtherVPC: a subnet of the spec belongs to another VPC.
	ReasonSubnetInOtherVPC = "SubnetInOtherVPC"
	// ReasonNoSubnets: spec.subnets selects no usable subnet.
	ReasonNoSubnets = "NoSubnets"
	// ReasonDuplicateSubnetsInSameZone: two subnets of spec.subnets.ids are in one AZ.
	ReasonDuplicateSubnetsInSameZone = "DuplicateSubnetsInSameZone"
	// ReasonZoneNotSupported: a subnet is in an AZ the service is not offered in.
	ReasonZoneNotSupported = "AvailabilityZoneNotSupported"
	// ReasonSecurityGroupNotFound: a security group of the spec does not exist or is in another VPC.
	ReasonSecurityGroupNotFound = "SecurityGroupNotFound"
	// ReasonInvalidPolicy: spec.policy is not a valid IAM policy document.
	ReasonInvalidPolicy = "InvalidPolicy"
	// ReasonAdoptionRefused: spec.endpointID names an endpoint that cannot be adopted.
	ReasonAdoptionRefused = "AdoptionRefused"
	// ReasonInvalidPrivateDNS: private DNS was asked of a service that has no private DNS name.
	ReasonInvalidPrivateDNS = "InvalidPrivateDNS"
	// ReasonVPCDNSAttributesOff: private DNS needs VPC attributes that are off.
	ReasonVPCDNSAttributesOff = "VPCDNSAttributesOff"
	// ReasonPrivateDNSConflict: another endpoint of the VPC already has private DNS for the service.
	ReasonPrivateDNSConflict = "PrivateDNSConflict"
	// ReasonTooManyTags: spec.tags plus the controller's tags exceed AWS's 50 per resource.
	ReasonTooManyTags = "TooManyTags"
	// ReasonSecurityGroupOwnershipLost: the managed security group lost its ownership
	// tags (or carries another owner's), and the controller may not change or delete it.
	ReasonSecurityGroupOwnershipLost = "SecurityGroupOwnershipLost"
	// ReasonSecurityGroupInUse: the managed security group cannot be deleted because
	// something outside the endpoint still references it.
	ReasonSecurityGroupInUse = "SecurityGroupInUse"
	// ReasonVPCHasInstanceConnectEndpoint: the VPC already has an Instance Connect
	// Endpoint of someone else's, and AWS allows one per VPC.
	ReasonVPCHasInstanceConnectEndpoint = "VPCHasInstanceConnectEndpoint"
	// ReasonInstanceConnectEndpointLimitExceeded: AWS refused the Instance Connect
	// Endpoint because the account has as many as it allows in the region.
	ReasonInstanceConnectEndpointLimitExceeded = "InstanceConnectEndpointLimitExceeded"
	// ReasonSubnetFull: the subnet has no free IP address for the endpoint's
	// network interface.
	ReasonSubnetFull = "SubnetFull"
	// ReasonPreserveClientIPNotSupported: spec.preserveClientIP with an IPv6-only
	// subnet, where AWS does not support it.
	ReasonPreserveClientIPNotSupported = "PreserveClientIPNotSupported"
	// ReasonThrottled: AWS throttled the controller; it retries with backoff.
	ReasonThrottled = "Throttled"
	// ReasonAWSUnavailable: AWS answered with a server error; the controller retries with backoff.
	ReasonAWSUnavailable = "AWSUnavailable"
	// ReasonDeletePending: the endpoint is being deleted in AWS.
	ReasonDeletePending = "DeletePending"
)

// Reasons of the ConnectionDetailsReady condition. ConfigMapNotOwned and
// ConfigMapWriteFailed also become the Ready reason of an endpoint that is
// otherwise available.
const (
	// ReasonConnectionDetailsWritten: the ConfigMap holds the endpoint's current connection details.
	ReasonConnectionDetailsWritten = "Written"
	// ReasonEndpointNotAvailable: the ConfigMap is written once the endpoint is first available.
	ReasonEndpointNotAvailable = "EndpointNotAvailable"
	// ReasonConfigMapNotOwned: a ConfigMap of that name exists and this object does not
	// control it; the controller does not overwrite it. Also a Warning event.
	ReasonConfigMapNotOwned = "ConfigMapNotOwned"
	// ReasonConfigMapWriteFailed: the API server refused to create, update or delete the ConfigMap.
	ReasonConfigMapWriteFailed = "ConfigMapWriteFailed"
)

// Event reasons.
const (
	// EventCreated: the controller created an AWS object.
	EventCreated = "Created"
	// EventAdopted: the controller adopted an existing endpoint.
	EventAdopted = "Adopted"
	// EventModified: the controller changed the endpoint to match a new spec.
	EventModified = "Modified"
	// EventDriftCorrected: the controller repaired a change made outside it.
	EventDriftCorrected = "DriftCorrected"
	// EventDeleted: the controller deleted an AWS object.
	EventDeleted = "Deleted"
	// EventRetained: the endpoint was left in AWS on deletion (deletionPolicy Retain).
	EventRetained = "Retained"
	// EventNeverListed: an endpoint the controller created was never listed by AWS
	// within --consistency-bound, and another one is created.
	EventNeverListed = "NeverListed"
	// EventSyncFailed: a reconcile could not apply the spec.
	EventSyncFailed = "SyncFailed"
	// EventConnectionDetailsWritten: the controller created or updated the ConfigMap of
	// spec.connectionDetails.
	EventConnectionDetailsWritten = "ConnectionDetailsWritten"
	// EventConnectionDetailsDeleted: the controller deleted a ConfigMap of connection
	// details it had written (the object is deleted, or the field changed or was removed).
	EventConnectionDetailsDeleted = "ConnectionDetailsDeleted"
)

// Reasons of the Synced condition when the endpoint's account refuses the object or
// cannot be used. Each is decided before any AWS call for the object.
const (
	// ReasonAccountNotFound: spec.accountRef (or --default-account) names no AWSAccount.
	ReasonAccountNotFound = "AccountNotFound"
	// ReasonAccountNotReady: the AWSAccount is not Ready (its role cannot be assumed).
	ReasonAccountNotReady = "AccountNotReady"
	// ReasonAccountRefRequired: the manager runs with --require-account-ref and the
	// object has no spec.accountRef.
	ReasonAccountRefRequired = "AccountRefRequired"
	// ReasonAccountChanged: the AWSAccount now resolves to another AWS account than
	// the one the endpoint lives in (status.accountID).
	ReasonAccountChanged = "AccountChanged"
	// ReasonNamespaceNotAllowed: the AWSAccount's namespaceSelector does not select
	// the object's namespace.
	ReasonNamespaceNotAllowed = "NamespaceNotAllowed"
	// ReasonRegionNotAllowed: the region is not in the AWSAccount's allowedRegions.
	ReasonRegionNotAllowed = "RegionNotAllowed"
	// ReasonVPCNotAllowed: the VPC is not among the AWSAccount's allowedVPCs.
	ReasonVPCNotAllowed = "VPCNotAllowed"
	// ReasonServiceNotAllowed: the service is not in the AWSAccount's allowedServices.
	ReasonServiceNotAllowed = "ServiceNotAllowed"
	// ReasonAdoptionNotAllowed: spec.endpointID adopts an endpoint, and the
	// AWSAccount does not allow adoption.
	ReasonAdoptionNotAllowed = "AdoptionNotAllowed"
	// ReasonVPCAttributeChangesNotAllowed: spec.privateDNS.ensureVPCAttributes is set,
	// and the AWSAccount does not allow VPC attribute changes.
	ReasonVPCAttributeChangesNotAllowed = "VPCAttributeChangesNotAllowed"
)

// Reasons of an AWSAccount's Ready condition.
const (
	// ReasonAccountVerified: the controller assumed the role (or used its own
	// identity) and STS GetCallerIdentity answered.
	ReasonAccountVerified = "Verified"
	// ReasonAssumeRoleDenied: STS refused AssumeRole: the role does not exist, or its
	// trust policy does not allow the controller (or the external ID or session tags).
	ReasonAssumeRoleDenied = "AssumeRoleDenied"
	// ReasonRoleNotFound: STS answered that the role does not exist.
	ReasonRoleNotFound = "RoleNotFound"
	// ReasonCredentialsUnavailable: the controller's own credentials are missing,
	// invalid or expired, so it can call STS as nobody.
	ReasonCredentialsUnavailable = "CredentialsUnavailable"
	// ReasonSTSUnreachable: no answer from STS (network, DNS, proxy, timeout).
	ReasonSTSUnreachable = "STSUnreachable"
	// ReasonSTSRegionDisabled: STS is not activated in the region the controller calls.
	ReasonSTSRegionDisabled = "STSRegionDisabled"
	// ReasonAllowedVPCsUnresolved: the controller could not list the VPCs of
	// spec.allowedVPCs in an allowed region.
	ReasonAllowedVPCsUnresolved = "AllowedVPCsUnresolved"
	// ReasonAccountInUse: the AWSAccount is being deleted while endpoint objects
	// still use it; it goes once they are gone.
	ReasonAccountInUse = "InUse"
)

// Event reasons of accounts and claims.
const (
	// EventAccountVerified: an AWSAccount became Ready.
	EventAccountVerified = "AccountVerified"
	// EventAccountFailed: an AWSAccount stopped being Ready.
	EventAccountFailed = "AccountCheckFailed"
	// EventClaimedElsewhere: another install of the controller (another
	// --cluster-name) claimed the object; this one leaves it alone.
	EventClaimedElsewhere = "ClaimedElsewhere"
	// EventClaimReleased: a shard of the cluster's managers released the claim of
	// an object it no longer selects, for the shard that selects it now.
	EventClaimReleased = "ClaimReleased"
)
