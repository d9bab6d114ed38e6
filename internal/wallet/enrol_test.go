package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/wallet"
)

// An enrolment through the HTTP API ends with a certificate that verifies,
// for the wallet's device key, in every combination of CA suite and device
// key the service supports (a P-256 device key under an sm CA included).
func TestEnrolEndToEnd(t *testing.T) {
	tests := []struct {
		server string
		device suite.Name
	}{
		{"intl", suite.Intl},
		{"sm", suite.SM},
		{"sm", suite.Intl},
	}
	for _, tt := range tests {
		t.Run(tt.server+"-server/"+string(tt.device)+"-device", func(t *testing.T) {
			srv := newTestServer(t, tt.server)
			w := newWallet(t, tt.device)
			var progress bytes.Buffer
			o := srv.options("E10000001", 11, "+8613800138001")
			o.Progress = &progress
			acct, err := wallet.Enrol(context.Background(), w, srv.client(), o)
			if err != nil {
				t.Fatalf("Enrol() error = %v\nprogress:\n%s", err, progress.String())
			}
			if !acct.Verified {
				t.Errorf("Verified = false, want true")
			}
			if acct.Status != "active" {
				t.Errorf("Status = %q, want active", acct.Status)
			}
			if _, err := credential.ParseInternetNumber(acct.InternetNumber); err != nil {
				t.Errorf("internet number %q: %v", acct.InternetNumber, err)
			}
			for _, want := range []string{"Document accepted", "Phone number confirmed", "matched the photo", "Password set", "certificate verified"} {
				if !strings.Contains(progress.String(), want) {
					t.Errorf("progress lacks %q:\n%s", want, progress.String())
				}
			}

			// What was saved is what was returned, and survives reopening.
			re, err := wallet.Open(w.Dir())
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			st := re.State()
			if st.Account == nil || st.Account.InternetNumber != acct.InternetNumber || st.Enrolment != nil {
				t.Fatalf("reopened state: account %+v, enrolment %+v; want the account and no enrolment", st.Account, st.Enrolment)
			}
			if st.Server != srv.client().Server() {
				t.Errorf("Server = %q, want %q", st.Server, srv.client().Server())
			}
			if _, err := wallet.VerifyAccount(st.Account, re.Signer().Public(), time.Now()); err != nil {
				t.Errorf("VerifyAccount(reopened) error = %v", err)
			}
			cert, err := re.Certificate()
			if err != nil {
				t.Fatal(err)
			}
			if cert.Subject.CommonName != acct.InternetNumber {
				t.Errorf("certificate CN = %q, want %q", cert.Subject.CommonName, acct.InternetNumber)
			}

			// The dynamic code is the server's: RFC 6238 with the secret
			// it provisioned.
			now := time.Now()
			dc, err := re.DynamicCode(now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := credential.NewDynamicCode(st.Account.DynamicCode.Secret).Verify(dc.Code, now, 0); err != nil {
				t.Errorf("dynamic code %q does not verify: %v", dc.Code, err)
			}
			if !dc.ValidUntil.After(now) || dc.ValidUntil.Sub(now) > 30*time.Second {
				t.Errorf("ValidUntil = %v, want within 30 s after %v", dc.ValidUntil, now)
			}

			// A wallet enrols once.
			if _, err := wallet.Enrol(context.Background(), re, srv.client(), srv.options("E10000002", 12, "+8613800138002")); !errors.Is(err, wallet.ErrAlreadyEnrolled) {
				t.Errorf("second Enrol() error = %v, want ErrAlreadyEnrolled", err)
			}
		})
	}
}

// An SM2 device key is refused before anything is sent when the server's
// CA is of the intl suite, which could not certify it at the end.
func TestEnrolRefusesSM2KeyForIntlServer(t *testing.T) {
	srv := newTestServer(t, "intl")
	w := newWallet(t, suite.SM)
	_, err := wallet.Enrol(context.Background(), w, srv.client(), srv.options("E10000009", 19, "+8613800138009"))
	if !errors.Is(err, wallet.ErrDeviceKeySuite) {
		t.Fatalf("Enrol() error = %v, want ErrDeviceKeySuite", err)
	}
	if w.State().Enrolment != nil || srv.SMS.Count() != 0 {
		t.Errorf("an enrolment was started (saved %v, SMS sent %d)", w.State().Enrolment, srv.SMS.Count())
	}
}

// The authority pathway has no portrait: the face is checked for liveness
// only, and the progress says so.
func TestEnrolAuthorityPathway(t *testing.T) {
	srv := newTestServer(t, "intl")
	w := newWallet(t, suite.Intl)
	var progress bytes.Buffer
	card := srv.card
	acct, err := wallet.Enrol(context.Background(), w, srv.client(), wallet.EnrolOptions{
		Evidence: &wallet.Evidence{Authority: &card}, Phone: "13800138003", Code: srv.code,
		Face: face(t, 3), Liveness: srv.attest, Password: goodPassword, Progress: &progress,
	})
	if err != nil {
		t.Fatalf("Enrol() error = %v", err)
	}
	if acct.Pathway != "document-authority" {
		t.Errorf("Pathway = %q, want document-authority", acct.Pathway)
	}
	if !strings.Contains(progress.String(), "no photo to compare") {
		t.Errorf("progress lacks the liveness-only line:\n%s", progress.String())
	}
}

// An enrolment stopped for a missing code resumes from the server's state
// on the next call, without sending a second SMS and without the document.
func TestEnrolResumesAfterMissingCode(t *testing.T) {
	srv := newTestServer(t, "intl")
	w := newWallet(t, suite.Intl)
	c := srv.client()
	o := srv.options("E10000004", 14, "+8613800138004")
	o.Code = wallet.StaticCode("")
	_, err := wallet.Enrol(context.Background(), w, c, o)
	var need *wallet.InputNeededError
	if !errors.As(err, &need) || need.Input != wallet.InputCode {
		t.Fatalf("Enrol() error = %v, want InputNeededError for the code", err)
	}
	if need.SentTo == "" || strings.Contains(need.SentTo, "13800138004") {
		t.Errorf("SentTo = %q, want the redacted number", need.SentTo)
	}
	if got := w.Summary(false, time.Now()).Status; got != wallet.StatusEnrolling {
		t.Errorf("Summary().Status = %q, want %q", got, wallet.StatusEnrolling)
	}
	sends := srv.SMS.Count()

	// The second run has neither the document nor the number: the wallet
	// knows where it stands.
	re, err := wallet.Open(w.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	acct, err := wallet.Enrol(context.Background(), re, c, wallet.EnrolOptions{
		Code: srv.code, Face: o.Face, Liveness: o.Liveness, Password: goodPassword, Progress: &progress,
	})
	if err != nil {
		t.Fatalf("resumed Enrol() error = %v\n%s", err, progress.String())
	}
	if !acct.Verified {
		t.Errorf("Verified = false, want true")
	}
	if got := srv.SMS.Count(); got != sends {
		t.Errorf("SMS sent = %d after resuming, want %d (no second code)", got, sends)
	}
	if !strings.Contains(progress.String(), "Resuming your enrolment (next step: phone)") {
		t.Errorf("progress lacks the resume line:\n%s", progress.String())
	}
}

// A liveness attestation made outside the wallet, from a file: the first
// run stops with the challenge to attest, an attestation for another
// challenge is not sent, and one for the saved challenge completes.
func TestEnrolLivenessFromFile(t *testing.T) {
	srv := newTestServer(t, "intl")
	w := newWallet(t, suite.Intl)
	c := srv.client()
	dir := t.TempDir()
	facePath, attPath := filepath.Join(dir, "face.jpg"), filepath.Join(dir, "liveness.jws")
	img := enroltest.LiveCapture(t, 15, 1)
	if err := os.WriteFile(facePath, img, 0o600); err != nil {
		t.Fatal(err)
	}
	o := srv.options("E10000005", 15, "+8613800138005")
	o.Face, o.Liveness = wallet.FaceFromFile(facePath), wallet.LivenessFromFile("")

	_, err := wallet.Enrol(context.Background(), w, c, o)
	var need *wallet.InputNeededError
	if !errors.As(err, &need) || need.Input != wallet.InputLiveness || need.Challenge == "" {
		t.Fatalf("Enrol() error = %v, want InputNeededError for a liveness attestation with its challenge", err)
	}
	challenge := need.Challenge

	// An attestation for another challenge is caught by the wallet.
	other, err := srv.attest(context.Background(), "another-challenge-0123456789", img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(attPath, []byte(other+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.Evidence, o.Liveness = nil, wallet.LivenessFromFile(attPath)
	_, err = wallet.Enrol(context.Background(), w, c, o)
	if !errors.As(err, &need) || need.Challenge != challenge || need.Reason == "" {
		t.Fatalf("Enrol(other challenge) error = %v, want InputNeededError for challenge %q with a reason", err, challenge)
	}

	good, err := srv.attest(context.Background(), challenge, img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(attPath, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.Enrol(context.Background(), w, c, o); err != nil {
		t.Fatalf("Enrol(attested) error = %v", err)
	}
}

// The server's refusals reach the resident as its problem details.
func TestEnrolRefusals(t *testing.T) {
	srv := newTestServer(t, "intl")
	c := srv.client()
	srv.enrolAdult(suite.Intl, "E10000006", 16, "+8613800138006")

	tests := []struct {
		name     string
		change   func(*wallet.EnrolOptions)
		wantSlug string
	}{
		{"weak password", func(o *wallet.EnrolOptions) { o.Password = "password" }, wallet.ProblemWeakPassword},
		{"another person's face", func(o *wallet.EnrolOptions) { o.Face = face(t, 99) }, wallet.ProblemFaceMismatch},
		{"wrong code", func(o *wallet.EnrolOptions) { o.Code = wallet.StaticCode("000000") }, wallet.ProblemWrongCode},
		{"phone in use", func(o *wallet.EnrolOptions) { o.Phone = "+8613800138006" }, wallet.ProblemPhoneInUse},
		{"duplicate identity", func(o *wallet.EnrolOptions) { o.Evidence = srv.passport("E10000006", 35, 16) }, wallet.ProblemDuplicateIdentity},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := srv.options("E2000000"+string(rune('0'+i)), uint64(20+i), "+861380013802"+string(rune('0'+i)))
			tt.change(&o)
			_, err := wallet.Enrol(context.Background(), newWallet(t, suite.Intl), c, o)
			var p *wallet.Problem
			if !errors.As(err, &p) {
				t.Fatalf("Enrol() error = %v (%T), want a *Problem", err, err)
			}
			if p.Slug() != tt.wantSlug {
				t.Errorf("problem slug = %q (%v), want %q", p.Slug(), p, tt.wantSlug)
			}
			if p.Error() == "" || strings.Contains(p.Error(), "urn:") {
				t.Errorf("problem message %q is not for the resident", p.Error())
			}
		})
	}
}

// A minor of 15 to 17 completes pending their guardian's approval, which
// the guardian's wallet gives; a child of 14 or under enrols through a
// guardian's application and may skip the phone.
func TestMinorAndGuardian(t *testing.T) {
	srv := newTestServer(t, "intl")
	c := srv.client()
	gw, _ := srv.enrolAdult(suite.Intl, "E30000001", 31, "+8613800138031")

	mw := newWallet(t, suite.Intl)
	o := srv.options("E30000002", 32, "+8613800138032")
	o.Evidence = srv.passport("E30000002", 16, 32)
	minor, err := wallet.Enrol(context.Background(), mw, c, o)
	if err != nil {
		t.Fatalf("Enrol(minor) error = %v", err)
	}
	if minor.Status != "pending-guardian" || minor.GuardianApprovalCode == "" {
		t.Fatalf("minor: status %q, approval code set %t; want pending-guardian with a code", minor.Status, minor.GuardianApprovalCode != "")
	}
	approval := wallet.MinorApproval{MinorInternetNumber: minor.InternetNumber, ApprovalCode: minor.GuardianApprovalCode,
		Relationship: "parent", EvidenceKind: "household-register", EvidenceReference: "HR-2026-0001"}
	if err := wallet.ApproveMinor(context.Background(), gw, c, "not the password", approval); !wallet.IsProblem(err, wallet.ProblemBadCredentials) {
		t.Errorf("ApproveMinor(wrong password) error = %v, want problem bad-credentials", err)
	}
	if err := wallet.ApproveMinor(context.Background(), gw, c, goodPassword, approval); err != nil {
		t.Fatalf("ApproveMinor() error = %v", err)
	}

	cw := newWallet(t, suite.Intl)
	o = srv.options("E30000003", 33, "")
	o.Evidence = srv.passport("E30000003", 10, 33)
	o.Guardian = &wallet.GuardianApplication{InternetNumber: gw.State().Account.InternetNumber, Password: goodPassword,
		Relationship: "parent", EvidenceKind: "birth-certificate", EvidenceReference: "BC-2016-0001"}
	var progress bytes.Buffer
	o.Progress = &progress
	child, err := wallet.Enrol(context.Background(), cw, c, o)
	if err != nil {
		t.Fatalf("Enrol(child) error = %v", err)
	}
	if child.Status != "active" {
		t.Errorf("child status = %q, want active", child.Status)
	}
	if !strings.Contains(progress.String(), "Phone step skipped") {
		t.Errorf("progress lacks the skipped phone step:\n%s", progress.String())
	}

	// Without a guardian a child is refused before anything is saved.
	_, err = wallet.Enrol(context.Background(), newWallet(t, suite.Intl), c, wallet.EnrolOptions{
		Evidence: srv.passport("E30000004", 9, 34), Password: goodPassword,
	})
	if !wallet.IsProblem(err, wallet.ProblemGuardianRequired) {
		t.Errorf("Enrol(child without guardian) error = %v, want problem guardian-required", err)
	}
}

// An enrolment that expired on the server is dropped from the wallet: with
// the document given again the wallet starts anew, without it the wallet
// asks for it.
func TestEnrolAfterExpiry(t *testing.T) {
	srv := newTestServer(t, "intl")
	c := srv.client()
	w := newWallet(t, suite.Intl)
	o := srv.options("E40000001", 41, "+8613800138041")
	o.Code = wallet.StaticCode("")
	if _, err := wallet.Enrol(context.Background(), w, c, o); !errors.Is(err, wallet.ErrInputNeeded) {
		t.Fatalf("Enrol() error = %v, want ErrInputNeeded", err)
	}
	srv.Clock.Advance(25 * time.Hour)

	_, err := wallet.Enrol(context.Background(), w, c, wallet.EnrolOptions{Code: srv.code, Password: goodPassword})
	var need *wallet.InputNeededError
	if !errors.As(err, &need) || need.Input != wallet.InputEvidence {
		t.Fatalf("Enrol(expired, no document) error = %v, want InputNeededError for evidence", err)
	}
	if w.State().Enrolment != nil {
		t.Errorf("the expired enrolment is still in the wallet")
	}
	o = srv.options("E40000001", 41, "+8613800138041")
	o.Now = srv.Clock.Now // the certificate is valid from the server's day on
	acct, err := wallet.Enrol(context.Background(), w, c, o)
	if err != nil {
		t.Fatalf("Enrol(again) error = %v", err)
	}
	if !acct.Verified || w.State().Enrolment != nil {
		t.Errorf("after re-enrolment: verified %t, enrolment %v", acct.Verified, w.State().Enrolment)
	}
}

// VerifyAccount refuses every way an enrolment's answer can be wrong.
func TestVerifyAccountRefusesTampering(t *testing.T) {
	srv := newTestServer(t, "intl")
	w, acct := srv.enrolAdult(suite.Intl, "E50000001", 51, "+8613800138051")
	_, otherAcct := srv.enrolAdult(suite.Intl, "E50000002", 52, "+8613800138052")
	otherCA := newTestServer(t, "intl")
	_, foreign := otherCA.enrolAdult(suite.Intl, "E50000003", 53, "+8613800138053")
	otherKey := newWallet(t, suite.Intl).Signer().Public()
	pub := w.Signer().Public()
	now := time.Now()

	tests := []struct {
		name   string
		change func(a *wallet.Account)
		key    any // another device key, or "expired" to verify after NotAfter
		want   string
	}{
		{"another device key", func(*wallet.Account) {}, otherKey, "another key"},
		{"another resident's certificate", func(a *wallet.Account) {
			a.CertificatePEM, a.InternetNumber, a.Serial = otherAcct.CertificatePEM, otherAcct.InternetNumber, otherAcct.Serial
		}, nil, "another key"},
		{"another CA", func(a *wallet.Account) { a.CAPEM = foreign.CAPEM }, nil, "unknown authority"},
		{"another internet number", func(a *wallet.Account) { a.InternetNumber = otherAcct.InternetNumber }, nil, "internet number"},
		{"another serial", func(a *wallet.Account) { a.Serial = otherAcct.Serial }, nil, "serial"},
		{"tampered opening", func(a *wallet.Account) { a.Openings[0].Value += "x" }, nil, "does not open"},
		{"missing opening", func(a *wallet.Account) { a.Openings = a.Openings[1:] }, nil, "without its opening"},
		{"short code secret", func(a *wallet.Account) { a.DynamicCode.Secret = a.DynamicCode.Secret[:8] }, nil, "secret"},
		{"unknown code algorithm", func(a *wallet.Account) { a.DynamicCode.Algorithm = "MD5" }, nil, "algorithm"},
		{"no CA", func(a *wallet.Account) { a.CAPEM = "" }, nil, "no certificate"},
		{"expired", func(a *wallet.Account) {}, "expired", "expired"},
	}
	if _, err := wallet.VerifyAccount(acct, pub, now); err != nil {
		t.Fatalf("VerifyAccount(untouched) error = %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := *acct
			a.Openings = append([]wallet.Opening(nil), acct.Openings...)
			a.DynamicCode.Secret = append([]byte(nil), acct.DynamicCode.Secret...)
			if len(a.Openings) == 0 {
				t.Fatal("the account has no openings to tamper with")
			}
			tt.change(&a)
			key, at := pub, now
			switch k := tt.key.(type) {
			case string:
				at = acct.NotAfter.Add(time.Hour)
			case nil:
			default:
				key = k
			}
			_, err := wallet.VerifyAccount(&a, key, at)
			if !errors.Is(err, wallet.ErrCertificate) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("VerifyAccount() error = %v, want ErrCertificate saying %q", err, tt.want)
			}
		})
	}
}

// A registrar starts an assisted enrolment (the client's StartAssisted);
// the resident's wallet adopts it and finishes it without a phone.
func TestEnrolAssisted(t *testing.T) {
	srv := newTestServer(t, "intl")
	c := srv.client()
	ctx := context.Background()
	_, registrarToken, err := srv.Service.CreateRegistrar(ctx, "desk 1")
	if err != nil {
		t.Fatal(err)
	}
	req := wallet.AssistedStartRequest{Evidence: wallet.AssistedEvidence{
		Kind: "refugee-registration", Reference: "UNHCR-0001", Issuer: "UNHCR", Name: "Test Refugee",
		BirthDate: srv.BirthForAge(30).String(), Sex: "F",
	}}
	if _, err := c.StartAssisted(ctx, "not-a-token", req); !wallet.IsProblem(err, "unauthorized") {
		t.Errorf("StartAssisted(bad token) error = %v, want problem unauthorized", err)
	}
	st, err := c.StartAssisted(ctx, registrarToken, req)
	if err != nil {
		t.Fatalf("StartAssisted() error = %v", err)
	}
	if !st.PhoneOptional {
		t.Errorf("PhoneOptional = false, want true for an assisted enrolment")
	}
	w := newWallet(t, suite.Intl)
	acct, err := wallet.Enrol(ctx, w, c, wallet.EnrolOptions{Started: st, Face: face(t, 71), Liveness: srv.attest, Password: goodPassword})
	if err != nil {
		t.Fatalf("Enrol(adopted) error = %v", err)
	}
	if acct.Pathway != "assisted" || !acct.Verified {
		t.Errorf("account: pathway %q, verified %t; want assisted, verified", acct.Pathway, acct.Verified)
	}
	if _, err := wallet.Enrol(ctx, newWallet(t, suite.Intl), c, wallet.EnrolOptions{Started: &wallet.Started{ID: st.ID}}); err == nil {
		t.Errorf("Enrol(started without token) error = nil, want a refusal")
	}
}

// The wallet's step names are package enrol's, as the API sends them.
func TestStepNamesMatchEnrol(t *testing.T) {
	for got, want := range map[string]enrol.Step{
		wallet.StepPhone: enrol.StepPhone, wallet.StepFace: enrol.StepFace, wallet.StepPassword: enrol.StepPassword,
		wallet.StepComplete: enrol.StepComplete, wallet.StepNone: enrol.StepNone,
	} {
		if got != string(want) {
			t.Errorf("step %q, want %q", got, want)
		}
	}
}
