package httpapi

import (
	"context"
	"encoding/base64"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// TestUpgradeFaceOverHTTP: the password does not bind a passport to an
// account. The upgrade's face must be live under a challenge issued to
// that account and still valid, and match the chip's portrait; a chip
// read without its portrait is refused. Each refusal leaves the account as
// it was; the holder's own face upgrades it.
func TestUpgradeFaceOverHTTP(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t, enroltest.WithConfig(upgradeConfig()))
	_, registrarToken, err := e.Service.CreateRegistrar(ctx, "Registrar office 5")
	if err != nil {
		t.Fatal(err)
	}
	number := e.enrolAssisted(registrarToken, "UNHCR-555", 29, 61).InternetNumber
	passport := e.Passport("X00000001", 29, 62) // the holder's: same birth date, portrait 62
	other := e.enrolAdult("X00000002", 63, "13800138063")
	stripped := maps.Clone(passport.Chip.Files)
	delete(stripped, "DG2") // listed in the SOD, not read: the chip is still authentic
	noPortrait := map[string]any{"chip": map[string]any{"format": "netid-chip/1", "files": stripped}, "printed_mrz": passport.PrintedMRZ}
	holderImage := enroltest.LiveCapture(t, 62, 2)

	tests := []struct {
		name       string
		evidence   map[string]any
		face       func() map[string]any // called in the subtest, after the snapshot
		wantStatus int
		wantType   string
		wantDetail string
	}{
		{"another person's face", chipEvidence(passport), func() map[string]any { return e.upgradeFace(number, 64) },
			422, "face-mismatch", "did not match the photo"},
		{"challenge of another account", chipEvidence(passport), func() map[string]any {
			ch := e.upgradeChallenge(other.InternetNumber).Challenge
			return e.faceMember(ch, holderImage, ch)
		}, 422, "not-live", "could not confirm a live capture"},
		{"expired challenge", chipEvidence(passport), func() map[string]any {
			ch := e.upgradeChallenge(number).Challenge
			e.Clock.Advance(enrol.DefaultFaceChallengeTTL)
			return e.faceMember(ch, holderImage, ch) // attested now: only the challenge is stale
		}, 422, "not-live", "could not confirm a live capture"},
		{"forged challenge", chipEvidence(passport), func() map[string]any {
			raw, err := base64.RawURLEncoding.DecodeString(e.upgradeChallenge(number).Challenge)
			if err != nil {
				t.Fatal(err)
			}
			raw[len(raw)-1] ^= 1
			ch := base64.RawURLEncoding.EncodeToString(raw)
			return e.faceMember(ch, holderImage, ch)
		}, 422, "not-live", "could not confirm a live capture"},
		{"attestation for another challenge", chipEvidence(passport), func() map[string]any {
			first, second := e.upgradeChallenge(number).Challenge, e.upgradeChallenge(number).Challenge
			return e.faceMember(first, holderImage, second)
		}, 422, "not-live", "could not confirm a live capture"},
		{"chip without portrait", noPortrait, func() map[string]any { return e.upgradeFace(number, 62) },
			422, "evidence-refused", "DG2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.accountState(number)
			p := e.call(http.MethodPost, "/v1/residents/upgrade", "", upgradeBody(number, enPassword, tt.evidence, tt.face())).
				want(t, tt.wantStatus).problem(t)
			if p.Type != ProblemTypeBase+tt.wantType || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("problem = %+v, want %s with a detail containing %q", p, tt.wantType, tt.wantDetail)
			}
			if after := e.accountState(number); after != before {
				t.Errorf("account after a refused upgrade = %+v, want %+v unchanged", after, before)
			}
		})
	}

	var up upgradedResponse
	e.call(http.MethodPost, "/v1/residents/upgrade", "", upgradeBody(number, enPassword, chipEvidence(passport), e.upgradeFace(number, 62))).
		want(t, http.StatusOK).into(t, &up)
	if want := (upgradedResponse{InternetNumber: number, Pathway: "document-chip", AssuranceCeiling: "substantial"}); up != want {
		t.Errorf("upgrade with the holder's face = %+v, want %+v", up, want)
	}
}

// TestUpgradeChallengeOverHTTP: the challenge route logs the resident in
// as the upgrade does and answers the challenge with its expiry.
func TestUpgradeChallengeOverHTTP(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t, enroltest.WithConfig(upgradeConfig()))
	_, registrarToken, err := e.Service.CreateRegistrar(ctx, "Registrar office 6")
	if err != nil {
		t.Fatal(err)
	}
	number := e.enrolAssisted(registrarToken, "UNHCR-666", 29, 65).InternetNumber
	ch := e.upgradeChallenge(number)
	if want := e.Clock.Now().Add(enrol.DefaultFaceChallengeTTL); ch.Challenge == "" || !ch.ExpiresAt.Equal(want) {
		t.Errorf("challenge = %+v, want one expiring at %v", ch, want)
	}
	if again := e.upgradeChallenge(number); again.Challenge == ch.Challenge {
		t.Error("two challenges are equal, want a fresh nonce each")
	}
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantType   string
		wantDetail string
	}{
		{"wrong password", map[string]any{"resident": map[string]any{"internet_number": number, "password": "not the password"}},
			401, "bad-credentials", "incorrect"},
		{"no resident", map[string]any{}, 400, "bad-request", "resident: required"},
		{"no password", map[string]any{"resident": map[string]any{"internet_number": number}}, 400, "bad-request", "resident.password: required"},
		{"unknown member", map[string]any{"resident": map[string]any{"internet_number": number, "password": enPassword}, "face": nil},
			400, "bad-request", `unknown member "face"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.call(http.MethodPost, "/v1/residents/upgrade/challenge", "", tt.body).want(t, tt.wantStatus).problem(t)
			if p.Type != ProblemTypeBase+tt.wantType || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("problem = %+v, want %s with a detail containing %q", p, tt.wantType, tt.wantDetail)
			}
		})
	}
}
