package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

func TestEnrolmentAdultOverHTTP(t *testing.T) {
	for _, suiteName := range []string{"intl", "sm"} {
		t.Run(suiteName, func(t *testing.T) {
			e := newEnEnv(t, enroltest.WithSuite(suiteName))
			res := e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("E12345678", 35, 11), nil))
			w := e.wallet(res)
			if got, want := res.header.Get("Location"), "/v1/enrolments/"+w.started.ID; got != want {
				t.Errorf("Location = %q, want %q", got, want)
			}
			st := w.started
			if st.Next != "phone" || st.AgeGroup != "adult" || st.Pathway != "document-chip" || st.PhoneOptional || len(st.Token) < 43 || st.CSRNonce == "" {
				t.Errorf("start = %+v; want next phone, adult, document-chip, phone required, a token and a CSR nonce", st)
			}
			if got := w.status(); got.State != "created" || got.Next != "phone" || got.ExpiresAt != st.ExpiresAt {
				t.Errorf("status = %+v, want created, next phone, expiring at %s", got, st.ExpiresAt)
			}

			done := w.run("13800138000", 11)
			if done.Status != "active" || done.Pathway != "document-chip" || done.AssuranceCeiling != "high" || done.GuardianApprovalCode != "" {
				t.Errorf("completed = status %q pathway %q ceiling %q approval code %q; want active, document-chip, high, none",
					done.Status, done.Pathway, done.AssuranceCeiling, done.GuardianApprovalCode)
			}
			checkCompleted(t, e, w, done)

			if got := w.status(); got.State != "completed" || got.Next != "none" {
				t.Errorf("status after completion = %+v, want completed, next none", got)
			}
			p := w.post("/complete", map[string]any{"csr": w.csrPEM()}).want(t, http.StatusConflict).problem(t)
			if p.Type != ProblemTypeBase+"wrong-step" || !strings.Contains(p.Detail, "completed already") {
				t.Errorf("second completion = %+v, want wrong-step, completed already", p)
			}
			// Nothing secret or personal reached the logs.
			logs := e.logs.String()
			for what, secret := range map[string]string{
				"token": st.Token, "password": enPassword, "SMS code": e.SMS.Code(st.ID), "phone number": "13800138000",
				"dynamic-code secret": base64.StdEncoding.EncodeToString(done.DynamicCode.Secret),
				"opening salt":        base64.StdEncoding.EncodeToString(done.Openings[0].Salt),
			} {
				if secret == "" || strings.Contains(logs, secret) {
					t.Errorf("the %s (%q) is in the logs or empty", what, secret)
				}
			}
		})
	}
}

// checkCompleted verifies the completion response as a wallet would: the
// certificate chains to the CA certificates of the response (which are the
// CA's), names the internet number, certifies the device key, and every
// opening opens one of its commitments; the dynamic code is RFC 6238 with
// the stated parameters.
func checkCompleted(t *testing.T, e *enEnv, w *enWallet, done completedResponse) {
	t.Helper()
	number, err := credential.ParseInternetNumber(done.InternetNumber)
	if err != nil || string(number) != done.InternetNumber || number.Display() != done.InternetNumberDisplay {
		t.Errorf("internet number %q (display %q): %v; want canonical, displayed as %q", done.InternetNumber, done.InternetNumberDisplay, err, number.Display())
	}
	block, rest := pem.Decode([]byte(done.CertificatePEM))
	if block == nil || block.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("certificate_pem is not one CERTIFICATE block: %q", done.CertificatePEM)
	}
	cert, err := e.Suite.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("ParseCertificate() error = %v", err)
	}
	var caCerts []string
	rest = []byte(done.CAPEM)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		caCerts = append(caCerts, string(b.Bytes))
	}
	want, err := e.CA.CACertificates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(caCerts) != len(want) || len(want) == 0 || caCerts[0] != string(want[0].Raw) {
		t.Fatalf("ca_pem holds %d certificates, want the CA's %d", len(caCerts), len(want))
	}
	v, err := credential.VerifyCertificate(e.Suite, cert, want, e.Clock.Now())
	if err != nil {
		t.Fatalf("VerifyCertificate() error = %v", err)
	}
	if string(v.InternetNumber) != done.InternetNumber || credential.FormatSerial(v.Serial) != done.Serial {
		t.Errorf("certificate for %q serial %s, want %q serial %s", v.InternetNumber, credential.FormatSerial(v.Serial), done.InternetNumber, done.Serial)
	}
	gotKey, err1 := e.Suite.MarshalPublicKey(v.DevicePublicKey)
	wantKey, err2 := e.Suite.MarshalPublicKey(w.device.Public())
	if err1 != nil || err2 != nil || string(gotKey) != string(wantKey) {
		t.Errorf("the certificate's key is not the device key (%v, %v)", err1, err2)
	}
	byName := map[string]credential.Commitment{}
	for _, c := range v.Commitments {
		byName[c.Attribute] = c
	}
	if len(done.Openings) != len(v.Commitments) || byName["name"].Attribute == "" || byName["birth_date"].Attribute == "" {
		t.Errorf("%d openings for commitments %v, want one each, name and birth_date among them", len(done.Openings), v.Commitments)
	}
	for _, o := range done.Openings {
		if err := byName[o.Attribute].Verify(credential.Opening{Attribute: o.Attribute, Value: o.Value, Salt: o.Salt}); err != nil {
			t.Errorf("opening %q does not open its commitment: %v", o.Attribute, err)
		}
	}
	dc := done.DynamicCode
	if len(dc.Secret) < 20 || dc.Digits != 8 || dc.Period != 30 || dc.Algorithm != "SHA256" {
		t.Errorf("dynamic_code = %d-byte secret, %d digits, %d s, %s; want >= 20 bytes, 8, 30, SHA256", len(dc.Secret), dc.Digits, dc.Period, dc.Algorithm)
	}
}

func TestEnrolmentAuthorityOverHTTP(t *testing.T) {
	e := newEnEnv(t)
	body := map[string]any{"evidence": map[string]any{"authority": map[string]any{
		"doc_type": "resident-id-card", "number": e.card.Number, "name": e.card.Name, "birth_date": e.card.Birth.String()}}}
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", body))
	if w.started.Pathway != "document-authority" || w.started.AgeGroup != "adult" {
		t.Errorf("start = %+v, want document-authority, adult", w.started)
	}
	w.phone("13900139000")
	var fr faceResultResponse
	w.face(21, true).want(t, http.StatusOK).into(t, &fr)
	if fr.Matched || !fr.TemplateKept {
		t.Errorf("face = %+v, want liveness only (no portrait to match), template kept", fr)
	}
	w.post("/password", map[string]any{"password": enPassword}).want(t, http.StatusOK)
	var done completedResponse
	w.post("/complete", map[string]any{"csr": w.csrPEM()}).want(t, http.StatusCreated).into(t, &done)
	if done.Pathway != "document-authority" || done.AssuranceCeiling != "substantial" {
		t.Errorf("completed pathway %q ceiling %q, want document-authority, substantial", done.Pathway, done.AssuranceCeiling)
	}
	checkCompleted(t, e, w, done)
}

func TestEnrolmentChildByGuardian(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t)
	parent := e.enrolAdult("P00000001", 51, "13800138001")

	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "",
		chipBody(e.Passport("C00000001", 10, 52), guardianBody(parent.InternetNumberDisplay))))
	if w.started.AgeGroup != "child" || !w.started.PhoneOptional {
		t.Errorf("start = %+v, want a child whose phone is optional", w.started)
	}
	done := w.run("", 52)
	if done.Status != "active" || done.GuardianApprovalCode != "" {
		t.Errorf("completed status %q approval code %q, want active and none", done.Status, done.GuardianApprovalCode)
	}
	checkCompleted(t, e, w, done)

	child, err := e.Store.ResidentByNumber(ctx, done.InternetNumber)
	if err != nil {
		t.Fatal(err)
	}
	guardian, err := e.Store.ResidentByNumber(ctx, parent.InternetNumber)
	if err != nil {
		t.Fatal(err)
	}
	links, err := e.Service.Guardians(ctx, child.ID)
	if err != nil || len(links) != 1 || links[0].GuardianID != guardian.ID || links[0].Kind != enrol.LinkApplication ||
		links[0].Relationship != enrol.RelationshipParent || links[0].EvidenceKind != enrol.GuardianEvidenceHouseholdRegister {
		t.Errorf("Guardians(child) = %+v, %v; want one application link by the parent with a household register", links, err)
	}
}

func TestEnrolmentMinorApprovedByGuardian(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t)
	parent := e.enrolAdult("P00000002", 61, "13800138002")

	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("M00000001", 16, 62), nil)))
	if w.started.AgeGroup != "minor" || w.started.PhoneOptional {
		t.Errorf("start = %+v, want a minor who needs a phone", w.started)
	}
	done := w.run("13800138003", 62)
	if done.Status != "pending-guardian" || done.GuardianApprovalCode == "" {
		t.Fatalf("completed status %q approval code %q, want pending-guardian with a code", done.Status, done.GuardianApprovalCode)
	}
	checkCompleted(t, e, w, done)

	unknown, err := credential.NewInternetNumber(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	approval := func(guardianPassword, minor, code string) map[string]any {
		return map[string]any{
			"guardian":              map[string]any{"internet_number": parent.InternetNumber, "password": guardianPassword},
			"minor_internet_number": minor, "approval_code": code,
			"relationship": "legal-guardian", "evidence_kind": "court-order", "evidence_reference": "CO-77",
		}
	}
	refusals := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantType   string
		wantDetail string
	}{
		{"wrong code", approval(enPassword, done.InternetNumber, "AAAAAAAAAA-AAAAAAAAAA"), http.StatusForbidden, "not-a-guardian", "approval code does not match"},
		{"wrong password", approval("not the password at all", done.InternetNumber, done.GuardianApprovalCode), http.StatusUnauthorized, "bad-credentials", "incorrect"},
		{"unknown minor", approval(enPassword, string(unknown), done.GuardianApprovalCode), http.StatusNotFound, "not-found", "no account"},
		{"no relationship", func() map[string]any {
			b := approval(enPassword, done.InternetNumber, done.GuardianApprovalCode)
			delete(b, "relationship")
			return b
		}(),
			http.StatusBadRequest, "bad-request", "relationship: required"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			p := e.call(http.MethodPost, "/v1/guardian/approvals", "", tt.body).want(t, tt.wantStatus).problem(t)
			if p.Type != ProblemTypeBase+tt.wantType || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("problem = %+v, want %s containing %q", p, tt.wantType, tt.wantDetail)
			}
			if r, err := e.Store.ResidentByNumber(ctx, done.InternetNumber); err != nil || r.Status != enrol.StatusPendingGuardian {
				t.Errorf("minor after a refused approval: %q, %v; want still pending-guardian", r.Status, err)
			}
		})
	}

	var res approvalResponse
	e.call(http.MethodPost, "/v1/guardian/approvals", "", approval(enPassword, done.InternetNumber, done.GuardianApprovalCode)).
		want(t, http.StatusOK).into(t, &res)
	if res.Status != "approved" {
		t.Errorf("approval = %+v, want approved", res)
	}
	minor, err := e.Store.ResidentByNumber(ctx, done.InternetNumber)
	if err != nil || minor.Status != enrol.StatusActive {
		t.Fatalf("minor after approval: %q, %v; want active", minor.Status, err)
	}
	links, err := e.Service.Guardians(ctx, minor.ID)
	if err != nil || len(links) != 1 || links[0].Kind != enrol.LinkApproval || links[0].EvidenceKind != enrol.GuardianEvidenceCourtOrder {
		t.Errorf("Guardians(minor) = %+v, %v; want one approval link with a court order", links, err)
	}
	p := e.call(http.MethodPost, "/v1/guardian/approvals", "", approval(enPassword, done.InternetNumber, done.GuardianApprovalCode)).
		want(t, http.StatusForbidden).problem(t)
	if p.Type != ProblemTypeBase+"not-minor" {
		t.Errorf("second approval = %+v, want not-minor", p)
	}
}

func TestEnrolmentAssisted(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t)
	_, registrarToken, err := e.Service.CreateRegistrar(ctx, "Registrar office 1")
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"evidence": map[string]any{
		"kind": "refugee-registration", "reference": "UNHCR-123-456", "issuer": "UNHCR",
		"name": "AMINA TEST", "birth_date": e.BirthForAge(30).String(), "sex": "F", "notes": "no passport",
	}}

	for _, tt := range []struct {
		name, token string
		wantStatus  int
		wantType    string
	}{
		{"no token", "", http.StatusUnauthorized, "unauthorized"},
		{"unknown token", strings.Repeat("A", 43), http.StatusUnauthorized, "unauthorized"},
		{"malformed token", "not a token", http.StatusBadRequest, "bad-request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.enrolmentCount()
			res := e.call(http.MethodPost, "/v1/assisted-enrolments", tt.token, body).want(t, tt.wantStatus)
			if p := res.problem(t); p.Type != ProblemTypeBase+tt.wantType {
				t.Errorf("problem = %+v, want %s", p, tt.wantType)
			}
			if tt.wantStatus == http.StatusUnauthorized && !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", res.header.Get("WWW-Authenticate"))
			}
			if got := e.enrolmentCount(); got != before {
				t.Errorf("%d enrolments after a refused start, want %d", got, before)
			}
		})
	}

	w := e.wallet(e.call(http.MethodPost, "/v1/assisted-enrolments", registrarToken, body))
	if w.started.Pathway != "assisted" || !w.started.PhoneOptional || w.started.AgeGroup != "adult" {
		t.Errorf("start = %+v, want assisted, phone optional, adult", w.started)
	}
	done := w.run("", 71)
	if done.Pathway != "assisted" || done.AssuranceCeiling != "substantial" || done.Status != "active" {
		t.Errorf("completed pathway %q ceiling %q status %q, want assisted, substantial, active", done.Pathway, done.AssuranceCeiling, done.Status)
	}
	checkCompleted(t, e, w, done)
	if strings.Contains(e.logs.String(), registrarToken) {
		t.Error("the registrar token is in the logs")
	}
}
