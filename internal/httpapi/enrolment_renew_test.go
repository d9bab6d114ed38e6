package httpapi

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
)

// renewBody is a renewal of number by signer over challenge for key.
func (e *enEnv) renewBody(number, challenge string, key, signer crypto.Signer) map[string]any {
	e.t.Helper()
	csr, err := credential.CreateCSR(rand.Reader, key, challenge)
	if err != nil {
		e.t.Fatal(err)
	}
	spki, err := e.Suite.MarshalPublicKey(key.Public())
	if err != nil {
		e.t.Fatal(err)
	}
	sig, err := e.Suite.Sign(rand.Reader, signer, enrol.RenewMessage(challenge, spki))
	if err != nil {
		e.t.Fatal(err)
	}
	return map[string]any{
		"resident":             map[string]any{"internet_number": number, "password": enPassword},
		"challenge":            challenge,
		"csr":                  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})),
		"old_device_signature": base64.StdEncoding.EncodeToString(sig),
	}
}

func (e *enEnv) renewChallenge(number string) string {
	e.t.Helper()
	var ch renewChallengeResponse
	e.call(http.MethodPost, "/v1/residents/certificate/challenge", "", map[string]any{
		"resident": map[string]any{"internet_number": number, "password": enPassword},
	}).want(e.t, http.StatusOK).into(e.t, &ch)
	return ch.Challenge
}

// certificates is each certificate of number with its revocation reason.
func (e *enEnv) certificates(number string) map[string]string {
	e.t.Helper()
	recs, err := e.Store.CertificatesFor(context.Background(), number)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs {
		out[r.Serial] = ""
		if r.Revoked() {
			out[r.Serial] = r.Reason.String()
		}
	}
	return out
}

func TestRenewOverHTTP(t *testing.T) {
	e := newEnEnv(t)
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("N00000001", 30, 81), nil)))
	done := w.run("13800138081", 81)
	ow := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("N00000002", 31, 82), nil)))
	ow.run("13800138082", 82)
	number := done.InternetNumber
	newKey := func() crypto.Signer {
		k, err := e.Suite.GenerateSigner(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	before := e.certificates(number)

	refusals := []struct {
		name   string
		body   func() map[string]any
		status int
		slug   string
	}{
		{"no old device signature", func() map[string]any {
			b := e.renewBody(number, e.renewChallenge(number), newKey(), w.device)
			delete(b, "old_device_signature")
			return b
		}, http.StatusUnprocessableEntity, "old-device-required"},
		{"signature not base64", func() map[string]any {
			b := e.renewBody(number, e.renewChallenge(number), newKey(), w.device)
			b["old_device_signature"] = "%%%"
			return b
		}, http.StatusBadRequest, "bad-request"},
		{"another resident's device", func() map[string]any {
			return e.renewBody(number, e.renewChallenge(number), newKey(), ow.device)
		}, http.StatusForbidden, "device-signature"},
		{"CSR for another challenge", func() map[string]any {
			key := newKey()
			b := e.renewBody(number, e.renewChallenge(number), key, w.device)
			b["csr"] = e.renewBody(number, e.renewChallenge(number), key, w.device)["csr"]
			return b
		}, http.StatusBadRequest, "bad-csr"},
		{"forged challenge", func() map[string]any {
			return e.renewBody(number, e.renewChallenge(number)+"AA", newKey(), w.device)
		}, http.StatusUnprocessableEntity, "renew-challenge"},
		{"same key", func() map[string]any {
			return e.renewBody(number, e.renewChallenge(number), w.device, w.device)
		}, http.StatusUnprocessableEntity, "same-device-key"},
		{"wrong password", func() map[string]any {
			b := e.renewBody(number, e.renewChallenge(number), newKey(), w.device)
			b["resident"] = map[string]any{"internet_number": number, "password": "not the password at all"}
			return b
		}, http.StatusUnauthorized, "bad-credentials"},
		{"unknown member", func() map[string]any {
			b := e.renewBody(number, e.renewChallenge(number), newKey(), w.device)
			b["extra"] = true
			return b
		}, http.StatusBadRequest, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res := e.call(http.MethodPost, "/v1/residents/certificate/renew", "", tt.body()).want(t, tt.status)
			if p := res.problem(t); tt.slug != "" && p.Type != ProblemTypeBase+tt.slug {
				t.Errorf("problem type %q, want %q", p.Type, ProblemTypeBase+tt.slug)
			}
			if diff := cmp.Diff(before, e.certificates(number)); diff != "" {
				t.Errorf("certificates changed (-before +after):\n%s", diff)
			}
		})
	}

	key := newKey()
	var got renewedResponse
	e.call(http.MethodPost, "/v1/residents/certificate/renew", "", e.renewBody(number, e.renewChallenge(number), key, w.device)).
		want(t, http.StatusCreated).into(t, &got)
	block, _ := pem.Decode([]byte(got.CertificatePEM))
	if block == nil {
		t.Fatalf("certificate_pem %q is not PEM", got.CertificatePEM)
	}
	cert, err := e.Suite.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	cas, err := e.CA.CACertificates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := credential.VerifyCertificate(e.Suite, cert, cas, e.Clock.Now()); err != nil {
		t.Errorf("VerifyCertificate(new) error = %v", err)
	}
	if got.CAPEM == "" || cert.Subject.CommonName != number {
		t.Errorf("renewed certificate for %q, ca_pem %d bytes; want %q and the CA", cert.Subject.CommonName, len(got.CAPEM), number)
	}
	want := map[string]string{done.Serial: credential.ReasonSuperseded.String(), got.Serial: ""}
	if diff := cmp.Diff(want, e.certificates(number)); diff != "" {
		t.Errorf("certificates after renewal (-want +got):\n%s", diff)
	}
}

// TestRenewSchemasMatchTypes checks the renewal's schemas against the Go
// types, as TestOpenAPISchemasMatchTypes does for the other routes.
func TestRenewSchemasMatchTypes(t *testing.T) {
	schemas := docLookup(openAPIDoc(t), "components", "schemas").(map[string]any)
	tests := []struct {
		schema   string
		goType   any
		response bool
	}{
		{"RenewChallengeRequest", renewChallengeRequest{}, false},
		{"RenewChallenge", renewChallengeResponse{}, true},
		{"RenewRequest", renewRequest{}, false},
		{"Renewed", renewedResponse{}, true},
	}
	for _, tt := range tests {
		s, _ := schemas[tt.schema].(map[string]any)
		if s == nil {
			t.Fatalf("no schema %s", tt.schema)
		}
		all, always := jsonMembers(tt.goType)
		if diff := cmp.Diff(all, docKeys(s["properties"])); diff != "" {
			t.Errorf("members of %T vs schema %s (-Go +document):\n%s", tt.goType, tt.schema, diff)
		}
		if tt.response {
			if diff := cmp.Diff(always, docStrings(s["required"])); diff != "" {
				t.Errorf("required of %s (-Go +document):\n%s", tt.schema, diff)
			}
		}
	}
}
