package biometric

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// LivenessAttestation is a liveness detector's signed statement that a
// capture came from a live person: a JWS in compact serialization (RFC 7515
// section 7.1), signed ES256 or EdDSA, with protected header
//
//	{"alg": "ES256" | "EdDSA", "kid": "<trusted key id>", "typ": "netid-liveness+jwt"}
//
// and the claims of LivenessClaims as payload.
type LivenessAttestation string

// LivenessType is the JWS "typ" header of an attestation. Requiring it
// (RFC 8725 section 3.11, explicit typing) stops a token signed by the same
// key for another purpose from being accepted as an attestation.
const LivenessType = "netid-liveness+jwt"

// Liveness limits.
const (
	// MaxAttestationSize bounds what is parsed; a real attestation is about
	// 500 bytes.
	MaxAttestationSize = 8 << 10
	// DefaultMaxAttestationLifetime is the longest exp - iat accepted by
	// default: a liveness check is only meaningful right after the capture.
	DefaultMaxAttestationLifetime = 5 * time.Minute
	// DefaultClockSkew is the tolerance between the detector's clock and
	// ours.
	DefaultClockSkew = 30 * time.Second
)

// LivenessClaims is the payload of a LivenessAttestation.
type LivenessClaims struct {
	// Detector names the detector (and its version), for the audit record.
	Detector string `json:"iss,omitempty"`
	// Challenge is the nonce the server issued for this enrolment or login
	// step; binding it stops replay of an attestation elsewhere.
	Challenge string `json:"nonce"`
	// CaptureSHA256 is the base64url (unpadded) SHA-256 of the capture, as
	// CaptureDigest computes it; binding it stops the attestation being
	// reused for another image.
	CaptureSHA256 string `json:"capture_sha256"`
	IssuedAt      int64  `json:"iat"` // seconds since the Unix epoch
	Expiry        int64  `json:"exp"` // seconds since the Unix epoch
	// Score and Threshold are on the detector's scale; the capture is live
	// when Score >= Threshold. Pointers, because 0 is a legitimate value
	// that an absent field must not silently become.
	Score     *float64 `json:"score"`
	Threshold *float64 `json:"threshold"`
}

// TrustedKey is a liveness detector's verification key.
type TrustedKey struct {
	ID  string           // the JWS "kid"
	Key crypto.PublicKey // *ecdsa.PublicKey on P-256 (ES256) or ed25519.PublicKey (EdDSA)
	// MinThreshold is the lowest threshold this detector may declare; an
	// attestation with a lower one is refused as ErrNotLive. It keeps a
	// misconfigured detector from waving everything through.
	MinThreshold float64
}

type trustedKey struct {
	TrustedKey
	alg jose.SignatureAlgorithm
}

// LivenessVerifier checks liveness attestations against configured trusted
// detector keys. It is safe for concurrent use.
type LivenessVerifier struct {
	keys        map[string]trustedKey
	maxLifetime time.Duration
	skew        time.Duration
}

// LivenessOption configures a LivenessVerifier.
type LivenessOption func(*LivenessVerifier)

// WithMaxAttestationLifetime sets the longest exp - iat accepted.
func WithMaxAttestationLifetime(d time.Duration) LivenessOption {
	return func(v *LivenessVerifier) { v.maxLifetime = d }
}

// WithClockSkew sets the tolerance applied to iat and exp.
func WithClockSkew(d time.Duration) LivenessOption {
	return func(v *LivenessVerifier) { v.skew = d }
}

// NewLivenessVerifier returns a verifier trusting keys. It reports every
// problem with the keys at once.
func NewLivenessVerifier(keys []TrustedKey, opts ...LivenessOption) (*LivenessVerifier, error) {
	v := &LivenessVerifier{
		keys:        make(map[string]trustedKey, len(keys)),
		maxLifetime: DefaultMaxAttestationLifetime,
		skew:        DefaultClockSkew,
	}
	for _, o := range opts {
		o(v)
	}
	var errs []error
	if len(keys) == 0 {
		errs = append(errs, errors.New("no trusted liveness detector key"))
	}
	if v.maxLifetime <= 0 {
		errs = append(errs, errors.New("maximum attestation lifetime must be positive"))
	}
	if v.skew < 0 {
		errs = append(errs, errors.New("clock skew must not be negative"))
	}
	for i, k := range keys {
		alg, err := algorithmFor(k.Key)
		switch {
		case k.ID == "":
			errs = append(errs, fmt.Errorf("key %d: empty key id", i))
		case err != nil:
			errs = append(errs, fmt.Errorf("key %q: %w", k.ID, err))
		case math.IsNaN(k.MinThreshold) || math.IsInf(k.MinThreshold, 0):
			errs = append(errs, fmt.Errorf("key %q: minimum threshold must be finite", k.ID))
		default:
			if _, dup := v.keys[k.ID]; dup {
				errs = append(errs, fmt.Errorf("key %q: duplicate key id", k.ID))
			}
			v.keys[k.ID] = trustedKey{TrustedKey: k, alg: alg}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("biometric: liveness verifier: %w", errors.Join(errs...))
	}
	return v, nil
}

// algorithmFor returns the one JWS algorithm accepted for a key, so that an
// attestation cannot choose a weaker algorithm than its key implies.
func algorithmFor(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k != nil && k.Curve == elliptic.P256() {
			return jose.ES256, nil
		}
		return "", errors.New("ECDSA keys must be on P-256 (ES256)")
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return jose.EdDSA, nil
		}
		return "", errors.New("malformed Ed25519 key")
	default:
		return "", fmt.Errorf("unsupported key type %T: want ECDSA P-256 or Ed25519", pub)
	}
}

// VerifyLiveness checks that att is a valid attestation, by a trusted
// detector, for this capture and this challenge, valid at now, and that the
// detector found the capture live. Checks run in this order, each with its
// own error: ErrLivenessMissing, ErrLivenessSignature, ErrLivenessMalformed,
// ErrLivenessChallenge, ErrLivenessCaptureMismatch, ErrLivenessExpired,
// ErrNotLive; a capture that is itself unusable gives ErrBadSample.
//
// The challenge must be single-use: VerifyLiveness cannot know whether an
// attestation for this challenge was already used, so the caller consumes
// the challenge (enrolment keeps it in the store) when the step completes.
func (v *LivenessVerifier) VerifyLiveness(att LivenessAttestation, capture Capture, challenge string, now time.Time) error {
	claims, err := v.parse(att)
	if err != nil {
		return err
	}
	if challenge == "" || subtle.ConstantTimeCompare([]byte(claims.Challenge), []byte(challenge)) != 1 {
		return ErrLivenessChallenge
	}
	digest, err := CaptureDigest(capture)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(claims.CaptureSHA256), []byte(base64.RawURLEncoding.EncodeToString(digest[:]))) != 1 {
		return ErrLivenessCaptureMismatch
	}
	iat, exp := time.Unix(claims.IssuedAt, 0), time.Unix(claims.Expiry, 0)
	switch {
	case exp.Sub(iat) > v.maxLifetime:
		return fmt.Errorf("%w: valid for %s, more than the %s allowed", ErrLivenessExpired, exp.Sub(iat), v.maxLifetime)
	case now.Before(iat.Add(-v.skew)):
		return fmt.Errorf("%w: issued in the future (%s)", ErrLivenessExpired, iat.UTC().Format(time.RFC3339))
	case !now.Before(exp.Add(v.skew)):
		return fmt.Errorf("%w: expired at %s", ErrLivenessExpired, exp.UTC().Format(time.RFC3339))
	}
	key := v.keys[claims.keyID]
	switch {
	case *claims.Threshold < key.MinThreshold:
		return fmt.Errorf("%w: the detector's threshold %g is below the configured floor %g", ErrNotLive, *claims.Threshold, key.MinThreshold)
	case *claims.Score < *claims.Threshold:
		return fmt.Errorf("%w: score %g below threshold %g", ErrNotLive, *claims.Score, *claims.Threshold)
	}
	return nil
}

// verifiedClaims are claims whose signature has been checked, with the key
// that checked it.
type verifiedClaims struct {
	LivenessClaims
	keyID string
}

// parse verifies the signature and decodes and checks the claims.
func (v *LivenessVerifier) parse(att LivenessAttestation) (verifiedClaims, error) {
	if att == "" {
		return verifiedClaims{}, ErrLivenessMissing
	}
	if len(att) > MaxAttestationSize {
		return verifiedClaims{}, fmt.Errorf("%w: %d bytes, more than %d", ErrLivenessSignature, len(att), MaxAttestationSize)
	}
	jws, err := jose.ParseSignedCompact(string(att), []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA})
	if err != nil {
		return verifiedClaims{}, fmt.Errorf("%w: %v", ErrLivenessSignature, err)
	}
	if len(jws.Signatures) != 1 {
		return verifiedClaims{}, fmt.Errorf("%w: want exactly one signature", ErrLivenessSignature)
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != LivenessType {
		return verifiedClaims{}, fmt.Errorf("%w: typ must be %q", ErrLivenessSignature, LivenessType)
	}
	key, ok := v.keys[h.KeyID]
	if !ok {
		return verifiedClaims{}, fmt.Errorf("%w: unknown key id %q", ErrLivenessSignature, clip(h.KeyID, 64))
	}
	if jose.SignatureAlgorithm(h.Algorithm) != key.alg {
		return verifiedClaims{}, fmt.Errorf("%w: key %q signs %s, not %q", ErrLivenessSignature, key.ID, key.alg, clip(h.Algorithm, 16))
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return verifiedClaims{}, fmt.Errorf("%w: %v", ErrLivenessSignature, err)
	}
	var c LivenessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return verifiedClaims{}, fmt.Errorf("%w: claims: %v", ErrLivenessMalformed, err)
	}
	if err := c.check(); err != nil {
		return verifiedClaims{}, err
	}
	return verifiedClaims{LivenessClaims: c, keyID: key.ID}, nil
}

func (c *LivenessClaims) check() error {
	var missing []string
	if c.Challenge == "" {
		missing = append(missing, "nonce")
	}
	if c.CaptureSHA256 == "" {
		missing = append(missing, "capture_sha256")
	}
	if c.IssuedAt == 0 {
		missing = append(missing, "iat")
	}
	if c.Expiry == 0 {
		missing = append(missing, "exp")
	}
	if c.Score == nil {
		missing = append(missing, "score")
	}
	if c.Threshold == nil {
		missing = append(missing, "threshold")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %v", ErrLivenessMalformed, missing)
	}
	if d, err := base64.RawURLEncoding.DecodeString(c.CaptureSHA256); err != nil || len(d) != 32 {
		return fmt.Errorf("%w: capture_sha256 is not an unpadded base64url SHA-256", ErrLivenessMalformed)
	}
	if c.Expiry <= c.IssuedAt {
		return fmt.Errorf("%w: exp is not after iat", ErrLivenessMalformed)
	}
	// Keep times where time.Unix arithmetic cannot overflow.
	const maxUnix = 1 << 40
	if c.IssuedAt < 0 || c.Expiry > maxUnix {
		return fmt.Errorf("%w: iat or exp out of range", ErrLivenessMalformed)
	}
	return nil
}

// NewChallenge returns a fresh liveness challenge: 32 random bytes from
// rand (crypto/rand.Reader when nil), base64url-encoded.
func NewChallenge(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("biometric: challenge: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// clip shortens untrusted text quoted in an error, so that an attacker
// cannot fill the logs through it.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
