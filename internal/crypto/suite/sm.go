package suite

import (
	"crypto"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
	"github.com/emmansun/gmsm/smx509"
)

// smSuite is SM2, SM3, HMAC-SM3 and SM4-GCM through github.com/emmansun/gmsm.
type smSuite struct{}

func (smSuite) Name() Name { return SM }

func (smSuite) Algorithms() Algorithms {
	return Algorithms{Signature: "sm2", Hash: "sm3", MAC: "hmac-sm3", AEAD: "sm4-gcm"}
}

func (smSuite) Hash(msg []byte) []byte {
	sum := sm3.Sum(msg)
	return sum[:]
}

func (smSuite) NewHash() hash.Hash { return sm3.New() }

func (smSuite) MAC(key, msg []byte) []byte {
	m := hmac.New(sm3.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func (smSuite) AEADKeySize() int { return sm4.BlockSize }

func (s smSuite) NewAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != s.AEADKeySize() {
		return nil, fmt.Errorf("suite sm: SM4-GCM key is %d bytes, want %d", len(key), s.AEADKeySize())
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("suite sm: %w", err)
	}
	// GCM over SM4 as RFC 8998 section 3.2 specifies it: the standard GCM
	// construction with a 128-bit block cipher, 12-byte nonce, 16-byte tag.
	return cipher.NewGCM(block)
}

func (smSuite) GenerateSigner(rand io.Reader) (crypto.Signer, error) {
	return sm2.GenerateKey(randOrDefault(rand))
}

// Sign hands the whole message to the signer together with gmsm's
// *sm2.SM2SignerOption carrying the default user ID. That option's HashFunc
// is 0, so crypto.SignMessage does not pre-hash: a crypto.MessageSigner gets
// the message through SignMessage, any other crypto.Signer gets it through
// Sign. This is the convention of gmsm and of its smx509 (which signs
// certificates the same way); an SM2 signer in a hardware module must follow
// it, that is compute Z_A and SM3 itself when it receives an
// *sm2.SM2SignerOption.
func (smSuite) Sign(rand io.Reader, signer crypto.Signer, msg []byte) ([]byte, error) {
	if !sm2.IsSM2PublicKey(signer.Public()) {
		return nil, fmt.Errorf("%w: sm signs with SM2, signer holds %T", ErrKeyType, signer.Public())
	}
	sig, err := crypto.SignMessage(signer, randOrDefault(rand), msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, fmt.Errorf("suite sm: sign: %w", err)
	}
	return sig, nil
}

func (smSuite) Verify(pub crypto.PublicKey, msg, sig []byte) error {
	if !sm2.IsSM2PublicKey(pub) {
		return fmt.Errorf("%w: sm verifies SM2, got %T", ErrKeyType, pub)
	}
	// A nil user ID selects the default, as in Sign.
	if !sm2.VerifyASN1WithSM2(pub.(*ecdsa.PublicKey), nil, msg, sig) {
		return ErrInvalidSignature
	}
	return nil
}

// MarshalPrivateKey needs the concrete *sm2.PrivateKey: exporting is the one
// operation that is about raw key material.
func (smSuite) MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	k, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: sm marshals *sm2.PrivateKey, got %T", ErrKeyType, key)
	}
	return smx509.MarshalPKCS8PrivateKey(k)
}

func (smSuite) ParsePrivateKey(der []byte) (crypto.Signer, error) {
	key, err := smx509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("suite sm: parse private key: %w", err)
	}
	k, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: PKCS#8 holds %T, want SM2", ErrKeyType, key)
	}
	return k, nil
}

func (smSuite) MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	if !sm2.IsSM2PublicKey(pub) {
		return nil, fmt.Errorf("%w: sm marshals SM2 public keys, got %T", ErrKeyType, pub)
	}
	return smx509.MarshalPKIXPublicKey(pub)
}

func (smSuite) ParsePublicKey(der []byte) (crypto.PublicKey, error) {
	pub, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("suite sm: parse public key: %w", err)
	}
	if !sm2.IsSM2PublicKey(pub) {
		return nil, fmt.Errorf("%w: PKIX holds %T, want SM2", ErrKeyType, pub)
	}
	return pub, nil
}

func (smSuite) CreateCertificate(rand io.Reader, template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, error) {
	if !sm2.IsSM2PublicKey(signer.Public()) {
		return nil, fmt.Errorf("%w: sm certificates are signed with SM2, signer holds %T", ErrKeyType, signer.Public())
	}
	if template.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return nil, errors.New("suite sm: template.SignatureAlgorithm must be zero, the suite chooses it")
	}
	tmpl, err := toSMX509(template)
	if err != nil {
		return nil, err
	}
	var par *smx509.Certificate
	switch {
	case parent == template:
		par = tmpl
	case len(parent.Raw) > 0:
		// A parsed parent (the CA certificate) converts exactly by parsing
		// its DER again.
		if par, err = smx509.ParseCertificate(parent.Raw); err != nil {
			return nil, fmt.Errorf("suite sm: parse parent certificate: %w", err)
		}
	default:
		if par, err = toSMX509(parent); err != nil {
			return nil, err
		}
	}
	// smx509 signs the TBSCertificate through crypto.SignMessage with
	// sm2.DefaultSM2SignerOpts, as Sign does, and checks the signature.
	der, err := smx509.CreateCertificate(randOrDefault(rand), tmpl, par, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("suite sm: create certificate: %w", err)
	}
	return der, nil
}

func (smSuite) ParseCertificate(der []byte) (*x509.Certificate, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("suite sm: parse certificate: %w", err)
	}
	return fromSMX509(c)
}

func (smSuite) VerifyChain(cert *x509.Certificate, opts VerifyOptions) ([][]*x509.Certificate, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if cert == nil || len(cert.Raw) == 0 {
		return nil, fmt.Errorf("%w: nil or unparsed certificate", ErrCertificateInvalid)
	}
	// Accept-only: anything the fast path does not accept, smx509 judges
	// (fastpath.go).
	if chain := smFastChain(cert, opts); chain != nil {
		return [][]*x509.Certificate{chain}, nil
	}
	return smLibraryChains(cert, opts)
}

// smLibraryChains is VerifyChain through smx509 alone.
func smLibraryChains(cert *x509.Certificate, opts VerifyOptions) ([][]*x509.Certificate, error) {
	// Every certificate is parsed again from Raw with smx509; back maps the
	// smx509 values to the caller's values so that the chains returned hold
	// the caller's pointers.
	back := make(map[*smx509.Certificate]*x509.Certificate)
	parse := func(c *x509.Certificate) (*smx509.Certificate, error) {
		sc, err := smx509.ParseCertificate(c.Raw)
		if err != nil {
			return nil, fmt.Errorf("suite sm: %w: %w", ErrCertificateInvalid, err)
		}
		back[sc] = c
		return sc, nil
	}
	leaf, err := parse(cert)
	if err != nil {
		return nil, err
	}
	roots, inter := smx509.NewCertPool(), smx509.NewCertPool()
	for _, c := range opts.Roots {
		sc, err := parse(c)
		if err != nil {
			return nil, err
		}
		roots.AddCert(sc)
	}
	for _, c := range opts.Intermediates {
		sc, err := parse(c)
		if err != nil {
			return nil, err
		}
		inter.AddCert(sc)
	}
	usages := make([]smx509.ExtKeyUsage, len(opts.KeyUsages))
	for i, u := range opts.KeyUsages {
		usages[i] = smx509.ExtKeyUsage(u)
	}
	chains, err := leaf.Verify(smx509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   opts.At,
		KeyUsages:     usages,
	})
	if err != nil {
		return nil, classifySM(err)
	}
	out := make([][]*x509.Certificate, len(chains))
	for i, chain := range chains {
		for _, sc := range chain {
			c, ok := back[sc]
			if !ok {
				return nil, fmt.Errorf("suite sm: %w: chain holds a certificate that was not given", ErrCertificateInvalid)
			}
			out[i] = append(out[i], c)
		}
	}
	return out, nil
}

// classifySM wraps an smx509 verification error in the suite's sentinel
// errors.
func classifySM(err error) error {
	var ua smx509.UnknownAuthorityError
	var inv smx509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("suite sm: %w: %w", ErrUnknownAuthority, err)
	case errors.As(err, &inv) && inv.Reason == smx509.Expired:
		return fmt.Errorf("suite sm: %w: %w", ErrCertificateExpired, err)
	default:
		return fmt.Errorf("suite sm: %w: %w", ErrCertificateInvalid, err)
	}
}
