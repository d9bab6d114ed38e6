package credential

import (
	"bytes"
	"crypto"
	"crypto/subtle"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/netid/netid/internal/crypto/suite"
)

// Limits of certification requests.
const (
	// MaxCSRSize is the largest request ParseCSR reads, PEM or DER. A
	// netid request is about 300 bytes.
	MaxCSRSize = 8 << 10
	// MinNonceLen and MaxNonceLen bound the enrolment nonce, in bytes. 16
	// bytes make a random nonce unguessable; 255 is the upper bound of a
	// challengePassword (RFC 2985 section 5.4.1, ub-challenge-password).
	MinNonceLen = 16
	MaxNonceLen = 255
)

// oidChallengePassword is the PKCS#9 challengePassword attribute (RFC 2985
// section 5.4.1).
var oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}

// The two suites, for device keys: a device key is P-256 or SM2 whatever
// the CA's suite (see ParseCSR), so both are needed to parse and verify it.
var intlSuite, smSuite = mustSuite(suite.Intl), mustSuite(suite.SM)

func mustSuite(n suite.Name) suite.Suite {
	s, err := suite.New(n)
	if err != nil {
		panic(err)
	}
	return s
}

// CSR is a certification request whose signature verified and which carried
// the expected enrolment nonce: proof that the requester holds the private
// key of PublicKey, made for this enrolment.
type CSR struct {
	// PublicKey is the device key: an *ecdsa.PublicKey on P-256 or on the
	// SM2 curve.
	PublicKey crypto.PublicKey
	// PublicKeyDER is its SubjectPublicKeyInfo, as the request carried it.
	PublicKeyDER []byte
	// Raw is the DER request.
	Raw []byte
}

// deviceKey is a device public key with what belongs to its type.
type deviceKey struct {
	pub    crypto.PublicKey
	spki   []byte
	suite  suite.Suite           // the suite whose Verify checks its signatures
	sigOID asn1.ObjectIdentifier // the signature algorithm it signs requests with
}

// parseDeviceKey parses a SubjectPublicKeyInfo as a device key that CA
// suite s certifies: P-256 in both suites, SM2 in the sm suite only.
func parseDeviceKey(s suite.Suite, spki []byte) (deviceKey, error) {
	if pub, err := intlSuite.ParsePublicKey(spki); err == nil {
		return deviceKey{pub: pub, spki: spki, suite: intlSuite, sigOID: oidECDSAWithSHA256}, nil
	}
	if pub, err := smSuite.ParsePublicKey(spki); err == nil {
		if s.Name() != suite.SM {
			return deviceKey{}, fmt.Errorf("%w: the %s suite certifies ECDSA P-256 device keys, not SM2", ErrDeviceKey, s.Name())
		}
		return deviceKey{pub: pub, spki: spki, suite: smSuite, sigOID: oidSM2WithSM3}, nil
	}
	if s.Name() == suite.SM {
		return deviceKey{}, fmt.Errorf("%w: want ECDSA P-256 or SM2", ErrDeviceKey)
	}
	return deviceKey{}, fmt.Errorf("%w: want ECDSA P-256", ErrDeviceKey)
}

// deviceKeyOf is parseDeviceKey for a parsed public key.
func deviceKeyOf(s suite.Suite, pub crypto.PublicKey) (deviceKey, error) {
	spki, err := intlSuite.MarshalPublicKey(pub)
	if err != nil {
		if spki, err = smSuite.MarshalPublicKey(pub); err != nil {
			return deviceKey{}, fmt.Errorf("%w: %T", ErrDeviceKey, pub)
		}
	}
	return parseDeviceKey(s, spki)
}

// checkNonce refuses a nonce outside the limits: a caller's bug.
func checkNonce(nonce string) error {
	if len(nonce) < MinNonceLen || len(nonce) > MaxNonceLen || !utf8.ValidString(nonce) {
		return fmt.Errorf("credential: enrolment nonce must be %d to %d bytes of UTF-8, got %d bytes", MinNonceLen, MaxNonceLen, len(nonce))
	}
	return nil
}

// ParseCSR parses a PKCS#10 certification request (RFC 2986), DER or PEM
// ("CERTIFICATE REQUEST"), for the CA of suite s, and checks that
//
//   - the device key is ECDSA P-256, or, in the sm suite, ECDSA P-256 or
//     SM2 (phones' secure elements only hold P-256 keys, so refusing them
//     in the sm suite would push keys out of hardware; SM2 in the intl
//     suite would force every relying party to carry the SM stack);
//   - the request is signed by that key with ecdsa-with-SHA256 (P-256) or
//     SM2-with-SM3 (SM2, default user ID): proof of possession;
//   - its challengePassword attribute (PKCS#9, RFC 2985 section 5.4.1; a
//     PrintableString or UTF8String) is exactly nonce, the enrolment's
//     nonce. This binds the request to one enrolment, as EST binds a
//     request to its TLS session (RFC 7030 section 3.5): a request captured
//     from one enrolment cannot be replayed into another.
//
// Everything else in the request (subject, requested extensions, other
// attributes) is ignored: the CA sets the certificate's content. Errors
// wrap ErrCSR, ErrDeviceKey, ErrCSRSignature or ErrCSRNonce. nonce must be
// MinNonceLen to MaxNonceLen bytes.
func ParseCSR(s suite.Suite, data []byte, nonce string) (*CSR, error) {
	if err := checkNonce(nonce); err != nil {
		return nil, err
	}
	if len(data) > MaxCSRSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCSR, len(data), MaxCSRSize)
	}
	der, err := csrDER(data)
	if err != nil {
		return nil, err
	}
	req, err := parseCSRStructure(der)
	if err != nil {
		return nil, err
	}
	key, err := parseDeviceKey(s, req.spki)
	if err != nil {
		return nil, err
	}
	if !req.sigOID.Equal(key.sigOID) {
		return nil, fmt.Errorf("%w: signature algorithm %v does not go with the key, want %v", ErrCSR, req.sigOID, key.sigOID)
	}
	if err := key.suite.Verify(key.pub, req.tbs, req.sig); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCSRSignature, err)
	}
	if req.password == nil {
		return nil, fmt.Errorf("%w: no challengePassword attribute", ErrCSRNonce)
	}
	if subtle.ConstantTimeCompare(req.password, []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: challengePassword differs", ErrCSRNonce)
	}
	return &CSR{PublicKey: key.pub, PublicKeyDER: key.spki, Raw: der}, nil
}

// csrDER returns the DER request in data, decoding PEM if data is PEM.
func csrDER(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		return data, nil
	}
	block, rest := pem.Decode(trimmed)
	switch {
	case block == nil:
		return nil, fmt.Errorf("%w: unreadable PEM", ErrCSR)
	case block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST":
		return nil, fmt.Errorf("%w: PEM block is %q, want CERTIFICATE REQUEST", ErrCSR, block.Type)
	case len(block.Headers) > 0:
		return nil, fmt.Errorf("%w: PEM headers are not allowed", ErrCSR)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("%w: data after the PEM block", ErrCSR)
	}
	return block.Bytes, nil
}

// csrParts are the pieces of a request that ParseCSR checks.
type csrParts struct {
	tbs      []byte // CertificationRequestInfo, DER, as signed
	spki     []byte
	sigOID   asn1.ObjectIdentifier
	sig      []byte
	password []byte // challengePassword; nil if absent
}

// parseCSRStructure decodes a CertificationRequest strictly (DER, as
// cryptobyte reads it):
//
//	CertificationRequest ::= SEQUENCE {
//	    certificationRequestInfo  SEQUENCE {
//	        version        INTEGER (0),
//	        subject        Name,
//	        subjectPKInfo  SubjectPublicKeyInfo,
//	        attributes     [0] IMPLICIT SET OF Attribute },
//	    signatureAlgorithm  AlgorithmIdentifier,
//	    signature           BIT STRING }
func parseCSRStructure(der []byte) (csrParts, error) {
	var p csrParts
	malformed := func(what string) (csrParts, error) {
		return csrParts{}, fmt.Errorf("%w: malformed %s", ErrCSR, what)
	}
	in := cryptobyte.String(der)
	var outer, tbs, info, spki, algo cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !in.Empty() {
		return malformed("request")
	}
	if !outer.ReadASN1Element(&tbs, cbasn1.SEQUENCE) {
		return malformed("request info")
	}
	p.tbs = tbs
	if !outer.ReadASN1(&algo, cbasn1.SEQUENCE) || !algo.ReadASN1ObjectIdentifier(&p.sigOID) {
		return malformed("signature algorithm")
	}
	// Parameters are absent for both algorithms; tolerate an explicit NULL,
	// which some encoders add.
	if !algo.Empty() && (!algo.SkipASN1(cbasn1.NULL) || !algo.Empty()) {
		return malformed("signature algorithm parameters")
	}
	if !outer.ReadASN1BitStringAsBytes(&p.sig) || !outer.Empty() {
		return malformed("signature")
	}
	var version int64
	if !tbs.ReadASN1(&info, cbasn1.SEQUENCE) || !info.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) || version != 0 {
		return malformed("request info version")
	}
	if !info.SkipASN1(cbasn1.SEQUENCE) {
		return malformed("subject")
	}
	if !info.ReadASN1Element(&spki, cbasn1.SEQUENCE) {
		return malformed("public key")
	}
	p.spki = spki
	var attrs cryptobyte.String
	if !info.ReadASN1(&attrs, cbasn1.Tag(0).ContextSpecific().Constructed()) || !info.Empty() {
		return malformed("attributes")
	}
	for !attrs.Empty() {
		var attr, values, value cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !attrs.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, cbasn1.SET) || !attr.Empty() {
			return malformed("attribute")
		}
		if !oid.Equal(oidChallengePassword) {
			continue
		}
		var tag cbasn1.Tag
		if p.password != nil || !values.ReadAnyASN1(&value, &tag) || !values.Empty() {
			return csrParts{}, fmt.Errorf("%w: challengePassword must be one attribute with one value", ErrCSR)
		}
		if tag != cbasn1.PrintableString && tag != cbasn1.UTF8String {
			return csrParts{}, fmt.Errorf("%w: challengePassword must be a PrintableString or UTF8String", ErrCSR)
		}
		p.password = append([]byte{}, value...)
	}
	return p, nil
}

// CreateCSR makes the certification request a wallet sends to enrol or
// renew: for the device key, signed by it, with nonce in the
// challengePassword attribute (a UTF8String) and an empty subject. It is
// the counterpart of ParseCSR, here so that the format has one home. The
// device key must be ECDSA P-256 or SM2; r is the signature randomness
// (crypto/rand when nil).
func CreateCSR(r io.Reader, device crypto.Signer, nonce string) ([]byte, error) {
	if err := checkNonce(nonce); err != nil {
		return nil, err
	}
	// smSuite accepts both key types for this purpose (see ParseCSR).
	key, err := deviceKeyOf(smSuite, device.Public())
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		b.AddASN1(cbasn1.SEQUENCE, func(*cryptobyte.Builder) {}) // empty subject: the CA sets it
		b.AddBytes(key.spki)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidChallengePassword)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(nonce)) })
				})
			})
		})
	})
	tbs, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("credential: encode request: %w", err)
	}
	sig, err := key.suite.Sign(r, device, tbs)
	if err != nil {
		return nil, fmt.Errorf("credential: sign request: %w", err)
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(key.sigOID) })
		b.AddASN1BitString(sig)
	})
	der, err := out.Bytes()
	if err != nil {
		return nil, fmt.Errorf("credential: encode request: %w", err)
	}
	return der, nil
}
