package ec2cache

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// rawSet names the result set of one Describe action in EC2's XML and the ID
// element of its members.
type rawSet struct{ set, id string }

var (
	endpointSet = rawSet{set: "vpcEndpointSet", id: "vpcEndpointId"}
	groupSet    = rawSet{set: "securityGroupInfo", id: "groupId"}
)

// rawReads is what the reads of one fetch learnt of the raw members: the hash
// of every member by ID, and the members cut out because the store already
// held them byte for byte (they are in the store, not in the decoded answer).
type rawReads struct {
	hashes    map[string]uint64
	unchanged []string
}

func (r *rawReads) add(u *unchangedItems) {
	if len(u.hashes) == 0 {
		return
	}
	if r.hashes == nil {
		r.hashes = make(map[string]uint64, len(u.hashes))
	}
	for id, h := range u.hashes {
		r.hashes[id] = h
	}
	r.unchanged = append(r.unchanged, u.skipped...)
}

// unchangedItems cuts out of one Describe response, before the SDK decodes it,
// the members the store already holds exactly as EC2 sends them: a listing of
// thousands of owned resources that mostly did not change then costs a scan
// of its bytes, not the decoding (and garbage) of every member. It also lets
// one response of an account and region be decoded at a time (slot), so the
// memory of decoding does not grow with the reads in flight.
//
// One value serves one call (one page) and is used by one goroutine: the SDK
// runs a call's middleware in the caller's goroutine, one attempt at a time.
type unchangedItems struct {
	rawSet
	// known returns the hash the store holds for an ID (0: none).
	known func(id string) uint64
	// slot, when set, is held from the response's arrival until it is decoded.
	slot chan struct{}
	// buf, when set with slot, is the buffer the body is read into: one per
	// slot, used only by its holder, so pages do not each allocate their own.
	buf *[]byte
	// counter, when set, counts the members cut out.
	counter *atomic.Int64

	held    bool
	hashes  map[string]uint64 // every member of the last attempt's response
	skipped []string          // the members cut out of it
}

// option adds the middleware to one call.
func (u *unchangedItems) option(o *ec2.Options) {
	o.APIOptions = append(o.APIOptions, u.addTo)
}

func (u *unchangedItems) addTo(st *middleware.Stack) error {
	// Around the SDK's decoding (before it in the chain): give the slot back
	// once decoded. Inside it (after): cut the body before it is decoded.
	if err := st.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("vpceDecodeSlot", u.release), "OperationDeserializer", middleware.Before); err != nil {
		return err
	}
	return st.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("vpceUnchangedItems", u.cut), "OperationDeserializer", middleware.After)
}

func (u *unchangedItems) release(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if u.held {
		<-u.slot
		u.held = false
	}
	return out, md, err
}

func (u *unchangedItems) cut(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	u.hashes, u.skipped = nil, nil
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode != 200 || resp.Body == nil {
		return out, md, err
	}
	if u.slot != nil {
		select {
		case u.slot <- struct{}{}:
			u.held = true
		case <-ctx.Done():
			return out, md, ctx.Err()
		}
	}
	var into []byte
	if u.held && u.buf != nil {
		into = (*u.buf)[:0]
	}
	body, err := readAll(into, resp.Body, resp.ContentLength)
	_ = resp.Body.Close()
	if u.held && u.buf != nil {
		*u.buf = body[:0]
		if cap(body) > maxKeptBuffer {
			*u.buf = nil
		}
	}
	if err != nil {
		return out, md, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(u.rewrite(body)))
	return out, md, nil
}

// maxKeptBuffer is the largest body buffer kept for the next response.
const maxKeptBuffer = 16 << 20

// readAll appends r's bytes to b, sized up front when the length is known.
func readAll(b []byte, r io.Reader, length int64) ([]byte, error) {
	if length > 0 && length < maxKeptBuffer && int64(cap(b)) < length+1 {
		b = make([]byte, 0, length+1) // +1: the read that sees io.EOF
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// rewrite returns body without the members the store holds unchanged, noting
// every member's hash and the IDs cut. It compacts body in place.
func (u *unchangedItems) rewrite(body []byte) []byte {
	items, ok := scanItems(body, u.set, u.id)
	if !ok || len(items) == 0 {
		return body
	}
	u.hashes = make(map[string]uint64, len(items))
	out, last := body[:0], 0
	for _, it := range items {
		if it.id == "" {
			continue
		}
		// Hashed before anything is moved over it: out never grows past it.start.
		h := rawHash(body[it.start:it.end])
		u.hashes[it.id] = h
		if u.known != nil && u.known(it.id) == h {
			out = append(out, body[last:it.start]...)
			last = it.end
			u.skipped = append(u.skipped, it.id)
		}
	}
	if u.counter != nil {
		u.counter.Add(int64(len(u.skipped)))
	}
	return append(out, body[last:]...)
}

// unchangedOf returns the middleware of one call reading members of set, which
// the store s may hold already.
func unchangedOf[T any](c *Client, set rawSet, s *owned[T]) *unchangedItems {
	return &unchangedItems{rawSet: set, known: s.rawHashOf, slot: c.decodeSlot, buf: &c.decodeBuf, counter: &c.undecoded}
}
