package suite

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// unhex decodes hex written the way standards print it: upper or lower
// case, with spaces between words.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex in test vector %q: %v", s, err)
	}
	return b
}

// derSig encodes (r, s) given as hex as an ASN.1 DER SEQUENCE{r, s}.
func derSig(t testing.TB, r, s string) []byte {
	t.Helper()
	sig, err := asn1.Marshal(struct{ R, S *big.Int }{
		new(big.Int).SetBytes(unhex(t, r)),
		new(big.Int).SetBytes(unhex(t, s)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func mustSuite(t testing.TB, n Name) Suite {
	t.Helper()
	s, err := New(n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSHA256KnownAnswers checks FIPS 180-4 / its example document (SHA-256
// "abc" and the two-block message).
func TestSHA256KnownAnswers(t *testing.T) {
	s := mustSuite(t, Intl)
	tests := []struct {
		name, msg, want string
	}{
		{"abc", "abc", "ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad"},
		{"two blocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61 d20638b8 e5c02693 0c3e6039 a33ce459 64ff2167 f6ecedd4 19db06c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			if got := s.Hash([]byte(tt.msg)); !bytes.Equal(got, want) {
				t.Errorf("Hash: got %x, want %x", got, want)
			}
			h := s.NewHash()
			for _, c := range []byte(tt.msg) {
				h.Write([]byte{c})
			}
			if got := h.Sum(nil); !bytes.Equal(got, want) {
				t.Errorf("NewHash byte by byte: got %x, want %x", got, want)
			}
		})
	}
}

// TestHMACSHA256KnownAnswers checks RFC 4231 section 4, test cases 1, 2, 3
// and 6 (a key longer than the block).
func TestHMACSHA256KnownAnswers(t *testing.T) {
	s := mustSuite(t, Intl)
	tests := []struct {
		name string
		key  []byte
		msg  []byte
		want string
	}{
		{"case 1", bytes.Repeat([]byte{0x0b}, 20), []byte("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"case 2", []byte("Jefe"), []byte("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"case 3", bytes.Repeat([]byte{0xaa}, 20), bytes.Repeat([]byte{0xdd}, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{"case 6", bytes.Repeat([]byte{0xaa}, 131), []byte("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := s.MAC(tt.key, tt.msg), unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("MAC: got %x, want %x", got, want)
			}
		})
	}
}

// gcmVector is one AEAD known answer: ciphertext and tag are given apart,
// as the specifications print them.
type gcmVector struct {
	name, key, nonce, aad, plaintext, ciphertext, tag string
}

func testAEADVectors(t *testing.T, s Suite, vectors []gcmVector) {
	t.Helper()
	for _, tt := range vectors {
		t.Run(tt.name, func(t *testing.T) {
			aead, err := s.NewAEAD(unhex(t, tt.key))
			if err != nil {
				t.Fatal(err)
			}
			if got := aead.NonceSize(); got != NonceSize {
				t.Fatalf("NonceSize: got %d, want %d", got, NonceSize)
			}
			nonce, aad, pt := unhex(t, tt.nonce), unhex(t, tt.aad), unhex(t, tt.plaintext)
			want := append(unhex(t, tt.ciphertext), unhex(t, tt.tag)...)
			got := aead.Seal(nil, nonce, pt, aad)
			if !bytes.Equal(got, want) {
				t.Fatalf("Seal: got %x, want %x", got, want)
			}
			opened, err := aead.Open(nil, nonce, want, aad)
			if err != nil || !bytes.Equal(opened, pt) {
				t.Fatalf("Open: got %x, %v, want %x", opened, err, pt)
			}
			bad := bytes.Clone(want)
			bad[len(bad)-1] ^= 1
			if _, err := aead.Open(nil, nonce, bad, aad); err == nil {
				t.Error("Open of a tampered tag: got nil error, want failure")
			}
		})
	}
}

// TestAESGCMKnownAnswers checks test cases 13 to 16 of McGrew and Viega,
// "The Galois/Counter Mode of Operation (GCM)", appendix B (the AES-256
// cases of the NIST GCM specification).
func TestAESGCMKnownAnswers(t *testing.T) {
	const k = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
	const p = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
	const c = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
	testAEADVectors(t, mustSuite(t, Intl), []gcmVector{
		{"case 13", strings.Repeat("00", 32), strings.Repeat("00", 12), "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
		{"case 14", strings.Repeat("00", 32), strings.Repeat("00", 12), "", strings.Repeat("00", 16), "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
		{"case 15", k, "cafebabefacedbaddecaf888", "", p + "1aafd255", c + "898015ad", "b094dac5d93471bdec1a502270e3cc6c"},
		{"case 16", k, "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2", p, c, "76fc6ece0f4e1768cddf8853bb2d551b"},
	})
}

func TestAEADRejectsWrongKeySize(t *testing.T) {
	tests := []struct {
		suite Name
		size  int
	}{
		{Intl, 16}, {Intl, 24}, {Intl, 0}, {SM, 32}, {SM, 15},
	}
	for _, tt := range tests {
		if _, err := mustSuite(t, tt.suite).NewAEAD(make([]byte, tt.size)); err == nil {
			t.Errorf("%s NewAEAD(%d-byte key): got nil error, want failure", tt.suite, tt.size)
		}
	}
}

// TestECDSAP256KnownAnswers verifies the deterministic ECDSA signatures of
// RFC 6979 appendix A.2.5 (P-256, SHA-256, messages "sample" and "test"),
// after checking that the published private key yields the published public
// key.
func TestECDSAP256KnownAnswers(t *testing.T) {
	s := mustSuite(t, Intl)
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), unhex(t, "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"))
	if err != nil {
		t.Fatal(err)
	}
	pub := &ecdsa.PublicKey{
		Curve: elliptic.P256(),
		X:     new(big.Int).SetBytes(unhex(t, "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6")),
		Y:     new(big.Int).SetBytes(unhex(t, "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299")),
	}
	if !priv.PublicKey.Equal(pub) {
		t.Fatal("the RFC 6979 private key does not yield the published public key")
	}
	tests := []struct {
		name, msg, r, s string
	}{
		{"sample", "sample", "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716", "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
		{"test", "test", "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367", "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := derSig(t, tt.r, tt.s)
			if err := s.Verify(pub, []byte(tt.msg), sig); err != nil {
				t.Errorf("Verify(published signature): got %v, want nil", err)
			}
			if err := s.Verify(pub, []byte(tt.msg+"!"), sig); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("Verify(other message): got %v, want ErrInvalidSignature", err)
			}
		})
	}
}
