package ec2sim

import (
	"slices"
)

// prefixList is an AWS-managed prefix list of a gateway service.
type prefixList struct {
	seq   int64
	id    string
	name  string
	cidrs []string
}

func (pl prefixList) order() int64 { return pl.seq }

// prefixListFor returns the region's list of the gateway service ("s3" or
// "dynamodb"), with AWS's IDs in the regions where they are known.
func prefixListFor(region, short string) prefixList {
	known := map[string]string{
		"us-east-1/s3": "pl-63a5400a", "us-east-1/dynamodb": "pl-02cd2c6b",
		"us-east-2/s3": "pl-7ba54012", "us-east-2/dynamodb": "pl-4ca54025",
		"us-west-2/s3": "pl-68a54001", "us-west-2/dynamodb": "pl-00a54069",
		"eu-west-1/s3": "pl-6da54004", "eu-west-1/dynamodb": "pl-6fa54006",
	}
	id, ok := known[region+"/"+short]
	if !ok {
		id = "pl-" + hashHex(region+short, 8)
	}
	pl := prefixList{id: id, name: "com.amazonaws." + region + "." + short, seq: 1}
	if short == "s3" {
		pl.cidrs = []string{"16.15.176.0/20", "16.182.0.0/16", "3.5.0.0/19", "52.216.0.0/15", "54.231.0.0/16"}
	} else {
		pl.seq = 2
		pl.cidrs = []string{"3.218.180.0/22", "35.71.64.0/22", "52.94.0.0/22", "52.119.224.0/20"}
	}
	return pl
}

type xmlPrefixList struct {
	PrefixListID   string   `xml:"prefixListId"`
	PrefixListName string   `xml:"prefixListName"`
	Cidrs          []string `xml:"cidrSet>item"`
}

func (pl prefixList) attrs(name string) ([]string, bool) {
	switch name {
	case "prefix-list-id":
		return []string{pl.id}, true
	case "prefix-list-name":
		return []string{pl.name}, true
	}
	return nil, false
}

func (s *Server) describePrefixLists(p params) (any, *apiError) {
	fs := p.filters()
	if err := checkFilters(fs, prefixList{}.attrs); err != nil {
		return nil, err
	}
	all := []prefixList{prefixListFor(s.opts.Region, "s3"), prefixListFor(s.opts.Region, "dynamodb")}
	ids := p.list("PrefixListId")
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(pl prefixList) bool { return pl.id == id }) {
			if err := kindPL.check(id); err != nil {
				return nil, err
			}
			return nil, kindPL.notFoundErr(id)
		}
	}
	var list []prefixList
	for _, pl := range all {
		if (len(ids) == 0 || slices.Contains(ids, pl.id)) && matches(fs, nil, pl.attrs) {
			list = append(list, pl)
		}
	}
	page, next, err := paginate(list, p, 5)
	if err != nil {
		return nil, err
	}
	out := struct {
		PrefixLists []xmlPrefixList `xml:"prefixListSet>item"`
		NextToken   string          `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, pl := range page {
		out.PrefixLists = append(out.PrefixLists, xmlPrefixList{pl.id, pl.name, pl.cidrs})
	}
	return out, nil
}
