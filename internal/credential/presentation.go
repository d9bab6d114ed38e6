package credential

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/netid/netid/internal/crypto/suite"
)

// A presentation is how a wallet shows its internet certificate to a
// platform (a relying party): a short-lived object, signed by the device
// key, that binds the certificate to the platform's client id and to a
// challenge the platform chose. It is text, so that it fits in a QR code
// or a form field:
//
//	"NETID1:" base64url-without-padding( body || u8 len(sig) || sig )
//
//	body = u8 version (1)
//	       u16 len(cert)      cert (DER)
//	       u8  len(client_id) client_id
//	       u8  len(challenge) challenge
//	       i64 issued_at      (Unix seconds)
//	       i64 expires_at     (Unix seconds)
//	       u8  count          count × ( u8 len(attribute) attribute
//	                                    u16 len(value) value
//	                                    32-byte salt )
//
// All integers are big-endian. The signature is the suite's (ECDSA P-256
// with SHA-256, or SM2 with SM3 and the default id) over
// presentationContext || body: the context string keeps a presentation
// signature from being mistaken for any other signature the device key
// makes. A presentation with a ~800-byte certificate and one disclosure
// is about 1,300 characters (measured: 1,287 with P-256, 1,289 with SM2):
// a QR code of version 26 at error correction level L in byte mode
// (capacity 1,367 bytes), which phone cameras read from a screen. Each
// disclosure adds about 60 characters plus its value.
const (
	// PresentationPrefix starts every presentation's text form.
	PresentationPrefix = "NETID1:"
	// PresentationVersion is the version byte this package writes and reads.
	PresentationVersion = 1
	// MaxPresentationLifetime is the longest span from issued_at to
	// expires_at that VerifyPresentation accepts.
	MaxPresentationLifetime = 2 * time.Minute
	// PresentationClockSkew is the clock difference between wallet and
	// verifier that VerifyPresentation tolerates at both ends of the span.
	PresentationClockSkew = 30 * time.Second
	// MinChallenge and MaxChallenge bound the platform's challenge, in
	// bytes: at least 128 bits, so that a presentation cannot be replayed
	// to a platform that picks its challenges at random.
	MinChallenge = 16
	MaxChallenge = 128
	// maxClientID bounds the client id (rp client ids are 35 characters).
	maxClientID = 255
	// maxPresentationText bounds the text VerifyPresentation parses.
	maxPresentationText = 16 << 10
)

// presentationContext is prepended to the body before signing.
const presentationContext = "netid presentation v1\x00"

// Errors of presentations. A certificate that is not valid yields
// ErrCertificateInvalid, a revoked one a *RevokedError (errors.Is
// ErrRevoked), a disclosure that does not open its commitment
// ErrDisclosure.
var (
	// ErrPresentation is returned for a presentation that does not parse.
	ErrPresentation = errors.New("credential: malformed presentation")
	// ErrPresentationSignature: the device key of the certificate did not
	// sign the presentation.
	ErrPresentationSignature = errors.New("credential: presentation signature does not verify")
	// ErrPresentationAudience: the presentation is for another platform.
	ErrPresentationAudience = errors.New("credential: presentation is for another client id")
	// ErrPresentationChallenge: the presentation answers another challenge.
	ErrPresentationChallenge = errors.New("credential: presentation answers another challenge")
	// ErrPresentationExpired: the presentation's validity has ended.
	ErrPresentationExpired = errors.New("credential: presentation expired")
	// ErrPresentationNotYetValid: the presentation was made in the future
	// of the verifier's clock (beyond the tolerated skew).
	ErrPresentationNotYetValid = errors.New("credential: presentation issued in the future")
)

// RevokedError is returned by VerifyPresentation for a revoked certificate.
// It matches ErrRevoked with errors.Is.
type RevokedError struct {
	Entry RevokedCertificate
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("%v: serial %s, reason %s, at %s", ErrRevoked, e.Entry.Serial, e.Entry.Reason,
		e.Entry.RevokedAt.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrRevoked) true.
func (e *RevokedError) Unwrap() error { return ErrRevoked }

// Presentation is the content of a presentation, as parsed and before any
// check: ParsePresentation's result.
type Presentation struct {
	Certificate []byte // DER
	ClientID    string
	Challenge   []byte
	IssuedAt    time.Time
	ExpiresAt   time.Time
	Disclosed   []Opening
	// signed is the body the signature covers (without the context);
	// Signature the signature.
	signed    []byte
	Signature []byte
}

// CreatePresentation makes the text of a presentation of certDER to the
// platform clientID, answering challenge, valid from now for
// MaxPresentationLifetime, disclosing openings (those the resident chose;
// nil for none), signed by the device key signer: ECDSA P-256 (with
// SHA-256) or SM2 (with SM3), whichever suite the certificate is of, since
// the sm suite certifies P-256 device keys too. rand is the signature's
// randomness (crypto/rand when nil).
func CreatePresentation(rand io.Reader, signer crypto.Signer, certDER []byte, clientID string, challenge []byte, openings []Opening, now time.Time) (string, error) {
	p := Presentation{
		Certificate: certDER, ClientID: clientID, Challenge: challenge,
		IssuedAt: now.Truncate(time.Second), Disclosed: openings,
	}
	p.ExpiresAt = p.IssuedAt.Add(MaxPresentationLifetime)
	body, err := p.marshalBody()
	if err != nil {
		return "", err
	}
	key, err := deviceKeyOf(smSuite, signer.Public())
	if err != nil {
		return "", err
	}
	sig, err := key.suite.Sign(rand, signer, signedMessage(body))
	if err != nil {
		return "", fmt.Errorf("credential: signing presentation: %w", err)
	}
	if len(sig) > 255 {
		return "", fmt.Errorf("credential: signature of %d bytes", len(sig))
	}
	out := append(body, byte(len(sig)))
	out = append(out, sig...)
	return PresentationPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

func signedMessage(body []byte) []byte {
	return append([]byte(presentationContext), body...)
}

// marshalBody encodes what the signature covers, checking every bound.
func (p Presentation) marshalBody() ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: %s", ErrPresentation, fmt.Sprintf(format, args...))
	}
	switch {
	case len(p.Certificate) == 0 || len(p.Certificate) > 0xffff:
		return bad("certificate of %d bytes", len(p.Certificate))
	case p.ClientID == "" || len(p.ClientID) > maxClientID:
		return bad("client id of %d bytes", len(p.ClientID))
	case len(p.Challenge) < MinChallenge || len(p.Challenge) > MaxChallenge:
		return bad("challenge of %d bytes, want %d to %d", len(p.Challenge), MinChallenge, MaxChallenge)
	case len(p.Disclosed) > MaxCommitments:
		return bad("%d disclosures, at most %d", len(p.Disclosed), MaxCommitments)
	}
	b := []byte{PresentationVersion}
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Certificate)))
	b = append(b, p.Certificate...)
	b = append(b, byte(len(p.ClientID)))
	b = append(b, p.ClientID...)
	b = append(b, byte(len(p.Challenge)))
	b = append(b, p.Challenge...)
	b = binary.BigEndian.AppendUint64(b, uint64(p.IssuedAt.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(p.ExpiresAt.Unix()))
	b = append(b, byte(len(p.Disclosed)))
	for _, o := range p.Disclosed {
		if !attributeName.MatchString(o.Attribute) || len(o.Value) > 0xffff || len(o.Salt) != SaltSize {
			return bad("disclosure of attribute %q", o.Attribute)
		}
		b = append(b, byte(len(o.Attribute)))
		b = append(b, o.Attribute...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(o.Value)))
		b = append(b, o.Value...)
		b = append(b, o.Salt...)
	}
	return b, nil
}

// ParsePresentation decodes the text of a presentation without checking
// anything but its form. Errors wrap ErrPresentation.
func ParsePresentation(text string) (*Presentation, error) {
	text = strings.TrimSpace(text)
	bad := func(format string, args ...any) (*Presentation, error) {
		return nil, fmt.Errorf("%w: %s", ErrPresentation, fmt.Sprintf(format, args...))
	}
	rest, ok := strings.CutPrefix(text, PresentationPrefix)
	if !ok {
		return bad("does not start with %q", PresentationPrefix)
	}
	if len(rest) > maxPresentationText {
		return bad("%d characters, at most %d", len(rest), maxPresentationText)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil {
		return bad("not base64url: %v", err)
	}
	r := reader{b: raw}
	if v := r.u8(); v != PresentationVersion {
		return bad("version %d, want %d", v, PresentationVersion)
	}
	p := &Presentation{}
	p.Certificate = r.bytes(int(r.u16()))
	p.ClientID = string(r.bytes(int(r.u8())))
	p.Challenge = r.bytes(int(r.u8()))
	p.IssuedAt = time.Unix(int64(r.u64()), 0).UTC()
	p.ExpiresAt = time.Unix(int64(r.u64()), 0).UTC()
	n := int(r.u8())
	if n > MaxCommitments {
		return bad("%d disclosures, at most %d", n, MaxCommitments)
	}
	for range n {
		o := Opening{Attribute: string(r.bytes(int(r.u8())))}
		o.Value = string(r.bytes(int(r.u16())))
		o.Salt = r.bytes(SaltSize)
		p.Disclosed = append(p.Disclosed, o)
	}
	bodyLen := r.off
	p.Signature = r.bytes(int(r.u8()))
	if r.short {
		return bad("truncated")
	}
	if r.off != len(raw) {
		return bad("%d bytes after the signature", len(raw)-r.off)
	}
	p.signed = raw[:bodyLen]
	// Re-encoding must give the same bytes: a single encoding per content,
	// and every bound of marshalBody holds.
	again, err := p.marshalBody()
	if err != nil {
		return nil, err
	}
	if string(again) != string(p.signed) {
		return bad("non-canonical encoding")
	}
	if len(p.Signature) == 0 {
		return bad("no signature")
	}
	return p, nil
}

// reader reads big-endian fields, remembering a short read instead of
// failing at each one.
type reader struct {
	b     []byte
	off   int
	short bool
}

func (r *reader) bytes(n int) []byte {
	if r.short || n > len(r.b)-r.off {
		r.short = true
		return nil
	}
	out := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return out
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// PresentationExpectation is what the verifier expects of a presentation:
// its own client id, the challenge it issued, and the time of
// verification.
type PresentationExpectation struct {
	ClientID  string
	Challenge []byte
	Now       time.Time
}

// VerifiedPresentation is what VerifyPresentation establishes.
type VerifiedPresentation struct {
	// Certificate is the verified internet certificate; its InternetNumber
	// is the subject: a verifier that checks offline learns it.
	Certificate *VerifiedCertificate
	ClientID    string
	IssuedAt    time.Time
	ExpiresAt   time.Time
	// Disclosed are the openings the resident chose to disclose, each
	// checked against the certificate's commitment of that attribute.
	Disclosed []Opening
}

// VerifyPresentation checks the presentation text with suite s, as a
// platform does offline or the verification API online: that it parses;
// that the certificate in it is a valid internet certificate chaining to
// one of caCerts at want.Now (VerifyCertificate); that the certificate's
// device key signed it; that it is for want.ClientID and answers
// want.Challenge (compared in constant time); that want.Now lies within
// its validity (with PresentationClockSkew either side, and a validity no
// longer than MaxPresentationLifetime); that, when crl is not nil, crl is
// the CRL of the certificate's CA and does not list it; and that each
// disclosure opens the certificate's commitment of its attribute.
//
// crl must have been checked by VerifyCRL; nil skips the revocation check
// (the caller then checks revocation otherwise: OCSP, or its own store).
func VerifyPresentation(s suite.Suite, text string, caCerts []*x509.Certificate, want PresentationExpectation, crl *RevocationList) (*VerifiedPresentation, error) {
	p, err := ParsePresentation(text)
	if err != nil {
		return nil, err
	}
	cert, err := s.ParseCertificate(p.Certificate)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateInvalid, err)
	}
	vc, err := VerifyCertificate(s, cert, caCerts, want.Now)
	if err != nil {
		return nil, err
	}
	return checkPresentation(s, p, vc, want, crl)
}

// checkPresentation is VerifyPresentation after the certificate check.
func checkPresentation(s suite.Suite, p *Presentation, vc *VerifiedCertificate, want PresentationExpectation, crl *RevocationList) (*VerifiedPresentation, error) {
	// VerifyCertificate has checked the key's type; the signature is that
	// of the key, which need not be the suite's (the sm suite certifies
	// P-256 keys too).
	sigSuite := intlSuite
	if k, ok := vc.DevicePublicKey.(*ecdsa.PublicKey); ok && sm2.IsSM2PublicKey(k) {
		sigSuite = smSuite
	}
	if err := sigSuite.Verify(vc.DevicePublicKey, signedMessage(p.signed), p.Signature); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPresentationSignature, err)
	}
	if p.ClientID != want.ClientID {
		return nil, fmt.Errorf("%w: for %q, not %q", ErrPresentationAudience, p.ClientID, want.ClientID)
	}
	if subtle.ConstantTimeCompare(p.Challenge, want.Challenge) != 1 {
		return nil, ErrPresentationChallenge
	}
	life := p.ExpiresAt.Sub(p.IssuedAt)
	if life <= 0 || life > MaxPresentationLifetime {
		return nil, fmt.Errorf("%w: valid for %v, at most %v", ErrPresentation, life, MaxPresentationLifetime)
	}
	if want.Now.Add(PresentationClockSkew).Before(p.IssuedAt) {
		return nil, fmt.Errorf("%w: issued at %v, now %v", ErrPresentationNotYetValid, p.IssuedAt, want.Now.UTC())
	}
	if want.Now.After(p.ExpiresAt.Add(PresentationClockSkew)) {
		return nil, fmt.Errorf("%w: at %v, now %v", ErrPresentationExpired, p.ExpiresAt, want.Now.UTC())
	}
	if crl != nil {
		if crl.CAKeyID != vc.CAKeyID {
			return nil, fmt.Errorf("%w: the CRL is another CA's", ErrCRL)
		}
		if e, revoked := crl.Lookup(vc.Serial); revoked {
			return nil, &RevokedError{Entry: e}
		}
	}
	if err := checkDisclosures(p.Disclosed, vc.Commitments); err != nil {
		return nil, err
	}
	return &VerifiedPresentation{
		Certificate: vc, ClientID: p.ClientID,
		IssuedAt: p.IssuedAt, ExpiresAt: p.ExpiresAt, Disclosed: p.Disclosed,
	}, nil
}

// checkDisclosures checks each opening against the commitment of its
// attribute; an attribute disclosed twice, or without a commitment, is
// refused.
func checkDisclosures(os []Opening, cs []Commitment) error {
	seen := make(map[string]bool, len(os))
	for _, o := range os {
		if seen[o.Attribute] {
			return fmt.Errorf("%w: attribute %q disclosed twice", ErrDisclosure, o.Attribute)
		}
		seen[o.Attribute] = true
		found := false
		for _, c := range cs {
			if c.Attribute == o.Attribute {
				if err := c.Verify(o); err != nil {
					return err
				}
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: the certificate commits to no attribute %q", ErrDisclosure, o.Attribute)
		}
	}
	return nil
}

// PresentationFailure names the way a presentation failed verification,
// as the stable reason code that both verification APIs (POST
// /v1/presentations/verify and the wallet approvals) put in their problem
// types; ok is false for an error that is not a verification failure (a
// store error, say).
func PresentationFailure(err error) (reason string, ok bool) {
	var revoked *RevokedError
	if errors.As(err, &revoked) {
		return "presentation-certificate-revoked", true
	}
	for _, c := range presentationFailures {
		if errors.Is(err, c.target) {
			return c.reason, true
		}
	}
	return "", false
}

// presentationFailures are the reason codes of the verification errors.
var presentationFailures = []struct {
	target error
	reason string
}{
	{ErrPresentation, "presentation-malformed"},
	{ErrPresentationSignature, "presentation-signature"},
	{ErrPresentationAudience, "presentation-audience"},
	{ErrPresentationChallenge, "presentation-challenge"},
	{ErrPresentationExpired, "presentation-expired"},
	{ErrPresentationNotYetValid, "presentation-not-yet-valid"},
	{ErrCertificateInvalid, "presentation-certificate-invalid"},
	{ErrDisclosure, "presentation-disclosure"},
	{ErrCommitment, "presentation-disclosure"},
}
