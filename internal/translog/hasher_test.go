package translog

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/netid/netid/internal/crypto/suite"
)

func mustSuite(tb testing.TB, n suite.Name) suite.Suite {
	tb.Helper()
	s, err := suite.New(n)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestHasherIntlKnownAnswers checks the intl hasher against the RFC 6962
// reference tree of transparency-dev/merkle: the root of every size from 0
// to 8, built with a compact range as Append builds it.
func TestHasherIntlKnownAnswers(t *testing.T) {
	h := NewHasher(mustSuite(t, suite.Intl))
	if got, want := h.Name(), "sha-256"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	rf := &compact.RangeFactory{Hash: h.HashChildren}
	cr := rf.NewEmptyRange(0)
	roots := testonly.RootHashes()
	if got := h.EmptyRoot(); !bytes.Equal(got, roots[0]) {
		t.Errorf("EmptyRoot() = %x, want %x", got, roots[0])
	}
	for i, leaf := range testonly.LeafInputs() {
		if err := cr.Append(h.HashLeaf(leaf), nil); err != nil {
			t.Fatal(err)
		}
		got, err := cr.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, roots[i+1]) {
			t.Errorf("root of %d leaves = %x, want %x", i+1, got, roots[i+1])
		}
	}
}

// TestHasherIntlIsRFC6962 checks that the intl hasher and the library's
// SHA-256 hasher agree on arbitrary input.
func TestHasherIntlIsRFC6962(t *testing.T) {
	h, ref := NewHasher(mustSuite(t, suite.Intl)), rfc6962.DefaultHasher
	l, r := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	if got, want := h.HashLeaf([]byte("netid")), ref.HashLeaf([]byte("netid")); !bytes.Equal(got, want) {
		t.Errorf("HashLeaf() = %x, want %x", got, want)
	}
	if got, want := h.HashChildren(l, r), ref.HashChildren(l, r); !bytes.Equal(got, want) {
		t.Errorf("HashChildren() = %x, want %x", got, want)
	}
	if h.Size() != ref.Size() {
		t.Errorf("Size() = %d, want %d", h.Size(), ref.Size())
	}
}

// TestHasherSM3 checks the sm hasher: SM3 with the RFC 6962 prefixes. The
// empty root is SM3 of the empty string (GB/T 32905 implementations agree
// on 1ab21d83...); leaf and node hashes are SM3 over the prefixed input.
func TestHasherSM3(t *testing.T) {
	s := mustSuite(t, suite.SM)
	h := NewHasher(s)
	if got, want := h.Name(), "sm3"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	wantEmpty, _ := hex.DecodeString("1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b")
	if got := h.EmptyRoot(); !bytes.Equal(got, wantEmpty) {
		t.Errorf("EmptyRoot() = %x, want %x", got, wantEmpty)
	}
	if got, want := h.HashLeaf([]byte("abc")), s.Hash([]byte("\x00abc")); !bytes.Equal(got, want) {
		t.Errorf("HashLeaf(abc) = %x, want SM3(0x00 || abc) = %x", got, want)
	}
	l, r := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	if got, want := h.HashChildren(l, r), s.Hash(append(append([]byte{1}, l...), r...)); !bytes.Equal(got, want) {
		t.Errorf("HashChildren() = %x, want %x", got, want)
	}
	if intl := NewHasher(mustSuite(t, suite.Intl)); bytes.Equal(h.HashLeaf(nil), intl.HashLeaf(nil)) {
		t.Error("the sm and intl hashers agree, want SM3 to differ from SHA-256")
	}
}
