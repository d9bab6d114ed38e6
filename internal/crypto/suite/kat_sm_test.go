package suite

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm4"
)

// TestSM3KnownAnswers checks the two examples of GB/T 32905-2016 appendix A.
func TestSM3KnownAnswers(t *testing.T) {
	s := mustSuite(t, SM)
	tests := []struct {
		name, msg, want string
	}{
		{"A.1 abc", "abc", "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0"},
		{"A.2 abcd x16", strings.Repeat("abcd", 16), "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732"},
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

// TestSM4KnownAnswers checks the examples of GB/T 32907-2016 appendix A on
// the block cipher the sm suite's AEAD is built on: one encryption, and the
// same block encrypted 1,000,000 times under the same key.
func TestSM4KnownAnswers(t *testing.T) {
	key := unhex(t, "01234567 89abcdef fedcba98 76543210")
	block, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.Clone(key) // the example's plaintext equals its key
	block.Encrypt(buf, buf)
	if want := unhex(t, "681edf34 d206965e 86b3e94f 536e4246"); !bytes.Equal(buf, want) {
		t.Fatalf("one encryption: got %x, want %x", buf, want)
	}
	dec := make([]byte, len(buf))
	block.Decrypt(dec, buf)
	if !bytes.Equal(dec, key) {
		t.Fatalf("decryption: got %x, want %x", dec, key)
	}
	if testing.Short() {
		t.Skip("the 1,000,000-iteration example is skipped in -short mode")
	}
	copy(buf, key)
	for range 1_000_000 {
		block.Encrypt(buf, buf)
	}
	if want := unhex(t, "595298c7 c6fd271f 0402f804 c33d3f66"); !bytes.Equal(buf, want) {
		t.Fatalf("1,000,000 encryptions: got %x, want %x", buf, want)
	}
}

// TestHMACSM3KnownAnswers checks the examples of GM/T 0042-2015 appendix
// D.3 (HMAC-SM3 as used by the sm suite's MAC).
func TestHMACSM3KnownAnswers(t *testing.T) {
	s := mustSuite(t, SM)
	seq := func(n int) []byte { // 0x01, 0x02, ..., n
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i + 1)
		}
		return b
	}
	tests := []struct {
		name string
		key  []byte
		msg  []byte
		want string
	}{
		{"D.3 1", seq(32), []byte(strings.Repeat("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 2)), "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a"},
		{"D.3 2", seq(37), bytes.Repeat([]byte{0xcd}, 50), "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae"},
		{"D.3 3", bytes.Repeat([]byte{0x0b}, 32), []byte("Hi There"), "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e"},
		{"D.3 4", []byte("Jefe"), []byte("what do ya want for nothing?"), "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := s.MAC(tt.key, tt.msg), unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("MAC: got %x, want %x", got, want)
			}
		})
	}
}

// TestSM4GCMKnownAnswers checks RFC 8998 appendix A.1.
func TestSM4GCMKnownAnswers(t *testing.T) {
	testAEADVectors(t, mustSuite(t, SM), []gcmVector{{
		name:       "RFC 8998 A.1",
		key:        "0123456789ABCDEFFEDCBA9876543210",
		nonce:      "00001234567800000000ABCD",
		aad:        "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2",
		plaintext:  "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
		ciphertext: "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D",
		tag:        "83DE3541E4C2B58177E065A9BF7B62EC",
	}})
}

// The signature example of GM/T 0003.5-2012 appendix A (GB/T 32918.5-2017
// appendix A): SM2 on the recommended curve, user ID "1234567812345678".
const (
	sm2ExampleD   = "3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8"
	sm2ExampleX   = "09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020"
	sm2ExampleY   = "CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13"
	sm2ExampleMsg = "message digest"
	sm2ExampleE   = "F0B43E94 BA45ACCA ACE692ED 534382EB 17E6AB5A 19CE7B31 F4486FDF C0D28640"
	sm2ExampleR   = "F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3"
	sm2ExampleS   = "B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA"
)

// TestSM2KnownAnswer verifies the published SM2 signature with the published
// key, message and user ID, and checks the intermediate digest
// e = SM3(Z_A || M).
func TestSM2KnownAnswer(t *testing.T) {
	s := mustSuite(t, SM)
	pub := &ecdsa.PublicKey{
		Curve: sm2.P256(),
		X:     new(big.Int).SetBytes(unhex(t, sm2ExampleX)),
		Y:     new(big.Int).SetBytes(unhex(t, sm2ExampleY)),
	}
	priv, err := sm2.NewPrivateKey(unhex(t, sm2ExampleD))
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(pub) {
		t.Fatal("the example's private key does not yield its public key")
	}
	e, err := sm2.CalculateSM2Hash(pub, []byte(sm2ExampleMsg), []byte(DefaultSM2UserID))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, sm2ExampleE); !bytes.Equal(e, want) {
		t.Errorf("e = SM3(Z_A || M): got %x, want %x", e, want)
	}
	sig := derSig(t, sm2ExampleR, sm2ExampleS)
	if err := s.Verify(pub, []byte(sm2ExampleMsg), sig); err != nil {
		t.Errorf("Verify(published signature): got %v, want nil", err)
	}
	if err := s.Verify(pub, []byte("message digesT"), sig); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("Verify(other message): got %v, want ErrInvalidSignature", err)
	}
	// The user ID is part of what is signed: another ID must fail.
	if sm2.VerifyASN1WithSM2(pub, []byte("ALICE123@YAHOO.COM"), []byte(sm2ExampleMsg), sig) {
		t.Error("the published signature verified under another user ID")
	}
}
