package credential_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

// stdlibCSR makes a request with crypto/x509, which cannot add a
// challengePassword: a well-formed request without the nonce.
func stdlibCSR(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "ignored"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// corruptSignature flips a bit in the last byte of the DER, inside the
// signature's s value: the request still parses, the signature fails.
func corruptSignature(der []byte) []byte {
	out := slices.Clone(der)
	out[len(out)-1] ^= 1
	return out
}

func TestParseCSR(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		s := mustSuite(t, n)
		p256 := newP256(t)
		sm2, err := mustSuite(t, suite.SM).GenerateSigner(nil)
		if err != nil {
			t.Fatal(err)
		}
		p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		_, ed, _ := ed25519.GenerateKey(nil)
		csr := func(key crypto.Signer, nonce string) []byte {
			t.Helper()
			der, err := credential.CreateCSR(nil, key, nonce)
			if err != nil {
				t.Fatalf("CreateCSR() error = %v", err)
			}
			return der
		}
		good := csr(p256, testNonce)
		pemCSR := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: good})
		sm2Want := error(nil)
		if n == suite.Intl {
			sm2Want = credential.ErrDeviceKey
		}
		tests := []struct {
			name string
			data []byte
			want error
		}{
			{"P-256", good, nil},
			{"P-256, PEM", pemCSR, nil},
			{"P-256, PEM with surrounding space", append(append([]byte("\n  "), pemCSR...), "\n\n"...), nil},
			{"SM2", csr(sm2, testNonce), sm2Want},
			{"bad signature", corruptSignature(good), credential.ErrCSRSignature},
			{"other nonce", csr(p256, testNonce+"x"), credential.ErrCSRNonce},
			{"no challengePassword", stdlibCSR(t, p256), credential.ErrCSRNonce},
			{"P-384", stdlibCSR(t, p384), credential.ErrDeviceKey},
			{"Ed25519", stdlibCSR(t, ed), credential.ErrDeviceKey},
			{"empty", nil, credential.ErrCSR},
			{"garbage", []byte("hello"), credential.ErrCSR},
			{"trailing data", append(slices.Clone(good), 0), credential.ErrCSR},
			{"truncated", good[:len(good)-3], credential.ErrCSR},
			{"PEM of another type", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: good}), credential.ErrCSR},
			{"PEM then data", append(slices.Clone(pemCSR), "more"...), credential.ErrCSR},
			{"too large", make([]byte, credential.MaxCSRSize+1), credential.ErrCSR},
		}
		for _, tt := range tests {
			got, err := credential.ParseCSR(s, tt.data, testNonce)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%s: ParseCSR() error = %v, want %v", tt.name, err, tt.want)
				continue
			}
			if err == nil && (got.PublicKey == nil || len(got.PublicKeyDER) == 0 || len(got.Raw) == 0) {
				t.Errorf("%s: ParseCSR() = %+v, want the key and the request", tt.name, got)
			}
		}
		for _, nonce := range []string{"", "short", strings.Repeat("x", credential.MaxNonceLen+1), "\xff\xfe invalid UTF-8 nonce"} {
			if _, err := credential.ParseCSR(s, good, nonce); err == nil {
				t.Errorf("ParseCSR(nonce %q) = nil error, want a refusal of the nonce itself", nonce)
			}
			if _, err := credential.CreateCSR(nil, p256, nonce); err == nil {
				t.Errorf("CreateCSR(nonce %q) = nil error, want a refusal", nonce)
			}
		}
	})
}

// TestCreateCSRInterop checks CreateCSR's encoding with the parsers of
// crypto/x509 (P-256) and gmsm's smx509 (both key types).
func TestCreateCSRInterop(t *testing.T) {
	p256 := newP256(t)
	sm2, err := mustSuite(t, suite.SM).GenerateSigner(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := credential.CreateCSR(nil, p256, testNonce)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatalf("x509.ParseCertificateRequest() error = %v", err)
	}
	if err := req.CheckSignature(); err != nil {
		t.Errorf("x509 CheckSignature() = %v, want nil", err)
	}
	if req.SignatureAlgorithm != x509.ECDSAWithSHA256 || !req.PublicKey.(*ecdsa.PublicKey).Equal(p256.Public()) {
		t.Errorf("x509 sees %v over %T, want ECDSA-SHA256 over the device key", req.SignatureAlgorithm, req.PublicKey)
	}
	for name, key := range map[string]crypto.Signer{"p256": p256, "sm2": sm2} {
		der, err := credential.CreateCSR(nil, key, testNonce)
		if err != nil {
			t.Fatal(err)
		}
		req, err := smx509.ParseCertificateRequest(der)
		if err != nil {
			t.Fatalf("%s: smx509.ParseCertificateRequest() error = %v", name, err)
		}
		if err := req.CheckSignature(); err != nil {
			t.Errorf("%s: smx509 CheckSignature() = %v, want nil", name, err)
		}
	}
	if _, err := credential.CreateCSR(nil, ed25519.NewKeyFromSeed(make([]byte, 32)), testNonce); !errors.Is(err, credential.ErrDeviceKey) {
		t.Errorf("CreateCSR(Ed25519) error = %v, want ErrDeviceKey", err)
	}
}
