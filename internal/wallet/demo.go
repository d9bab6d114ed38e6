package wallet

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The demo routes exist only on a server started with `netid serve
// --demo`. They hand out synthetic documents and play the parts a phone
// would: the camera (a face of the document's synthetic person), the
// liveness detector (an attestation signed by a development key that the
// demo server trusts) and the SMS inbox (the code the development sink
// sent).

// DemoIndex is the answer of GET /demo.
type DemoIndex struct {
	Documents   []DemoDocument `json:"documents"`
	SMSURL      string         `json:"sms_url"`
	LivenessURL string         `json:"liveness_url"`
}

// DemoDocument is one synthetic document of the demo server.
type DemoDocument struct {
	Name       string `json:"name"`
	ChipURL    string `json:"chip_url"`
	FaceURL    string `json:"face_url"`
	PrintedMRZ string `json:"printed_mrz"`
	AgeYears   int    `json:"age_years"`
	// Expect is the verdict the document should get and Reason, for a
	// document broken on purpose, why it is refused.
	Expect string `json:"expect"`
	Reason string `json:"reason,omitempty"`
}

// DemoSMS is the latest code the demo server's development sink sent to
// a number.
type DemoSMS struct {
	Code   string    `json:"code"`
	SentAt time.Time `json:"sent_at"`
}

// demoDocPath returns /demo/documents/{name}/suffix, the name escaped.
func demoDocPath(name, suffix string) string {
	return "/demo/documents/" + url.PathEscape(name) + suffix
}

// Demo returns the demo server's index (GET /demo).
func (c *Client) Demo(ctx context.Context) (*DemoIndex, error) {
	var out DemoIndex
	err := c.do(ctx, call{method: http.MethodGet, path: "/demo", out: &out, want: []int{http.StatusOK}})
	return &out, err
}

// DemoChip returns the chip dump of demo document name.
func (c *Client) DemoChip(ctx context.Context, name string) (json.RawMessage, error) {
	b, _, err := c.getBinary(ctx, demoDocPath(name, "/chip"), nil)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, errorf(ErrResponse, "the chip dump of demo document %q is not JSON", name)
	}
	return b, nil
}

// DemoFace returns a "live capture" (JPEG) of demo document name's
// synthetic person; seed > 0 asks for the face of the synthetic person of
// that portrait seed instead (to try a face mismatch).
func (c *Client) DemoFace(ctx context.Context, name string, seed int) ([]byte, error) {
	var q url.Values
	if seed > 0 {
		q = url.Values{"seed": {strconv.Itoa(seed)}}
	}
	b, _, err := c.getBinary(ctx, demoDocPath(name, "/face"), q)
	return b, err
}

// DemoLiveness asks the demo liveness detector to attest image for
// challenge.
func (c *Client) DemoLiveness(ctx context.Context, challenge string, image []byte) (string, error) {
	in := struct {
		Challenge string `json:"challenge"`
		Image     string `json:"image"`
	}{challenge, base64.StdEncoding.EncodeToString(image)}
	var out struct {
		Attestation string `json:"attestation"`
	}
	if err := c.do(ctx, call{method: http.MethodPost, path: "/demo/liveness", in: in, out: &out, want: []int{http.StatusOK}}); err != nil {
		return "", err
	}
	if out.Attestation == "" {
		return "", errorf(ErrResponse, "the demo liveness attestation is empty")
	}
	return out.Attestation, nil
}

// DemoSMS returns the latest code sent to number (E.164).
func (c *Client) DemoSMS(ctx context.Context, number string) (*DemoSMS, error) {
	var out DemoSMS
	err := c.do(ctx, call{method: http.MethodGet, path: "/demo/sms", query: url.Values{"to": {number}}, out: &out,
		want: []int{http.StatusOK}})
	return &out, err
}

// DemoSource takes everything an enrolment needs from the demo server,
// for one demo document: use its methods as EnrolOptions' Code, Face and
// Liveness.
type DemoSource struct {
	c   *Client
	doc DemoDocument
	// FaceSeed, when positive, asks the demo camera for the face of the
	// synthetic person of that portrait seed instead of the holder's.
	FaceSeed int
}

// NewDemoSource looks demo document name up on the demo server. An
// unknown name is refused with the names the server has.
func NewDemoSource(ctx context.Context, c *Client, name string) (*DemoSource, error) {
	idx, err := c.Demo(ctx)
	if err != nil {
		if p := errorsAsProblem(err); p != nil && p.Status == http.StatusNotFound {
			return nil, fmt.Errorf("the server at %s has no demo documents: start it with netid serve --demo", c.Server())
		}
		return nil, err
	}
	names := make([]string, 0, len(idx.Documents))
	for _, d := range idx.Documents {
		if d.Name == name {
			return &DemoSource{c: c, doc: d}, nil
		}
		names = append(names, cleanText(d.Name))
	}
	sort.Strings(names)
	return nil, fmt.Errorf("the demo server has no document %q; it has: %s", name, strings.Join(names, ", "))
}

// Document returns the demo document's description.
func (d *DemoSource) Document() DemoDocument { return d.doc }

// Evidence returns the document's chip dump and printed MRZ.
func (d *DemoSource) Evidence(ctx context.Context) (*Evidence, error) {
	chip, err := d.c.DemoChip(ctx, d.doc.Name)
	if err != nil {
		return nil, err
	}
	return &Evidence{Chip: chip, PrintedMRZ: d.doc.PrintedMRZ}, nil
}

// Face is a FaceFunc: the demo camera.
func (d *DemoSource) Face(ctx context.Context) ([]byte, error) {
	return d.c.DemoFace(ctx, d.doc.Name, d.FaceSeed)
}

// Liveness is a LivenessFunc: the demo liveness detector.
func (d *DemoSource) Liveness(ctx context.Context, challenge string, image []byte) (string, error) {
	return d.c.DemoLiveness(ctx, challenge, image)
}

// Code is a CodeFunc: the demo SMS inbox. The development sink may
// deliver a moment after the send was answered, so a missing code is
// asked for again a few times.
func (d *DemoSource) Code(ctx context.Context, number string) (string, error) {
	const tries = 10
	for i := 0; ; i++ {
		sms, err := d.c.DemoSMS(ctx, number)
		if err == nil && sms.Code != "" {
			return sms.Code, nil
		}
		if err == nil {
			err = errorf(ErrResponse, "the demo SMS inbox returned an empty code")
		}
		if p := errorsAsProblem(err); p == nil || p.Status != http.StatusNotFound || i == tries-1 {
			return "", fmt.Errorf("reading the demo SMS inbox for %s: %w", number, err)
		}
		if err := d.c.sleep(ctx, 200*time.Millisecond); err != nil {
			return "", err
		}
	}
}
