package suite

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io"
)

// intlSuite is ECDSA P-256, SHA-256, HMAC-SHA-256, AES-256-GCM, all from the
// Go standard library.
type intlSuite struct{}

func (intlSuite) Name() Name { return Intl }

func (intlSuite) Algorithms() Algorithms {
	return Algorithms{Signature: "ecdsa-p256", Hash: "sha-256", MAC: "hmac-sha256", AEAD: "aes-256-gcm"}
}

func (intlSuite) Hash(msg []byte) []byte {
	sum := sha256.Sum256(msg)
	return sum[:]
}

func (intlSuite) NewHash() hash.Hash { return sha256.New() }

func (intlSuite) MAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func (intlSuite) AEADKeySize() int { return 32 }

func (s intlSuite) NewAEAD(key []byte) (cipher.AEAD, error) {
	// aes.NewCipher would accept 16 and 24 bytes too; the suite promises
	// AES-256 only.
	if len(key) != s.AEADKeySize() {
		return nil, fmt.Errorf("suite intl: AES-256-GCM key is %d bytes, want %d", len(key), s.AEADKeySize())
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("suite intl: %w", err)
	}
	return cipher.NewGCM(block)
}

func (intlSuite) GenerateSigner(rand io.Reader) (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), randOrDefault(rand))
}

// isP256 reports whether pub is an ECDSA public key on NIST P-256.
func isP256(pub crypto.PublicKey) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == elliptic.P256()
}

func (intlSuite) Sign(rand io.Reader, signer crypto.Signer, msg []byte) ([]byte, error) {
	if !isP256(signer.Public()) {
		return nil, fmt.Errorf("%w: intl signs with ECDSA P-256, signer holds %T", ErrKeyType, signer.Public())
	}
	// crypto.SignMessage hands the whole message to a crypto.MessageSigner
	// (some KMS sign messages, not digests) and the SHA-256 digest to any
	// other signer.
	sig, err := crypto.SignMessage(signer, randOrDefault(rand), msg, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("suite intl: sign: %w", err)
	}
	return sig, nil
}

func (intlSuite) Verify(pub crypto.PublicKey, msg, sig []byte) error {
	if !isP256(pub) {
		return fmt.Errorf("%w: intl verifies ECDSA P-256, got %T", ErrKeyType, pub)
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig) {
		return ErrInvalidSignature
	}
	return nil
}

func (intlSuite) MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: intl marshals *ecdsa.PrivateKey on P-256, got %T", ErrKeyType, key)
	}
	return x509.MarshalPKCS8PrivateKey(k)
}

func (intlSuite) ParsePrivateKey(der []byte) (crypto.Signer, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("suite intl: parse private key: %w", err)
	}
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: PKCS#8 holds %T, want ECDSA P-256", ErrKeyType, key)
	}
	return k, nil
}

func (intlSuite) MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	if !isP256(pub) {
		return nil, fmt.Errorf("%w: intl marshals ECDSA P-256 public keys, got %T", ErrKeyType, pub)
	}
	return x509.MarshalPKIXPublicKey(pub)
}

func (intlSuite) ParsePublicKey(der []byte) (crypto.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("suite intl: parse public key: %w", err)
	}
	if !isP256(pub) {
		return nil, fmt.Errorf("%w: PKIX holds %T, want ECDSA P-256", ErrKeyType, pub)
	}
	return pub, nil
}

func (intlSuite) CreateCertificate(rand io.Reader, template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, error) {
	if !isP256(signer.Public()) {
		return nil, fmt.Errorf("%w: intl certificates are signed with ECDSA P-256, signer holds %T", ErrKeyType, signer.Public())
	}
	if template.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return nil, errors.New("suite intl: template.SignatureAlgorithm must be zero, the suite chooses it")
	}
	tmpl := *template // shallow copy: only SignatureAlgorithm is changed
	tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	if parent == template {
		parent = &tmpl
	}
	der, err := x509.CreateCertificate(randOrDefault(rand), &tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("suite intl: create certificate: %w", err)
	}
	return der, nil
}

func (intlSuite) ParseCertificate(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("suite intl: parse certificate: %w", err)
	}
	return c, nil
}

func (intlSuite) VerifyChain(cert *x509.Certificate, opts VerifyOptions) ([][]*x509.Certificate, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if cert == nil {
		return nil, fmt.Errorf("%w: nil certificate", ErrCertificateInvalid)
	}
	// Accept-only: anything the fast path does not accept, crypto/x509
	// judges (fastpath.go).
	if chain := intlFastChain(cert, opts); chain != nil {
		return [][]*x509.Certificate{chain}, nil
	}
	return intlLibraryChains(cert, opts)
}

// intlLibraryChains is VerifyChain through crypto/x509 alone.
func intlLibraryChains(cert *x509.Certificate, opts VerifyOptions) ([][]*x509.Certificate, error) {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range opts.Roots {
		roots.AddCert(c)
	}
	for _, c := range opts.Intermediates {
		inter.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   opts.At,
		KeyUsages:     opts.KeyUsages,
	})
	if err != nil {
		return nil, classifyIntl(err)
	}
	return chains, nil
}

// classifyIntl wraps a crypto/x509 verification error in the suite's
// sentinel errors, keeping the original for errors.As and the message.
func classifyIntl(err error) error {
	var ua x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("suite intl: %w: %w", ErrUnknownAuthority, err)
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return fmt.Errorf("suite intl: %w: %w", ErrCertificateExpired, err)
	default:
		return fmt.Errorf("suite intl: %w: %w", ErrCertificateInvalid, err)
	}
}
