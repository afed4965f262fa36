package awsclient

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// GuardRequestBodies returns c sending each request body to the transport as a
// plain reader (Read and Close only).
//
// The SDK closes a request's body as soon as the response headers arrive, and
// its closed body answers WriteTo with io.EOF. net/http, once it has written
// Content-Length bytes, still drains the body to check nothing is left over,
// through WriteTo when the body has it; when the response came first (a fast
// endpoint, a busy machine), that io.EOF is a failed request write to it, and it
// closes the connection under the response body the SDK is reading: the call
// fails with "use of closed network connection". A plain reader's io.EOF is
// the end of the body, as it should be.
func GuardRequestBodies(c aws.HTTPClient) aws.HTTPClient {
	return requestBodyGuard{c}
}

type requestBodyGuard struct{ next aws.HTTPClient }

// Do implements aws.HTTPClient.
func (g requestBodyGuard) Do(req *http.Request) (*http.Response, error) {
	if _, ok := req.Body.(io.WriterTo); ok {
		req = req.Clone(req.Context())
		req.Body = plainBody{req.Body}
	}
	return g.next.Do(req)
}

// plainBody hides every method of a request body but Read and Close.
type plainBody struct{ body io.ReadCloser }

func (b plainBody) Read(p []byte) (int, error) { return b.body.Read(p) }
func (b plainBody) Close() error               { return b.body.Close() }
