package biometric

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
)

// DevDetectorName is the Detector claim of LivenessSigner attestations, so
// that an audit record shows at a glance that no real detector was involved.
const DevDetectorName = "netid-dev-attester (DEVELOPMENT ONLY: no liveness detection)"

// LivenessSigner is a DEVELOPMENT attester: it signs whatever liveness
// statement it is given, without looking at the capture. It exists for the
// demo wallet and for tests, where no liveness detector is available. It
// must never be trusted in production: a production verifier trusts only
// the keys of real detectors (the phone's trusted component or the
// biometric engine), which observe the capture themselves.
type LivenessSigner struct {
	keyID  string
	pub    crypto.PublicKey
	signer jose.Signer
}

// LivenessStatement is what a LivenessSigner attests.
type LivenessStatement struct {
	Challenge string
	Capture   Capture // its digest is bound; Liveness is ignored
	Score     float64
	Threshold float64
	IssuedAt  time.Time
	Lifetime  time.Duration // exp - iat, whole seconds; 0 means two minutes
}

// NewLivenessSigner returns a development attester signing with key (an
// ECDSA P-256 key, ES256, or an Ed25519 key, EdDSA, behind any
// crypto.Signer) under key id keyID.
func NewLivenessSigner(keyID string, key crypto.Signer) (*LivenessSigner, error) {
	if keyID == "" {
		return nil, errors.New("biometric: liveness signer: empty key id")
	}
	if key == nil {
		return nil, errors.New("biometric: liveness signer: nil key")
	}
	alg, err := algorithmFor(key.Public())
	if err != nil {
		return nil, fmt.Errorf("biometric: liveness signer: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithType(LivenessType).WithHeader(jose.HeaderKey("kid"), keyID)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: cryptosigner.Opaque(key)}, opts)
	if err != nil {
		return nil, fmt.Errorf("biometric: liveness signer: %w", err)
	}
	return &LivenessSigner{keyID: keyID, pub: key.Public(), signer: s}, nil
}

// TrustedKey returns the key a verifier must trust to accept this signer's
// attestations (in development and tests only).
func (s *LivenessSigner) TrustedKey() TrustedKey {
	return TrustedKey{ID: s.keyID, Key: s.pub}
}

// Attest signs st.
func (s *LivenessSigner) Attest(st LivenessStatement) (LivenessAttestation, error) {
	digest, err := CaptureDigest(st.Capture)
	if err != nil {
		return "", err
	}
	if math.IsNaN(st.Score) || math.IsInf(st.Score, 0) || math.IsNaN(st.Threshold) || math.IsInf(st.Threshold, 0) {
		return "", errors.New("biometric: liveness signer: score and threshold must be finite")
	}
	life := st.Lifetime
	if life == 0 {
		life = 2 * time.Minute
	}
	iat := st.IssuedAt.Unix()
	claims := LivenessClaims{
		Detector:      DevDetectorName,
		Challenge:     st.Challenge,
		CaptureSHA256: base64.RawURLEncoding.EncodeToString(digest[:]),
		IssuedAt:      iat,
		Expiry:        iat + int64(life/time.Second),
		Score:         &st.Score,
		Threshold:     &st.Threshold,
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("biometric: liveness signer: %w", err)
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("biometric: liveness signer: %w", err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("biometric: liveness signer: %w", err)
	}
	return LivenessAttestation(compact), nil
}
