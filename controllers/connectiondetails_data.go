package controllers

import (
	"sort"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
)

// Keys of the connection-details ConfigMap. Every key is a valid environment
// variable name ([A-Z_][A-Z0-9_]*), so `envFrom` loads them all; docs/operations.md
// documents each one. Per-zone keys end in the zone's name in capitals with
// dashes as underscores (us-east-1a: _US_EAST_1A).
const (
	keyEndpointID   = "VPCE_ENDPOINT_ID"
	keyEndpointType = "VPCE_ENDPOINT_TYPE"
	keyServiceName  = "VPCE_SERVICE_NAME"
	keyRegion       = "VPCE_REGION"
	keyVPCID        = "VPCE_VPC_ID"
	// Gateway endpoints.
	keyPrefixListID  = "VPCE_PREFIX_LIST_ID"
	keyRouteTableIDs = "VPCE_ROUTE_TABLE_IDS"
	// Interface endpoints.
	keyDNSName             = "VPCE_DNS_NAME"
	keyZonalDNSNamePrefix  = "VPCE_DNS_NAME_"
	keyURL                 = "VPCE_URL"
	keyPrivateDNSName      = "VPCE_PRIVATE_DNS_NAME"
	keyPrivateDNSNames     = "VPCE_PRIVATE_DNS_NAMES"
	keyZones               = "VPCE_ZONES"
	keyIPv4Prefix          = "VPCE_IPV4_"
	keyIPv6Prefix          = "VPCE_IPV6_"
	keyIPv4Addresses       = "VPCE_IPV4_ADDRESSES"
	keyIPv6Addresses       = "VPCE_IPV6_ADDRESSES"
	keyS3BucketURL         = "VPCE_S3_BUCKET_URL"
	keyS3AccessPointURL    = "VPCE_S3_ACCESSPOINT_URL"
	keyS3ControlURL        = "VPCE_S3_CONTROL_URL"
	keySDKEndpointS3       = "AWS_ENDPOINT_URL_S3"
	keySDKEndpointS3Contrl = "AWS_ENDPOINT_URL_S3_CONTROL"
)

// connectionDetailer is implemented by the kinds that can publish connection
// details (connectiondetails.go): the reconcile loop asks for them only when the
// kind adapter has this method.
type connectionDetailer interface {
	// connectionDetails returns spec.connectionDetails (nil when not asked for) and
	// the ConfigMap data, built from the status.
	connectionDetails(obj client.Object) (*v1alpha1.ConnectionDetails, map[string]string)
}

func (gatewayKind) connectionDetails(obj client.Object) (*v1alpha1.ConnectionDetails, map[string]string) {
	o := obj.(*v1alpha1.GatewayEndpoint)
	return o.Spec.ConnectionDetails, gatewayConnectionData(&o.Status)
}

func (interfaceKind) connectionDetails(obj client.Object) (*v1alpha1.ConnectionDetails, map[string]string) {
	o := obj.(*v1alpha1.InterfaceEndpoint)
	return o.Spec.ConnectionDetails, interfaceConnectionData(&o.Status)
}

// commonConnectionData holds the keys both kinds publish; nil before the endpoint
// has an ID.
func commonConnectionData(st *v1alpha1.EndpointStatusCommon, endpointType string) map[string]string {
	if st.EndpointID == "" {
		return nil
	}
	data := map[string]string{keyEndpointID: st.EndpointID, keyEndpointType: endpointType}
	put(data, keyServiceName, st.ServiceName)
	put(data, keyRegion, st.Region)
	put(data, keyVPCID, st.VPCID)
	return data
}

// gatewayConnectionData is what an application needs of a gateway endpoint: its
// ID, the prefix list its routes point to and the route tables that have them.
// Gateway endpoints have no DNS names: clients use the service's public names.
func gatewayConnectionData(st *v1alpha1.GatewayEndpointStatus) map[string]string {
	data := commonConnectionData(&st.EndpointStatusCommon, "Gateway")
	if data == nil {
		return nil
	}
	put(data, keyPrefixListID, st.PrefixListID)
	put(data, keyRouteTableIDs, strings.Join(st.RouteTableIDs, ","))
	return data
}

// interfaceConnectionData is what an application needs of an interface endpoint:
// its regional and zonal DNS names, the private DNS names when private DNS is on,
// the network interfaces' addresses per zone and, for S3, the endpoint URLs that
// AWS documents for buckets, access points and S3 Control.
func interfaceConnectionData(st *v1alpha1.InterfaceEndpointStatus) map[string]string {
	data := commonConnectionData(&st.EndpointStatusCommon, "Interface")
	if data == nil {
		return nil
	}
	var private []string
	for _, d := range st.DNSEntries {
		switch d.Type {
		case v1alpha1.DNSEntryRegional:
			put(data, keyDNSName, d.Name)
		case v1alpha1.DNSEntryZonal:
			put(data, keyZonalDNSNamePrefix+zoneKey(d.AvailabilityZone), d.Name)
		case v1alpha1.DNSEntryPrivateDNS:
			if st.PrivateDNSEnabled {
				private = append(private, d.Name)
			}
		}
	}
	if len(private) > 0 {
		data[keyPrivateDNSName] = private[0]
		data[keyPrivateDNSNames] = strings.Join(private, ",")
	}
	if regional := data[keyDNSName]; regional != "" {
		host := strings.TrimPrefix(regional, "*.")
		switch {
		case isS3Service(st.ServiceName, st.Region):
			// AWS's endpoint-specific names for S3: the regional name with "bucket.",
			// "accesspoint." or "control." in place of its leading "*." (the AWS
			// PrivateLink for Amazon S3 guide, docs/operations.md).
			data[keyS3BucketURL] = "https://bucket." + host
			data[keyS3AccessPointURL] = "https://accesspoint." + host
			data[keyS3ControlURL] = "https://control." + host
			data[keySDKEndpointS3] = data[keyS3BucketURL]
			data[keySDKEndpointS3Contrl] = data[keyS3ControlURL]
		case !strings.HasPrefix(regional, "*."):
			data[keyURL] = "https://" + regional
		}
	}
	nis := append([]v1alpha1.NetworkInterface(nil), st.NetworkInterfaces...)
	sort.Slice(nis, func(i, j int) bool { return nis[i].AvailabilityZone < nis[j].AvailabilityZone })
	var zones, v4, v6 []string
	for _, ni := range nis {
		zones = append(zones, ni.AvailabilityZone)
		if ni.PrivateIPv4 != "" {
			data[keyIPv4Prefix+zoneKey(ni.AvailabilityZone)] = ni.PrivateIPv4
			v4 = append(v4, ni.PrivateIPv4)
		}
		if ni.PrivateIPv6 != "" {
			data[keyIPv6Prefix+zoneKey(ni.AvailabilityZone)] = ni.PrivateIPv6
			v6 = append(v6, ni.PrivateIPv6)
		}
	}
	put(data, keyZones, strings.Join(zones, ","))
	put(data, keyIPv4Addresses, strings.Join(v4, ","))
	put(data, keyIPv6Addresses, strings.Join(v6, ","))
	return data
}

// isS3Service says whether a service name is S3's own in the region
// (com.amazonaws.us-east-1.s3), not a PrivateLink service or S3 Express.
func isS3Service(serviceName, region string) bool {
	return region != "" && serviceName == "com.amazonaws."+region+".s3"
}

// zoneKey turns an availability zone name into a key suffix: us-east-1a becomes
// US_EAST_1A; anything but letters and digits becomes an underscore.
func zoneKey(zone string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(zone) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// put sets a key unless the value is empty.
func put(data map[string]string, key, value string) {
	if value != "" {
		data[key] = value
	}
}
