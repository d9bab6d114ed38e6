package demo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/document/testdoc"
)

func TestLatestCode(t *testing.T) {
	sink := strings.Join([]string{
		`{"time":"2026-01-01T00:00:00Z","to":"+8613800138000","code":"111111","binding":"e1"}`,
		`{"time":"2026-01-01T00:01:00Z","to":"+8613900139000","code":"222222","binding":"e2"}`,
		`{"time":"2026-01-01T00:02:00Z","to":"+8613800138000","code":"333333","binding":"e1"}`,
		`{"time":"2026-01-01T00:03:00Z","to":"+86138`, // cut by a crash
	}, "\n")
	tests := []struct {
		name, enrolment, to, want string
		wantOK                    bool
	}{
		{"latest of an enrolment", "e1", "", "333333", true},
		{"by number", "", "+8613900139000", "222222", true},
		{"unknown", "e3", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := LatestCode(strings.NewReader(sink), tt.enrolment, tt.to)
			if err != nil || ok != tt.wantOK || got.Code != tt.want {
				t.Errorf("LatestCode = %+v, %v, %v; want %q, %v", got, ok, err, tt.want, tt.wantOK)
			}
		})
	}
}

// A demo face capture of a synthetic person matches that person's portrait
// and not another's, through the same matcher serve uses.
func TestFaceCaptureMatchesPortrait(t *testing.T) {
	m, err := biometric.NewCosineMatcher(biometric.NewAppearanceExtractor(), biometric.AppearanceThreshold)
	if err != nil {
		t.Fatal(err)
	}
	r := mrand.New(mrand.NewPCG(1, 2))
	for seed := uint64(1); seed <= 5; seed++ {
		portrait, err := testdoc.Portrait(seed)
		if err != nil {
			t.Fatal(err)
		}
		ref := biometric.Reference{Image: portrait, Format: biometric.FormatJPEG}
		same, err := FaceCapture(seed, r)
		if err != nil {
			t.Fatal(err)
		}
		other, err := FaceCapture(seed+100, r)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Match(context.Background(), biometric.Capture{Image: same, Format: biometric.FormatJPEG}, ref)
		if err != nil || !res.Match {
			t.Errorf("seed %d: own capture: %+v, %v; want a match", seed, res, err)
		}
		res, err = m.Match(context.Background(), biometric.Capture{Image: other, Format: biometric.FormatJPEG}, ref)
		if err != nil || res.Match {
			t.Errorf("seed %d: another person's capture: %+v, %v; want no match", seed, res, err)
		}
	}
}

func TestRoutes(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, "intl", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Reopening reuses the documents and the detector key.
	d2, err := Open(dir, "intl", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d2.LivenessKey().ID != d.LivenessKey().ID || d2.Manifest().Generated != d.Manifest().Generated {
		t.Error("reopening the demo made new documents or a new detector")
	}
	if _, err := Open(dir, "sm", nil); err == nil {
		t.Error("opening the intl demo as sm succeeded, want a refusal")
	}
	problem := func(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": slug, "detail": detail})
	}
	mux := http.NewServeMux()
	for p, h := range d.Routes(problem) {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, body := get("/demo")
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"name":"adult"`)) {
		t.Fatalf("/demo = %d %s", res.StatusCode, body)
	}
	if res, body = get("/demo/documents/adult/chip"); res.StatusCode != 200 || !bytes.Contains(body, []byte("netid-chip/1")) {
		t.Errorf("chip = %d", res.StatusCode)
	}
	if res, _ = get("/demo/documents/nobody/chip"); res.StatusCode != 404 {
		t.Errorf("unknown document = %d, want 404", res.StatusCode)
	}
	res, face := get("/demo/documents/adult/face")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("face = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ = get("/demo/sms?enrolment=x"); res.StatusCode != 404 {
		t.Errorf("sms before any code = %d, want 404", res.StatusCode)
	}

	// The attestation verifies against the detector key the demo trusts,
	// for this challenge and this image only.
	challenge, err := biometric.NewChallenge(nil)
	if err != nil {
		t.Fatal(err)
	}
	reqBody, _ := json.Marshal(map[string]string{"challenge": challenge, "image": base64.StdEncoding.EncodeToString(face)})
	res, err = http.Post(srv.URL+"/demo/liveness", "application/json", bytes.NewReader(reqBody))
	if err != nil {
		t.Fatal(err)
	}
	var att struct{ Attestation string }
	if err := json.NewDecoder(res.Body).Decode(&att); err != nil || res.StatusCode != 200 {
		t.Fatalf("liveness = %d, %v", res.StatusCode, err)
	}
	res.Body.Close()
	v, err := biometric.NewLivenessVerifier([]biometric.TrustedKey{d.LivenessKey()})
	if err != nil {
		t.Fatal(err)
	}
	capture := biometric.Capture{Image: face, Format: biometric.FormatJPEG}
	if err := v.VerifyLiveness(biometric.LivenessAttestation(att.Attestation), capture, challenge, time.Now()); err != nil {
		t.Errorf("the demo's attestation does not verify: %v", err)
	}
	if err := v.VerifyLiveness(biometric.LivenessAttestation(att.Attestation), capture, challenge+"x", time.Now()); err == nil {
		t.Error("the attestation verified for another challenge")
	}
	if res, err = http.Post(srv.URL+"/demo/liveness", "application/json", strings.NewReader(`{"challenge":1}`)); err != nil || res.StatusCode != 400 {
		t.Errorf("malformed liveness request = %v, %v; want 400", res.StatusCode, err)
	}
}
