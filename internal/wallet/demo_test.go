package wallet_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/wallet"
)

// fakeDemo serves the /demo routes of the API contract from a test
// server's issuer, liveness signer and SMS box: what `netid serve --demo`
// offers, so that the wallet's demo mode is tested against the contract
// and a real enrolment API.
type fakeDemo struct {
	ts   *testServer
	mu   sync.Mutex
	docs map[string]fakeDemoDoc
	// smsMisses is how many SMS lookups answer 404 before the code, as a
	// sink that delivers late would.
	smsMisses int
}

type fakeDemoDoc struct {
	evidence *wallet.Evidence
	seed     uint64
}

func (d *fakeDemo) add(name string, ev *wallet.Evidence, seed uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.docs[name] = fakeDemoDoc{evidence: ev, seed: seed}
}

func (d *fakeDemo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	writeJSON := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	notFound := func() {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"type":"urn:netid:problem:not-found","title":"Not Found","status":404,"detail":"no such demo resource"}`))
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/demo":
		var docs []map[string]any
		for name, doc := range d.docs {
			docs = append(docs, map[string]any{"name": name, "chip_url": "/demo/documents/" + name + "/chip",
				"face_url": "/demo/documents/" + name + "/face", "printed_mrz": doc.evidence.PrintedMRZ,
				"age_years": 35, "expect": "accepted"})
		}
		writeJSON(200, map[string]any{"documents": docs, "sms_url": "/demo/sms", "liveness_url": "/demo/liveness"})
	case len(parts) == 4 && parts[1] == "documents" && parts[3] == "chip":
		doc, ok := d.docs[parts[2]]
		if !ok {
			notFound()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc.evidence.Chip)
	case len(parts) == 4 && parts[1] == "documents" && parts[3] == "face":
		doc, ok := d.docs[parts[2]]
		if !ok {
			notFound()
			return
		}
		variant := uint64(1)
		if s := r.URL.Query().Get("seed"); s != "" {
			n, _ := strconv.Atoi(s)
			variant = uint64(n)
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(enroltest.LiveCapture(d.ts.t, doc.seed, variant))
	case r.URL.Path == "/demo/liveness" && r.Method == http.MethodPost:
		var in struct{ Challenge, Image string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		img, err := base64.StdEncoding.DecodeString(in.Image)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		att, err := d.ts.attest(r.Context(), in.Challenge, img)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeJSON(200, map[string]string{"attestation": att})
	case r.URL.Path == "/demo/sms":
		code, _ := d.ts.code(r.Context(), r.URL.Query().Get("to"))
		if code == "" || d.smsMisses > 0 {
			d.smsMisses--
			notFound()
			return
		}
		writeJSON(200, map[string]string{"code": code, "sent_at": d.ts.Clock.Now().Format("2006-01-02T15:04:05Z")})
	default:
		notFound()
	}
}

// `netid wallet enrol --demo NAME` in library form: everything from the
// demo endpoints, through the real enrolment API.
func TestEnrolDemo(t *testing.T) {
	srv := newTestServer(t, "sm")
	srv.demo.add("adult", srv.passport("E60000001", 35, 61), 61)
	srv.demo.smsMisses = 2
	c := srv.client()
	ctx := context.Background()

	if _, err := wallet.NewDemoSource(ctx, c, "nobody"); err == nil || !strings.Contains(err.Error(), "adult") {
		t.Errorf("NewDemoSource(unknown) error = %v, want one listing the documents", err)
	}
	demo, err := wallet.NewDemoSource(ctx, c, "adult")
	if err != nil {
		t.Fatalf("NewDemoSource() error = %v", err)
	}
	ev, err := demo.Evidence(ctx)
	if err != nil {
		t.Fatalf("Evidence() error = %v", err)
	}
	w := newWallet(t, suite.SM)
	acct, err := wallet.Enrol(ctx, w, c, wallet.EnrolOptions{
		Evidence: ev, Phone: "13800138061", Code: demo.Code, Face: demo.Face, Liveness: demo.Liveness, Password: goodPassword,
	})
	if err != nil {
		t.Fatalf("Enrol(demo) error = %v", err)
	}
	if !acct.Verified {
		t.Errorf("Verified = false, want true")
	}
}

// A server without the demo routes is named as such.
func TestDemoSourceWithoutDemo(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"type":"urn:netid:problem:not-found","title":"Not Found","status":404}`))
	}))
	defer plain.Close()
	c, err := wallet.NewClient(plain.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = wallet.NewDemoSource(context.Background(), c, "adult")
	if err == nil || !strings.Contains(err.Error(), "--demo") {
		t.Errorf("NewDemoSource() error = %v, want one saying to start the server with --demo", err)
	}
	var p *wallet.Problem
	if errors.As(err, &p) {
		t.Errorf("error is the raw problem %v, want the explanation", p)
	}
}
