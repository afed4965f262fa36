package ec2sim

import (
	"hash/fnv"
	"slices"
	"strings"
)

// zones returns the region's Availability Zones: a, b and c, plus d in
// us-east-1.
func zones(region string) []string {
	letters := []string{"a", "b", "c"}
	if region == "us-east-1" {
		letters = append(letters, "d")
	}
	out := make([]string, len(letters))
	for i, l := range letters {
		out[i] = region + l
	}
	return out
}

// zoneID returns the AZ ID of a zone name, e.g. us-east-1a -> use1-az1.
func zoneID(region, zone string) string {
	letter := strings.TrimPrefix(zone, region)
	if len(letter) != 1 {
		return ""
	}
	parts := strings.Split(region, "-")
	abbr := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		abbr += p[:1]
	}
	abbr += parts[len(parts)-1]
	return abbr + "-az" + string(rune('1'+letter[0]-'a'))
}

// vpceHostedZone returns the Route 53 hosted zone ID of the region's
// *.vpce.amazonaws.com names (AWS's published IDs where known).
func vpceHostedZone(region string) string {
	known := map[string]string{
		"us-east-1":    "Z7HUB22UULQXV",
		"us-east-2":    "ZC8PG0KIFKBRI",
		"us-west-1":    "Z12I86A8N7VCZO",
		"us-west-2":    "Z1YSA3EXCYUU9Z",
		"eu-west-1":    "Z38GZ743OKFT7T",
		"eu-central-1": "Z273ZU8SZ5RJPC",
	}
	if z, ok := known[region]; ok {
		return z
	}
	return "Z" + strings.ToUpper(hashHex(region, 12))
}

// hashHex returns n hex digits derived from s, for stable made-up IDs.
func hashHex(s string, n int) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	const hex = "0123456789abcdef"
	sum := h.Sum64()
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[sum&15]
		sum = sum>>4 | sum<<60
		if i%16 == 15 {
			h.Write([]byte{byte(i)})
			sum = h.Sum64()
		}
	}
	return string(b)
}

type xmlZone struct {
	ZoneName           string `xml:"zoneName"`
	ZoneID             string `xml:"zoneId"`
	ZoneState          string `xml:"zoneState"`
	ZoneType           string `xml:"zoneType"`
	RegionName         string `xml:"regionName"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	OptInStatus        string `xml:"optInStatus"`
}

func (s *Server) describeAvailabilityZones(p params) (any, *apiError) {
	region := s.opts.Region
	fs := p.filters()
	attr := func(z string) attrs {
		return func(name string) ([]string, bool) {
			switch name {
			case "zone-name":
				return []string{z}, true
			case "zone-id":
				return []string{zoneID(region, z)}, true
			case "region-name", "group-name":
				return []string{region}, true
			case "state":
				return []string{"available"}, true
			case "zone-type":
				return []string{"availability-zone"}, true
			}
			return nil, false
		}
	}
	if err := checkFilters(fs, attr("")); err != nil {
		return nil, err
	}
	names, ids := p.list("ZoneName"), p.list("ZoneId")
	var out struct {
		Zones []xmlZone `xml:"availabilityZoneInfo>item"`
	}
	for _, z := range zones(region) {
		if len(names) > 0 && !slices.Contains(names, z) || len(ids) > 0 && !slices.Contains(ids, zoneID(region, z)) {
			continue
		}
		if !matches(fs, nil, attr(z)) {
			continue
		}
		out.Zones = append(out.Zones, xmlZone{z, zoneID(region, z), "available", "availability-zone", region, region, region, "opt-in-not-required"})
	}
	return out, nil
}
