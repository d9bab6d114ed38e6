package enrol_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// upgradeFace is the face evidence of an upgrade of residentID: a
// challenge for that resident and a live capture of the person of
// portrait seed, attested for it.
func (e *env) upgradeFace(residentID string, seed uint64) *enrol.UpgradeFace {
	e.T.Helper()
	ch, _, err := e.Service.UpgradeChallenge(context.Background(), residentID)
	if err != nil {
		e.T.Fatalf("UpgradeChallenge() error = %v", err)
	}
	return &enrol.UpgradeFace{Challenge: ch, Capture: e.Attest(enroltest.LiveCapture(e.T, seed, 2), ch, 0.99)}
}

// enrolAssisted has a registrar start an assisted enrolment of a person
// aged age, finished without a phone with a live face of portrait seed.
func (e *env) enrolAssisted(reference string, age int, seed uint64) enrol.Completed {
	e.T.Helper()
	ctx := context.Background()
	regID, _, err := e.Service.CreateRegistrar(ctx, "Registrar "+reference)
	if err != nil {
		e.T.Fatal(err)
	}
	st, err := e.Service.StartAssisted(ctx, regID, enrol.AssistedEvidence{Kind: enrol.AssistedRefugeeRegistration,
		Reference: reference, Issuer: "UNHCR", Name: "Amina Test", BirthDate: e.BirthForAge(age), Sex: "F"}, nil)
	if err != nil {
		e.T.Fatalf("StartAssisted() error = %v", err)
	}
	done, err := e.wallet(st).complete("", seed, false, goodPassword)
	if err != nil {
		e.T.Fatalf("assisted enrolment: %v", err)
	}
	return done
}

// accountSnapshot is what an upgrade may change.
type accountSnapshot struct {
	version int64
	pathway enrol.Pathway
	ceiling enrol.Assurance
	anchors int
}

func (e *env) snapshot(residentID string) accountSnapshot {
	e.T.Helper()
	ctx := context.Background()
	r, err := e.Store.Resident(ctx, residentID)
	if err != nil {
		e.T.Fatal(err)
	}
	anchors, err := e.Store.IdentityAnchorsOf(ctx, residentID)
	if err != nil {
		e.T.Fatal(err)
	}
	return accountSnapshot{version: r.Version, pathway: r.Pathway, ceiling: r.Ceiling, anchors: len(anchors)}
}

// rewrite decodes an upgrade challenge, lets edit change its bytes, and
// encodes it again: a forgery.
func rewrite(t *testing.T, challenge string, edit func(raw []byte) []byte) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(edit(raw))
}

// TestUpgradeFace binds a passport to an assisted account only with a
// live face that matches the chip's portrait, under a challenge issued to
// that account and still valid; every refusal leaves the account as it
// was. An identity card (no portrait) needs a live capture.
func TestUpgradeFace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acct := e.enrolAssisted("UNHCR 200-001", 29, 201)
	id := acct.ResidentID
	chip := e.chip("W00000001", 29, 202) // the holder's: same birth date, portrait 202
	noPortrait := &enrol.ChipEvidence{Dump: chip.Dump, PrintedMRZ: chip.PrintedMRZ}
	noPortrait.Dump.Files = maps.Clone(chip.Dump.Files)
	delete(noPortrait.Dump.Files, "DG2") // listed in the SOD, not read: still authentic
	card := e.idCard("Amina Test", e.BirthForAge(29), "F", 21)
	other := e.enrolAdult("W00000009", 209, "13800138209", goodPassword)

	forged := func(edit func(raw []byte) []byte) func() *enrol.UpgradeFace {
		return func() *enrol.UpgradeFace {
			f := e.upgradeFace(id, 202)
			ch := rewrite(t, f.Challenge, edit)
			return &enrol.UpgradeFace{Challenge: ch, Capture: e.Attest(enroltest.LiveCapture(t, 202, 2), ch, 0.99)}
		}
	}
	tests := []struct {
		name     string
		evidence enrol.Evidence
		face     func() *enrol.UpgradeFace
		wantErr  error
		wantWhy  error // a cause in the chain, when not nil
	}{
		{"another person's face", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace { return e.upgradeFace(id, 203) },
			enrol.ErrFaceMismatch, nil},
		{"no face", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace { return nil }, enrol.ErrInvalidRequest, nil},
		{"challenge of another resident", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace {
			f := e.upgradeFace(other.ResidentID, 202)
			return f
		}, enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"expired challenge", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace {
			ch, expires, err := e.Service.UpgradeChallenge(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if want := e.Clock.Now().Add(enrol.DefaultFaceChallengeTTL); !expires.Equal(want) {
				t.Errorf("UpgradeChallenge() expires %v, want %v", expires, want)
			}
			e.Clock.Advance(enrol.DefaultFaceChallengeTTL)
			// Attested now: only the challenge is stale.
			return &enrol.UpgradeFace{Challenge: ch, Capture: e.Attest(enroltest.LiveCapture(t, 202, 2), ch, 0.99)}
		}, enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"forged MAC", enrol.Evidence{Chip: chip}, forged(func(raw []byte) []byte {
			raw[len(raw)-1] ^= 1
			return raw
		}), enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"expiry extended", enrol.Evidence{Chip: chip}, forged(func(raw []byte) []byte {
			at := 2 + int(raw[1]) + 16
			binary.BigEndian.PutUint64(raw[at:], binary.BigEndian.Uint64(raw[at:])+3600)
			return raw
		}), enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"unknown key id", enrol.Evidence{Chip: chip}, forged(func(raw []byte) []byte {
			raw[2] ^= 0x20
			return raw
		}), enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"MAC cut off", enrol.Evidence{Chip: chip}, forged(func(raw []byte) []byte {
			return raw[:2+int(raw[1])+16+8]
		}), enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"enrolment-style nonce", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace {
			ch, err := biometric.NewChallenge(nil)
			if err != nil {
				t.Fatal(err)
			}
			return &enrol.UpgradeFace{Challenge: ch, Capture: e.Attest(enroltest.LiveCapture(t, 202, 2), ch, 0.99)}
		}, enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"attestation for another challenge", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace {
			first := e.upgradeFace(id, 202)
			second := e.upgradeFace(id, 202)
			return &enrol.UpgradeFace{Challenge: first.Challenge, Capture: second.Capture}
		}, enrol.ErrNotLive, biometric.ErrLivenessChallenge},
		{"attestation for another capture", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace {
			f := e.upgradeFace(id, 202)
			f.Capture.Image = enroltest.LiveCapture(t, 202, 3)
			return f
		}, enrol.ErrNotLive, biometric.ErrLivenessCaptureMismatch},
		{"not live", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace {
			ch, _, err := e.Service.UpgradeChallenge(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return &enrol.UpgradeFace{Challenge: ch, Capture: e.Attest(enroltest.LiveCapture(t, 202, 2), ch, 0.1)}
		}, enrol.ErrNotLive, biometric.ErrNotLive},
		{"no attestation", enrol.Evidence{Chip: chip}, func() *enrol.UpgradeFace {
			f := e.upgradeFace(id, 202)
			f.Capture.Liveness = ""
			return f
		}, enrol.ErrNotLive, biometric.ErrLivenessMissing},
		// Refused as evidence already (verifyChip), before the face check.
		{"chip without portrait", enrol.Evidence{Chip: noPortrait}, func() *enrol.UpgradeFace { return e.upgradeFace(id, 202) },
			enrol.ErrEvidenceRefused, nil},
		{"identity card, not live", enrol.Evidence{Authority: card}, func() *enrol.UpgradeFace {
			ch, _, err := e.Service.UpgradeChallenge(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return &enrol.UpgradeFace{Challenge: ch, Capture: e.Attest(enroltest.LiveCapture(t, 201, 2), ch, 0.1)}
		}, enrol.ErrNotLive, biometric.ErrNotLive},
		{"identity card, challenge of another resident", enrol.Evidence{Authority: card},
			func() *enrol.UpgradeFace { return e.upgradeFace(other.ResidentID, 201) }, enrol.ErrNotLive, biometric.ErrLivenessChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(id)
			up, err := e.Service.Upgrade(ctx, id, tt.evidence, tt.face())
			if !errors.Is(err, tt.wantErr) || (tt.wantWhy != nil && !errors.Is(err, tt.wantWhy)) {
				t.Errorf("Upgrade() = %+v, %v; want %v (%v)", up, err, tt.wantErr, tt.wantWhy)
			}
			if after := e.snapshot(id); after != before {
				t.Errorf("account after a refused upgrade = %+v, want %+v unchanged", after, before)
			}
		})
	}

	// The identity card with a live capture: liveness is all it can show.
	if _, err := e.Service.Upgrade(ctx, id, enrol.Evidence{Authority: card}, e.upgradeFace(id, 201)); err != nil {
		t.Fatalf("Upgrade(identity card, live) error = %v", err)
	}
	if got := e.snapshot(id); got.pathway != enrol.PathwayAuthority || got.anchors != 2 {
		t.Errorf("after the card: %+v, want document-authority with 2 anchors", got)
	}
	// The passport with the holder's live face.
	up, err := e.Service.Upgrade(ctx, id, enrol.Evidence{Chip: chip}, e.upgradeFace(id, 202))
	if err != nil {
		t.Fatalf("Upgrade(passport, holder's face) error = %v", err)
	}
	want := enrol.Upgraded{InternetNumber: acct.InternetNumber, Pathway: enrol.PathwayChip, AssuranceCeiling: enrol.AssuranceSubstantial}
	if up != want {
		t.Errorf("Upgrade() = %+v, want %+v", up, want)
	}
	if got := e.snapshot(id); got.pathway != enrol.PathwayChip || got.anchors != 3 {
		t.Errorf("after the passport: %+v, want document-chip with 3 anchors", got)
	}
}

// TestUpgradeChallengeKeyRotation: a challenge names the blind-index key
// that made it, so it still verifies after a rotation (the key is then
// retiring), and no longer once that key is retired.
func TestUpgradeChallengeKeyRotation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, enroltest.WithSuite("sm"))
	acct := e.enrolAssisted("UNHCR 300-001", 40, 301)
	chip := e.chip("W00000003", 40, 302)
	before, after := e.upgradeFace(acct.ResidentID, 302), e.upgradeFace(acct.ResidentID, 302)
	old := e.Keys.List(keystore.BlindIndex)
	if _, err := e.Keys.Rotate(ctx, keystore.BlindIndex); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.Upgrade(ctx, acct.ResidentID, enrol.Evidence{Chip: chip}, before); err != nil {
		t.Errorf("Upgrade(challenge of the retiring key) error = %v, want nil", err)
	}
	for _, m := range old {
		if _, err := e.Keys.Retire(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Service.Upgrade(ctx, acct.ResidentID, enrol.Evidence{Chip: chip}, after); !errors.Is(err, enrol.ErrNotLive) {
		t.Errorf("Upgrade(challenge of a retired key) error = %v, want ErrNotLive", err)
	}
	// A new challenge is made under the new key and serves.
	if _, err := e.Service.Upgrade(ctx, acct.ResidentID, enrol.Evidence{Chip: chip}, e.upgradeFace(acct.ResidentID, 302)); err != nil {
		t.Errorf("Upgrade(new challenge) error = %v, want nil", err)
	}
}

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// FuzzUpgradeChallenge feeds Upgrade challenges from outside: only the
// one the service issued to this resident gets past the challenge check
// (and then stops at the empty evidence); anything else is ErrNotLive,
// never a panic and never another error.
func FuzzUpgradeChallenge(f *testing.F) {
	e := newEnv(f)
	ctx := context.Background()
	const resident = "fuzz-resident"
	valid, _, err := e.Service.UpgradeChallenge(ctx, resident)
	if err != nil {
		f.Fatal(err)
	}
	other, _, err := e.Service.UpgradeChallenge(ctx, "another-resident")
	if err != nil {
		f.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(other)
	f.Add(valid[:len(valid)-2])
	// The same bytes with a non-zero trailing bit: another spelling.
	last := strings.IndexByte(b64url, valid[len(valid)-1])
	f.Add(valid[:len(valid)-1] + string(b64url[last^1]))
	f.Add(base64.RawURLEncoding.EncodeToString(raw[:2]))
	f.Add(base64.RawURLEncoding.EncodeToString(append([]byte{1, 255}, raw[2:]...)))
	f.Add(base64.RawURLEncoding.EncodeToString(append([]byte{2}, raw[1:]...)))
	f.Add("")
	f.Add("AQ")
	f.Add("not base64 at all!")
	f.Fuzz(func(t *testing.T, challenge string) {
		_, err := e.Service.Upgrade(ctx, resident, enrol.Evidence{}, &enrol.UpgradeFace{Challenge: challenge})
		switch {
		case challenge == valid && errors.Is(err, enrol.ErrInvalidRequest):
		case challenge != valid && errors.Is(err, enrol.ErrNotLive) && errors.Is(err, biometric.ErrLivenessChallenge):
		default:
			t.Fatalf("Upgrade(challenge %q) error = %v", challenge, err)
		}
	})
}
