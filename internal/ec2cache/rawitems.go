package ec2cache

import (
	"bytes"
	"hash/maphash"
)

// rawItem is one member of a Describe response's result set, as EC2 sent it.
type rawItem struct {
	// start and end bound the member's bytes, from <item> to </item>.
	start, end int
	// id is the text of the member's own ID element (not of one nested in it).
	id string
}

// rawSeed seeds the hashes of raw items; they are compared within one process only.
var rawSeed = maphash.MakeSeed()

// rawHash is the hash of one member's bytes, never zero (zero means "no hash").
func rawHash(b []byte) uint64 {
	if h := maphash.Bytes(rawSeed, b); h != 0 {
		return h
	}
	return 1
}

// scanItems finds the members of the set element setTag of an EC2 Query
// response (<vpcEndpointSet><item>...</item>...</vpcEndpointSet>) and, in each,
// the text of its direct child idTag. It reads tags only: EC2 escapes '<' in
// text, and sends neither comments nor CDATA in these bodies. ok is false when
// the body does not have the expected shape (the caller then leaves it alone).
func scanItems(body []byte, setTag, idTag string) (items []rawItem, ok bool) {
	depth, setDepth := 0, -1
	var cur rawItem
	inItem, idStart, done := false, -1, false
	for i := 0; i < len(body); {
		lt := bytes.IndexByte(body[i:], '<')
		if lt < 0 {
			break
		}
		lt += i
		gt := bytes.IndexByte(body[lt:], '>')
		if gt < 0 {
			return nil, false
		}
		gt += lt
		tag := body[lt+1 : gt]
		i = gt + 1
		switch {
		case len(tag) == 0:
			return nil, false
		case tag[0] == '?' || tag[0] == '!':
			continue // the XML declaration
		case tag[len(tag)-1] == '/':
			continue // <empty/> opens and closes at once
		case tag[0] == '/':
			name := tag[1:]
			switch {
			case inItem && depth == setDepth+2 && string(name) == idTag && idStart >= 0:
				cur.id = string(body[idStart:lt])
				idStart = -1
			case inItem && depth == setDepth+1 && string(name) == "item":
				cur.end = i
				items = append(items, cur)
				inItem = false
			case depth == setDepth && string(name) == setTag:
				done, setDepth = true, -2
			}
			depth--
			if depth < 0 {
				return nil, false
			}
		default:
			depth++
			name := tagName(tag)
			switch {
			case setDepth == -1 && string(name) == setTag:
				setDepth = depth
			case setDepth > 0 && depth == setDepth+1 && string(name) == "item":
				inItem, cur = true, rawItem{start: lt}
			case inItem && depth == setDepth+2 && string(name) == idTag && cur.id == "":
				idStart = i
			}
		}
	}
	if depth != 0 || inItem || !done && setDepth != -1 {
		return nil, false
	}
	return items, true
}

// tagName is the element name of a start tag's inside (`name attr="…"`).
func tagName(tag []byte) []byte {
	if j := bytes.IndexAny(tag, " \t\r\n"); j >= 0 {
		return tag[:j]
	}
	return tag
}
