package wallet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/wallet"
)

// A registrar starts an assisted enrolment, the resident's wallet takes
// it over (Started) and finishes it; later the resident upgrades the
// account with their passport: same internet number, pathway
// document-chip, ceiling raised from low to substantial, saved in
// wallet.json. The refusals before change nothing in the wallet.
func TestUpgrade(t *testing.T) {
	cfg := enroltest.DefaultConfig()
	cfg.AssistedCeiling = enrol.AssuranceLow
	srv := newTestServer(t, "intl", enroltest.WithConfig(cfg))
	c := srv.client()
	ctx := context.Background()
	_, registrarToken, err := srv.Service.CreateRegistrar(ctx, "desk 1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.StartAssisted(ctx, registrarToken, wallet.AssistedStartRequest{Evidence: wallet.AssistedEvidence{
		Kind: "refugee-registration", Reference: "UNHCR-0001", Issuer: "UNHCR", Name: "Test Refugee",
		BirthDate: srv.BirthForAge(30).String(), Sex: "F",
	}})
	if err != nil {
		t.Fatalf("StartAssisted() error = %v", err)
	}
	w := newWallet(t, suite.Intl)
	acct, err := wallet.Enrol(ctx, w, c, wallet.EnrolOptions{Started: st, Face: face(t, 71), Liveness: srv.attest, Password: goodPassword})
	if err != nil {
		t.Fatalf("Enrol(adopted) error = %v", err)
	}
	if acct.Pathway != "assisted" || acct.AssuranceCeiling != "low" {
		t.Fatalf("enrolled account: pathway %q ceiling %q, want assisted, low", acct.Pathway, acct.AssuranceCeiling)
	}

	// Another resident's passport, and a passport of someone born on
	// another day than the account's holder.
	srv.enrolAdult(suite.Intl, "P00000002", 12, "+8613800138012")
	othersPassport := srv.passport("P00000002", 35, 12)
	otherBirth := srv.passport("P00000003", 35, 13)
	passport := srv.passport("P00000001", 30, 11) // the holder's

	other, err := wallet.NewClient("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		w         *wallet.Wallet
		c         *wallet.Client
		password  string
		evidence  *wallet.Evidence
		face      wallet.FaceFunc
		wantErr   error  // errors.Is, when not nil
		wantSlug  string // a problem's slug, when not ""
		wantInput wallet.Input
	}{
		{"wrong password", w, c, "not the password at all", passport, face(t, 11), nil, wallet.ProblemBadCredentials, ""},
		{"another resident's passport", w, c, goodPassword, othersPassport, face(t, 12), nil, wallet.ProblemDuplicateIdentity, ""},
		{"another birth date", w, c, goodPassword, otherBirth, face(t, 13), nil, wallet.ProblemUpgradeMismatch, ""},
		{"another person's face", w, c, goodPassword, passport, face(t, 12), nil, wallet.ProblemFaceMismatch, ""},
		{"no document", w, c, goodPassword, &wallet.Evidence{}, face(t, 11), nil, "", wallet.InputEvidence},
		{"no password", w, c, "", passport, face(t, 11), nil, "", wallet.InputPassword},
		{"no face", w, c, goodPassword, passport, nil, nil, "", wallet.InputFace},
		{"no face file", w, c, goodPassword, passport, wallet.FaceFromFile(""), nil, "", wallet.InputFace},
		{"another server", w, other, goodPassword, passport, face(t, 11), wallet.ErrOtherServer, "", ""},
		{"not enrolled", newWallet(t, suite.Intl), c, goodPassword, passport, face(t, 11), wallet.ErrNotEnrolled, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.State()
			up, err := wallet.Upgrade(ctx, tt.w, tt.c, wallet.UpgradeOptions{Password: tt.password, Evidence: *tt.evidence,
				Face: tt.face, Liveness: srv.attest})
			if up != nil || err == nil {
				t.Fatalf("Upgrade() = %+v, %v; want a refusal", up, err)
			}
			var need *wallet.InputNeededError
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Upgrade() error = %v, want %v", err, tt.wantErr)
			case tt.wantSlug != "" && !wallet.IsProblem(err, tt.wantSlug):
				t.Errorf("Upgrade() error = %v, want problem %s", err, tt.wantSlug)
			case tt.wantInput != "" && (!errors.As(err, &need) || need.Input != tt.wantInput || !strings.Contains(err.Error(), "for the upgrade")):
				t.Errorf("Upgrade() error = %v, want input %s needed for the upgrade", err, tt.wantInput)
			}
			if diff := cmp.Diff(before, w.State()); diff != "" {
				t.Errorf("wallet state changed by a refused upgrade (-before +after):\n%s", diff)
			}
		})
	}

	// Without an attestation the upgrade stops and keeps the server's
	// challenge; the next run, given an attestation for it (made outside
	// the wallet, read from a file), upgrades with the holder's face.
	before := w.State()
	opts := wallet.UpgradeOptions{Password: goodPassword, Evidence: *passport, Face: face(t, 11)}
	_, err = wallet.Upgrade(ctx, w, c, opts)
	var need *wallet.InputNeededError
	if !errors.As(err, &need) || need.Input != wallet.InputLiveness || need.Challenge == "" || !strings.Contains(err.Error(), "for the upgrade") {
		t.Fatalf("Upgrade(no attestation) error = %v, want a liveness attestation needed for the upgrade", err)
	}
	if saved := w.State().UpgradeChallenge; saved == nil || saved.Challenge != need.Challenge {
		t.Fatalf("saved upgrade challenge = %+v, want %q", saved, need.Challenge)
	}
	att, err := srv.attest(ctx, need.Challenge, enroltest.LiveCapture(t, 11, 1))
	if err != nil {
		t.Fatal(err)
	}
	attFile := filepath.Join(t.TempDir(), "liveness.jws")
	if err := os.WriteFile(attFile, []byte(att), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Liveness = wallet.LivenessFromFile(attFile)
	up, err := wallet.Upgrade(ctx, w, c, opts)
	if err != nil {
		t.Fatalf("Upgrade(passport) error = %v", err)
	}
	want := wallet.Upgraded{InternetNumber: acct.InternetNumber, Pathway: "document-chip", AssuranceCeiling: "substantial"}
	if diff := cmp.Diff(want, *up); diff != "" {
		t.Errorf("Upgrade() (-want +got):\n%s", diff)
	}
	// Saved: a fresh Open reads the new pathway and ceiling, the
	// challenge is forgotten, and nothing else of the account changed.
	reopened, err := wallet.Open(w.Dir())
	if err != nil {
		t.Fatal(err)
	}
	wantState := before
	wantState.Account.Pathway, wantState.Account.AssuranceCeiling = "document-chip", "substantial"
	if diff := cmp.Diff(wantState, reopened.State()); diff != "" {
		t.Errorf("wallet.json after the upgrade (-want +got):\n%s", diff)
	}
	sum := reopened.Summary(false, time.Now())
	if sum.InternetNumber != acct.InternetNumber || sum.Pathway != "document-chip" || sum.AssuranceCeiling != "substantial" {
		t.Errorf("Summary() = number %s pathway %q ceiling %q, want %s, document-chip, substantial",
			sum.InternetNumber, sum.Pathway, sum.AssuranceCeiling, acct.InternetNumber)
	}

	// Again with the same passport: the same answer. The challenge saved
	// by a stopped run has expired on the server meanwhile: the wallet
	// takes a fresh one, once.
	if _, err := wallet.Upgrade(ctx, reopened, c, wallet.UpgradeOptions{Password: goodPassword, Evidence: *passport, Face: face(t, 11)}); !errors.Is(err, wallet.ErrInputNeeded) {
		t.Fatalf("Upgrade(no attestation) error = %v, want an input needed", err)
	}
	srv.Clock.Advance(enrol.DefaultFaceChallengeTTL)
	again, err := wallet.Upgrade(ctx, reopened, c, wallet.UpgradeOptions{Password: goodPassword, Evidence: *passport, Face: face(t, 11), Liveness: srv.attest})
	if err != nil || *again != want {
		t.Errorf("second Upgrade() = %+v, %v; want %+v, nil", again, err, want)
	}
	if saved := reopened.State().UpgradeChallenge; saved != nil {
		t.Errorf("saved upgrade challenge after the upgrade = %+v, want none", saved)
	}
}
