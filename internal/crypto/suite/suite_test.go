package suite

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Name
		wantErr bool
	}{
		{"intl", Intl, false},
		{"sm", SM, false},
		{" sm\n", SM, false},
		{"SM", "", true},
		{"", "", true},
		{"gm", "", true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q): got %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil {
			if !errors.Is(err, ErrUnknownSuite) {
				t.Errorf("Parse(%q) error: got %v, want ErrUnknownSuite", tt.in, err)
			}
			// The message must tell the operator what to write instead.
			if !strings.Contains(err.Error(), `"intl"`) || !strings.Contains(err.Error(), `"sm"`) {
				t.Errorf("Parse(%q) error %q does not list the valid values", tt.in, err)
			}
		}
	}
}

func TestNew(t *testing.T) {
	for _, n := range Names() {
		s, err := New(n)
		if err != nil {
			t.Fatalf("New(%q): %v", n, err)
		}
		if s.Name() != n {
			t.Errorf("New(%q).Name(): got %q", n, s.Name())
		}
	}
	if _, err := New("rsa"); !errors.Is(err, ErrUnknownSuite) {
		t.Errorf("New(rsa): got %v, want ErrUnknownSuite", err)
	}
}

func TestAlgorithms(t *testing.T) {
	want := map[Name]Algorithms{
		Intl: {Signature: "ecdsa-p256", Hash: "sha-256", MAC: "hmac-sha256", AEAD: "aes-256-gcm"},
		SM:   {Signature: "sm2", Hash: "sm3", MAC: "hmac-sm3", AEAD: "sm4-gcm"},
	}
	for _, n := range Names() {
		if got := mustSuite(t, n).Algorithms(); got != want[n] {
			t.Errorf("%s Algorithms: got %+v, want %+v", n, got, want[n])
		}
	}
}

// opaqueSigner hides the concrete key behind crypto.Signer, as a PKCS#11 or
// KMS signer would: the suite cannot type-assert it to a private key type,
// and it is not a crypto.MessageSigner.
type opaqueSigner struct{ inner crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.inner.Public() }
func (o opaqueSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.inner.Sign(r, digest, opts)
}

func TestSignVerify(t *testing.T) {
	for _, n := range Names() {
		t.Run(string(n), func(t *testing.T) {
			s := mustSuite(t, n)
			key, err := s.GenerateSigner(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			other, err := s.GenerateSigner(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("checkpoint 42 of the transparency log")
			for _, signer := range []crypto.Signer{key, opaqueSigner{key}} {
				sig, err := s.Sign(rand.Reader, signer, msg)
				if err != nil {
					t.Fatalf("Sign with %T: %v", signer, err)
				}
				if err := s.Verify(key.Public(), msg, sig); err != nil {
					t.Errorf("Verify of a %T signature: got %v, want nil", signer, err)
				}
				tampered := bytes.Clone(sig)
				tampered[len(tampered)-1] ^= 0x01
				bad := []struct {
					name string
					pub  crypto.PublicKey
					msg  []byte
					sig  []byte
				}{
					{"tampered message", key.Public(), append(bytes.Clone(msg), '!'), sig},
					{"tampered signature", key.Public(), msg, tampered},
					{"other key", other.Public(), msg, sig},
					{"truncated signature", key.Public(), msg, sig[:len(sig)-1]},
					{"empty signature", key.Public(), msg, nil},
				}
				for _, b := range bad {
					if err := s.Verify(b.pub, b.msg, b.sig); !errors.Is(err, ErrInvalidSignature) {
						t.Errorf("Verify(%s): got %v, want ErrInvalidSignature", b.name, err)
					}
				}
			}
		})
	}
}

// TestSuitesRejectForeignKeys checks that a suite never silently signs or
// verifies with the other suite's curve or with another algorithm.
func TestSuitesRejectForeignKeys(t *testing.T) {
	intl, sm := mustSuite(t, Intl), mustSuite(t, SM)
	p256, err := intl.GenerateSigner(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sm2Key, err := sm.GenerateSigner(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		suite Suite
		key   crypto.Signer
	}{
		{"intl with SM2", intl, sm2Key},
		{"intl with P-384", intl, p384},
		{"intl with Ed25519", intl, edKey},
		{"sm with P-256", sm, p256},
		{"sm with Ed25519", sm, edKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.suite.Sign(rand.Reader, tt.key, []byte("m")); !errors.Is(err, ErrKeyType) {
				t.Errorf("Sign: got %v, want ErrKeyType", err)
			}
			if err := tt.suite.Verify(tt.key.Public(), []byte("m"), []byte{0x30, 0}); !errors.Is(err, ErrKeyType) {
				t.Errorf("Verify: got %v, want ErrKeyType", err)
			}
			if _, err := tt.suite.MarshalPrivateKey(tt.key); !errors.Is(err, ErrKeyType) {
				t.Errorf("MarshalPrivateKey: got %v, want ErrKeyType", err)
			}
			if _, err := tt.suite.MarshalPublicKey(tt.key.Public()); !errors.Is(err, ErrKeyType) {
				t.Errorf("MarshalPublicKey: got %v, want ErrKeyType", err)
			}
		})
	}
}

func TestKeyEncodingRoundTrip(t *testing.T) {
	for _, n := range Names() {
		t.Run(string(n), func(t *testing.T) {
			s := mustSuite(t, n)
			key, err := s.GenerateSigner(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			der, err := s.MarshalPrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			back, err := s.ParsePrivateKey(der)
			if err != nil {
				t.Fatal(err)
			}
			type equaler interface{ Equal(crypto.PrivateKey) bool }
			if !back.(equaler).Equal(key) {
				t.Error("ParsePrivateKey(MarshalPrivateKey(k)) differs from k")
			}
			pubDER, err := s.MarshalPublicKey(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			pub, err := s.ParsePublicKey(pubDER)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(*ecdsa.PublicKey).Equal(key.Public()) {
				t.Error("ParsePublicKey(MarshalPublicKey(p)) differs from p")
			}
			// A signature by the parsed key verifies with the parsed public key.
			sig, err := s.Sign(rand.Reader, back, []byte("m"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(pub, []byte("m"), sig); err != nil {
				t.Errorf("Verify after round trip: %v", err)
			}
		})
	}
}

// TestKeyEncodingCrossSuite checks that each suite refuses the other's
// encoded keys rather than returning a key it cannot use.
func TestKeyEncodingCrossSuite(t *testing.T) {
	intl, sm := mustSuite(t, Intl), mustSuite(t, SM)
	encode := func(s Suite) (priv, pub []byte) {
		key, err := s.GenerateSigner(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if priv, err = s.MarshalPrivateKey(key); err != nil {
			t.Fatal(err)
		}
		if pub, err = s.MarshalPublicKey(key.Public()); err != nil {
			t.Fatal(err)
		}
		return priv, pub
	}
	intlPriv, intlPub := encode(intl)
	smPriv, smPub := encode(sm)
	if _, err := intl.ParsePrivateKey(smPriv); err == nil {
		t.Error("intl ParsePrivateKey(SM2 key): got nil error")
	}
	if _, err := intl.ParsePublicKey(smPub); err == nil {
		t.Error("intl ParsePublicKey(SM2 key): got nil error")
	}
	if _, err := sm.ParsePrivateKey(intlPriv); !errors.Is(err, ErrKeyType) {
		t.Errorf("sm ParsePrivateKey(P-256 key): got %v, want ErrKeyType", err)
	}
	if _, err := sm.ParsePublicKey(intlPub); !errors.Is(err, ErrKeyType) {
		t.Errorf("sm ParsePublicKey(P-256 key): got %v, want ErrKeyType", err)
	}
}

func TestHashAndMACSizes(t *testing.T) {
	for _, n := range Names() {
		s := mustSuite(t, n)
		if got := len(s.Hash(nil)); got != 32 {
			t.Errorf("%s: len(Hash) got %d, want 32", n, got)
		}
		if got := s.NewHash().Size(); got != 32 {
			t.Errorf("%s: NewHash().Size() got %d, want 32", n, got)
		}
		a, b := s.MAC([]byte("k1"), []byte("m")), s.MAC([]byte("k2"), []byte("m"))
		if len(a) != 32 || bytes.Equal(a, b) {
			t.Errorf("%s: MAC under two keys: got %x and %x, want two different 32-byte values", n, a, b)
		}
	}
}
