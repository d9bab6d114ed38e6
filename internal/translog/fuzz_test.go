package translog

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"math/big"
	"testing"

	"github.com/netid/netid/internal/crypto/suite"
)

// FuzzParseCheckpoint checks that ParseCheckpoint never panics and accepts
// only canonical text: what it accepts, Text writes back identically.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add("id.example.cn/translog\n1234\n" + testRootB64 + "\ntime 1752573600\n")
	f.Add("a\n0\n" + testRootB64 + "\ntime 0\n")
	f.Add("a\n9223372036854775807\n" + testRootB64 + "\ntime 9223372036854775807\n")
	f.Add("a\n07\n" + testRootB64 + "\ntime 0\n")
	f.Add("a\n7\n" + testRootB64 + "\n")
	f.Add("a\n7\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlp=\ntime 0\n")
	f.Add("a b\n7\n" + testRootB64 + "\ntime 0\n\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		cp, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		back, err := cp.Text()
		if err != nil {
			t.Fatalf("Text() of a parsed checkpoint: %v", err)
		}
		if back != text {
			t.Errorf("Text(ParseCheckpoint(%q)) = %q", text, back)
		}
	})
}

// FuzzDecodeLeaf checks that DecodeLeaf never panics and accepts only the
// canonical encoding of a valid leaf.
func FuzzDecodeLeaf(f *testing.F) {
	for i, k := range kinds {
		l := Leaf{LogID: testLogID, Seq: uint64(i + 1), Entry: sample(k, i)}
		if i > 0 {
			l.Prev = bytes.Repeat([]byte{byte(i)}, HashSize)
		}
		b, err := l.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(append(bytes.Clone(b), 0))
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLeaf(b)
		if err != nil {
			return
		}
		back, err := l.Encode()
		if err != nil {
			t.Fatalf("Encode() of a decoded leaf: %v", err)
		}
		if !bytes.Equal(back, b) {
			t.Errorf("Encode(DecodeLeaf(%x)) = %x", b, back)
		}
	})
}

// FuzzParseVerifierKey checks that ParseVerifierKey never panics and that
// what it accepts is the verifier key VerifierKey writes for that key.
func FuzzParseVerifierKey(f *testing.F) {
	intl, sm := mustSuite(f, suite.Intl), mustSuite(f, suite.SM)
	// Fixed keys, so that the corpus is reproducible.
	p256 := &ecdsa.PublicKey{Curve: elliptic.P256()}
	p256.X, p256.Y = elliptic.P256().ScalarBaseMult(big.NewInt(7).Bytes())
	for _, k := range []struct {
		s   suite.Suite
		pub any
	}{{intl, p256}, {sm, newKey(f, sm).Public()}} {
		v, err := VerifierKey(testOrigin, k.s, k.pub)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
		f.Add(v[:len(v)-4])
	}
	f.Add("a+00000000+AA==")
	f.Add("+++")
	f.Fuzz(func(t *testing.T, vkey string) {
		v, err := ParseVerifierKey(vkey)
		if err != nil {
			return
		}
		nv := v.(*noteVerifier)
		back, err := VerifierKey(nv.name, nv.s, nv.pub)
		if err != nil {
			t.Fatalf("VerifierKey() of a parsed key: %v", err)
		}
		if back != vkey {
			t.Errorf("VerifierKey(ParseVerifierKey(%q)) = %q", vkey, back)
		}
	})
}
