package enrol

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/crypto/keystore"
)

// The face step of an upgrade. Enrolment keeps its liveness nonce in the
// enrolment record; an upgrade has no record to keep it in until it
// succeeds, so its challenge is stateless: it carries its own expiry and a
// MAC under a blind-index key, over the resident it was issued to. The
// server does not enforce single use, which it does at enrolment. That is
// acceptable because replaying a challenge gains nothing an attacker needs:
// the liveness attestation binds the challenge and the digest of the
// capture, so a replayed challenge still needs a fresh attestation by a
// trusted detector of a live face that matches the document's portrait;
// the window is Config.FaceChallengeTTL (5 minutes by default); and the
// upgrade also needs the account's password. What it saves is a table, a
// migration and a write per challenge, and any node can verify it.

// upgradeChallengeDomain separates the challenge's MAC from the blind
// indexes made under the same key.
const upgradeChallengeDomain = "netid upgrade challenge v1\x00"

// The layout of an upgrade challenge, before base64url:
//
//	version (1) | key id length (1) | key id | nonce (16) | expiry (8, Unix seconds, big-endian) | MAC
//
// The MAC is over upgradeChallengeDomain, the resident id (length-
// prefixed) and every byte before the MAC.
const (
	upgradeChallengeVersion = 1
	upgradeNonceBytes       = 16
	// maxUpgradeChallenge bounds what is decoded: a real challenge is
	// about 130 characters.
	maxUpgradeChallenge = 512
)

// UpgradeFace is the face evidence of an upgrade: a live capture whose
// liveness attestation carries Challenge, from UpgradeChallenge.
type UpgradeFace struct {
	Challenge string
	Capture   biometric.Capture
}

// UpgradeChallenge returns a liveness challenge for an upgrade of
// residentID's account, and when it expires (Config.FaceChallengeTTL from
// now). The caller authenticates the resident first, as for Upgrade. The
// challenge is stateless (see the comment at the top of this file): it
// verifies only for this resident, before its expiry, while the
// blind-index key that made it is active or retiring.
func (s *Service) UpgradeChallenge(ctx context.Context, residentID string) (string, time.Time, error) {
	if residentID == "" {
		return "", time.Time{}, fmt.Errorf("%w: no resident", ErrInvalidRequest)
	}
	nonce, err := s.random(upgradeNonceBytes)
	if err != nil {
		return "", time.Time{}, err
	}
	m, err := s.activeChallengeKey()
	if err != nil {
		return "", time.Time{}, err
	}
	expires := s.now().Add(s.cfg.FaceChallengeTTL).UTC().Truncate(time.Second)
	body := make([]byte, 0, 2+len(m.ID)+upgradeNonceBytes+8)
	body = append(body, upgradeChallengeVersion, byte(len(m.ID)))
	body = append(body, m.ID...)
	body = append(body, nonce...)
	body = binary.BigEndian.AppendUint64(body, uint64(expires.Unix()))
	mac, err := s.d.Keys.MAC(ctx, m.ID, upgradeChallengeMessage(residentID, body))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("enrol: upgrade challenge: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(append(body, mac...)), expires, nil
}

// activeChallengeKey returns the active blind-index key, whose id the
// challenge names so that it still verifies after a rotation.
func (s *Service) activeChallengeKey() (keystore.Meta, error) {
	for _, m := range s.d.Keys.List(keystore.BlindIndex) {
		if m.State == keystore.StateActive && len(m.ID) <= 255 {
			return m, nil
		}
	}
	return keystore.Meta{}, fmt.Errorf("enrol: upgrade challenge: no active blind-index key")
}

func upgradeChallengeMessage(residentID string, body []byte) []byte {
	msg := make([]byte, 0, len(upgradeChallengeDomain)+2+len(residentID)+len(body))
	msg = append(msg, upgradeChallengeDomain...)
	msg = binary.BigEndian.AppendUint16(msg, uint16(min(len(residentID), 0xFFFF)))
	msg = append(msg, residentID...)
	return append(msg, body...)
}

// badUpgradeChallenge is the refusal of a challenge that does not verify:
// ErrNotLive, as at enrolment for a stale or unknown nonce, so that the
// wallet asks for a new challenge and a new capture.
func badUpgradeChallenge(reason string) error {
	return fmt.Errorf("%w: %w: upgrade challenge %s", ErrNotLive, biometric.ErrLivenessChallenge, reason)
}

// verifyUpgradeChallenge checks that challenge was made by
// UpgradeChallenge for residentID and has not expired at now.
func (s *Service) verifyUpgradeChallenge(ctx context.Context, residentID, challenge string, now time.Time) error {
	if challenge == "" || len(challenge) > maxUpgradeChallenge {
		return badUpgradeChallenge("missing or too long")
	}
	// Strict: one challenge, one spelling (no ignored trailing bits).
	raw, err := base64.RawURLEncoding.Strict().DecodeString(challenge)
	if err != nil || len(raw) < 2 || raw[0] != upgradeChallengeVersion {
		return badUpgradeChallenge("malformed")
	}
	idLen := int(raw[1])
	bodyLen := 2 + idLen + upgradeNonceBytes + 8
	if len(raw) <= bodyLen {
		return badUpgradeChallenge("malformed")
	}
	keyID := string(raw[2 : 2+idLen])
	body, mac := raw[:bodyLen], raw[bodyLen:]
	usable := false
	for _, m := range s.d.Keys.List(keystore.BlindIndex) {
		if m.ID == keyID && (m.State == keystore.StateActive || m.State == keystore.StateRetiring) {
			usable = true
			break
		}
	}
	if !usable {
		return badUpgradeChallenge("made under an unknown or retired key")
	}
	want, err := s.d.Keys.MAC(ctx, keyID, upgradeChallengeMessage(residentID, body))
	if err != nil {
		return fmt.Errorf("enrol: upgrade challenge: %w", err)
	}
	// The MAC covers the resident: a challenge of another account, or a
	// forged one, fails here alike.
	if subtle.ConstantTimeCompare(mac, want) != 1 {
		return badUpgradeChallenge("not issued for this account")
	}
	expiry := int64(binary.BigEndian.Uint64(body[bodyLen-8:]))
	if expiry < 0 || !now.Before(time.Unix(expiry, 0)) {
		return badUpgradeChallenge("expired")
	}
	return nil
}

// checkUpgradeFace is the face check of an upgrade, run before anything
// is written. The challenge must verify for residentID. With a portrait
// (a chip's DG2) the capture must be live and match it (ErrNotLive,
// ErrFaceMismatch, ErrBadFace, as SubmitFace); a chip without a portrait
// is refused (ErrUpgradeNeedsPortrait), since nothing would then tie the
// document to the person upgrading. verifyChip refuses such chips as
// evidence already; this check stays so that the face check holds on its
// own if evidence rules change. Authority evidence has no portrait by
// nature: its capture is checked for liveness only, as at enrolment.
func (s *Service) checkUpgradeFace(ctx context.Context, residentID string, v verified, face *UpgradeFace, now time.Time) error {
	if v.pathway == PathwayChip && len(v.portrait) == 0 {
		return ErrUpgradeNeedsPortrait
	}
	capture := face.Capture
	if len(v.portrait) == 0 {
		if err := s.d.Liveness.VerifyLiveness(capture.Liveness, capture, face.Challenge, now); err != nil {
			return faceError(err)
		}
		return nil
	}
	ref := biometric.Reference{Image: v.portrait}
	res, err := biometric.MatchLive(ctx, s.d.Matcher, s.d.Liveness, capture, ref, face.Challenge, now)
	if err != nil {
		return faceError(err)
	}
	s.log.InfoContext(ctx, "upgrade face match", "resident", residentID, "score", res.Score,
		"threshold", res.Threshold, "match", res.Match, "engine", res.Engine)
	if !res.Match {
		return ErrFaceMismatch
	}
	return nil
}
