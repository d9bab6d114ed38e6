package suite

import (
	"crypto"
	"crypto/cipher"
	cryptorand "crypto/rand"
	"crypto/x509"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// Name names a crypto suite. It is what operators write in configuration.
type Name string

const (
	// Intl is the international suite: ECDSA P-256, SHA-256, HMAC-SHA-256,
	// AES-256-GCM, X.509 with ecdsa-with-SHA256.
	Intl Name = "intl"
	// SM is the Chinese state commercial suite: SM2, SM3, HMAC-SM3, SM4-GCM,
	// X.509 with SM2-with-SM3.
	SM Name = "sm"
)

// Names lists every valid suite name, in the order error messages show them.
func Names() []Name { return []Name{Intl, SM} }

// Parse turns configuration text into a Name. The error lists the valid
// values so that an operator can fix the configuration without reading code.
func Parse(s string) (Name, error) {
	switch n := Name(strings.TrimSpace(s)); n {
	case Intl, SM:
		return n, nil
	default:
		return "", fmt.Errorf("%w %q: valid values are %q and %q", ErrUnknownSuite, s, Intl, SM)
	}
}

// New returns the suite called n. The two suites are chosen by an explicit
// switch, not looked up in a registry: there are exactly two, and a reader
// should see both at a glance.
func New(n Name) (Suite, error) {
	switch n {
	case Intl:
		return intlSuite{}, nil
	case SM:
		return smSuite{}, nil
	default:
		return nil, fmt.Errorf("%w %q: valid values are %q and %q", ErrUnknownSuite, string(n), Intl, SM)
	}
}

// DefaultSM2UserID is the signer identity that SM2 signatures hash into Z_A
// when the parties agreed on no other (GM/T 0009-2012, GB/T 35276-2017):
// the ASCII string "1234567812345678". The sm suite always
// uses it, as SM2-with-SM3 certificates do.
const DefaultSM2UserID = "1234567812345678"

// NonceSize is the nonce size, in bytes, of the AEAD of both suites (a 96-bit
// GCM nonce, NIST SP 800-38D section 5.2.1.1).
const NonceSize = 12

// Algorithms names the algorithms of a suite. The names are stable: they are
// written into key files and metadata (package keystore).
type Algorithms struct {
	// Signature is "ecdsa-p256" (ECDSA over P-256 with SHA-256) or "sm2"
	// (SM2 with SM3 and the default user ID).
	Signature string
	// Hash is "sha-256" or "sm3".
	Hash string
	// MAC is "hmac-sha256" or "hmac-sm3".
	MAC string
	// AEAD is "aes-256-gcm" or "sm4-gcm".
	AEAD string
}

// Suite is one coherent set of algorithms. Implementations are stateless and
// safe for concurrent use.
//
// Signing goes through crypto.Signer so that software keys, PKCS#11 tokens and
// cloud KMS keys fit the same hole. A signer handed to Sign or
// CreateCertificate is never type-asserted to a concrete private key type.
//
// Certificates are exchanged as *x509.Certificate (crypto/x509) in both suites,
// so callers hold one type. The standard library cannot parse or verify
// SM2-with-SM3 certificates, so for the sm suite:
//   - ParseCertificate parses with gmsm's smx509 and copies every field into an
//     *x509.Certificate; SignatureAlgorithm is x509.UnknownSignatureAlgorithm and
//     PublicKey is an *ecdsa.PublicKey on the SM2 curve.
//   - The methods of x509.Certificate that check signatures (Verify,
//     CheckSignatureFrom, CheckSignature) do not work on such a certificate:
//     use Suite.VerifyChain, which re-parses Raw with smx509.
type Suite interface {
	// Name returns the suite's name.
	Name() Name
	// Algorithms returns the names of the suite's algorithms.
	Algorithms() Algorithms

	// Hash returns the SHA-256 (FIPS 180-4) or SM3 (GB/T 32905-2016) digest of
	// msg, 32 bytes in both suites.
	Hash(msg []byte) []byte
	// NewHash returns a new SHA-256 or SM3 hash.Hash.
	NewHash() hash.Hash

	// MAC returns HMAC (RFC 2104) of msg under key with the suite hash:
	// HMAC-SHA-256 or HMAC-SM3 (GM/T 0042-2015). It is the keyed hash of
	// blind indexes and pairwise subjects; keys should be 32 random bytes.
	MAC(key, msg []byte) []byte

	// AEADKeySize is the key size of NewAEAD: 32 (AES-256) or 16 (SM4).
	AEADKeySize() int
	// NewAEAD returns AES-256-GCM or SM4-GCM (RFC 8998) with a 12-byte nonce
	// and a 16-byte tag. It fails unless len(key) == AEADKeySize().
	NewAEAD(key []byte) (cipher.AEAD, error)

	// GenerateSigner creates a software key pair: ECDSA P-256, or SM2
	// (returned as *sm2.PrivateKey of github.com/emmansun/gmsm).
	GenerateSigner(rand io.Reader) (crypto.Signer, error)
	// Sign signs the whole message msg and returns an ASN.1 DER
	// SEQUENCE{r, s}. intl hashes msg with SHA-256; sm computes
	// SM3(Z_A || msg) with the default user ID (GB/T 32918.2-2016 section 6).
	// It fails with ErrKeyType if signer's public key is not of the suite.
	Sign(rand io.Reader, signer crypto.Signer, msg []byte) ([]byte, error)
	// Verify checks a signature made by Sign. It returns nil, or an error
	// wrapping ErrInvalidSignature or ErrKeyType.
	Verify(pub crypto.PublicKey, msg, sig []byte) error

	// MarshalPrivateKey encodes a software private key as PKCS#8 DER. It
	// needs the concrete key (*ecdsa.PrivateKey or *sm2.PrivateKey), since a
	// hardware key cannot be exported.
	MarshalPrivateKey(key crypto.Signer) ([]byte, error)
	// ParsePrivateKey decodes PKCS#8 DER into a signer of the suite.
	ParsePrivateKey(der []byte) (crypto.Signer, error)
	// MarshalPublicKey encodes a public key as PKIX SubjectPublicKeyInfo DER.
	MarshalPublicKey(pub crypto.PublicKey) ([]byte, error)
	// ParsePublicKey decodes PKIX DER into a public key of the suite
	// (*ecdsa.PublicKey on P-256 or on the SM2 curve).
	ParsePublicKey(der []byte) (crypto.PublicKey, error)

	// CreateCertificate issues an X.509 v3 certificate (RFC 5280) for pub,
	// described by template, signed by signer on behalf of parent (parent ==
	// template for a self-signed certificate), and returns its DER. The
	// signature is ecdsa-with-SHA256 or SM2-with-SM3 (GM/T 0015-2012);
	// template.SignatureAlgorithm must be left zero. The subject key pub may
	// be of any type the X.509 library supports (a device may only hold
	// P-256 keys); the signer must be of the suite. template is not modified.
	CreateCertificate(rand io.Reader, template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, error)
	// ParseCertificate parses one DER certificate.
	ParseCertificate(der []byte) (*x509.Certificate, error)
	// VerifyChain builds and verifies chains from cert to one of opts.Roots
	// (RFC 5280 section 6) and returns them, leaf first. Errors wrap
	// ErrUnknownAuthority (no chain, including bad signatures),
	// ErrCertificateExpired (outside validity at opts.At) or
	// ErrCertificateInvalid (anything else).
	VerifyChain(cert *x509.Certificate, opts VerifyOptions) ([][]*x509.Certificate, error)
}

// VerifyOptions are the inputs of Suite.VerifyChain. Every field but
// Intermediates is required: netid never verifies against the system roots,
// never with an implicit clock and never with an implicit usage.
type VerifyOptions struct {
	// Roots are the trust anchors. At least one.
	Roots []*x509.Certificate
	// Intermediates may be used to build the chain; they are not trusted.
	Intermediates []*x509.Certificate
	// At is the time at which every certificate must be valid.
	At time.Time
	// KeyUsages lists acceptable extended key usages; a chain is accepted if
	// it allows any of them. At least one: pass x509.ExtKeyUsageAny to accept
	// any (crypto/x509 would silently default to server authentication).
	KeyUsages []x509.ExtKeyUsage
}

func (o VerifyOptions) check() error {
	switch {
	case len(o.Roots) == 0:
		return fmt.Errorf("%w: no roots given", ErrCertificateInvalid)
	case o.At.IsZero():
		return fmt.Errorf("%w: no verification time given", ErrCertificateInvalid)
	case len(o.KeyUsages) == 0:
		return fmt.Errorf("%w: no key usage given (use x509.ExtKeyUsageAny to accept any)", ErrCertificateInvalid)
	}
	for _, c := range append(append([]*x509.Certificate{}, o.Roots...), o.Intermediates...) {
		if c == nil || len(c.Raw) == 0 {
			return fmt.Errorf("%w: a root or intermediate is nil or was not parsed", ErrCertificateInvalid)
		}
	}
	return nil
}

// randOrDefault returns r, or crypto/rand.Reader when r is nil.
func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return cryptorand.Reader
	}
	return r
}
