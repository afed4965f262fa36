package ec2sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// xmlTag is one element of a tagSet.
type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// xmlReturn is the body of actions that answer only <return>true</return>.
type xmlReturn struct {
	Return bool `xml:"return"`
}

// writeResult writes a successful EC2 Query response: the body's fields
// inside <ActionResponse xmlns=…><requestId>…</requestId>…</ActionResponse>.
func writeResult(w http.ResponseWriter, action, requestID string, body any) {
	var inner bytes.Buffer
	enc := xml.NewEncoder(&inner)
	if err := enc.EncodeElement(body, xml.StartElement{Name: xml.Name{Local: "r"}}); err != nil {
		writeError(w, requestID, errf("InternalError", "encoding response: %v", err))
		return
	}
	fields := strings.TrimSuffix(strings.TrimPrefix(inner.String(), "<r>"), "</r>")
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="%s"><requestId>%s</requestId>%s</%sResponse>`,
		action, ec2Namespace, requestID, fields, action)
}

// writeError writes an EC2 error document with the error's HTTP status.
func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
		escape(e.Code), escape(e.Message), requestID)
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
