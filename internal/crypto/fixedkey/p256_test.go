package fixedkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	mathrand "math/rand/v2"
	"sync"
	"testing"

	"filippo.io/nistec"
)

// TestVerifyASN1Cases checks crafted signatures against crypto/ecdsa: each
// case states the expected answer, and the verifier must give it and agree
// with crypto/ecdsa.
func TestVerifyASN1Cases(t *testing.T) {
	k := newTestKey(t, []byte("cases"))
	digest := sha256.Sum256([]byte("internet certificate"))
	// A nonce whose r has its top bit set, so that r's DER needs a sign
	// byte.
	var r, s *big.Int
	for nonce := int64(1); r == nil || len(r.Bytes()) != 32 || r.Bytes()[0] < 0x80; nonce++ {
		r, s = k.sign(t, big.NewInt(nonce), digest[:])
	}
	n := order
	add := func(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }
	sub := func(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }
	valid := der(r, s)
	// The bytes of r and s with a sign byte, for hand-made encodings.
	rBytes, sBytes := valid[4:4+valid[3]], valid[4+valid[3]+2:]

	// A signature whose R is the point at infinity: e = -r·d makes
	// u1·G + u2·Q = s⁻¹(e + r·d)·G = 0.
	infE := new(big.Int).Mul(r, k.d)
	infE.Neg(infE).Mod(infE, n)
	// A signature where u1·G = u2·Q (e = r·d): the final addition doubles.
	dblE := new(big.Int).Mul(r, k.d)
	dblE.Mod(dblE, n)
	dblDigest := dblE.FillBytes(make([]byte, 32))
	dr, ds := k.sign(t, big.NewInt(7), dblDigest)

	h384 := sha512.Sum384([]byte("m"))
	h512 := sha512.Sum512([]byte("m"))
	type sigCase struct {
		name   string
		digest []byte
		sig    []byte
		want   bool
	}
	cases := []sigCase{
		{"valid", digest[:], valid, true},
		{"high s (n-s) is valid ECDSA", digest[:], der(r, sub(n, s)), true},
		{"wrong digest", []byte("another digest of 32 bytes......"), valid, false},
		{"r = 0", digest[:], der(big.NewInt(0), s), false},
		{"s = 0", digest[:], der(r, big.NewInt(0)), false},
		{"r = n", digest[:], der(n, s), false},
		{"s = n", digest[:], der(r, n), false},
		{"s = n+1", digest[:], der(r, add(n, big.NewInt(1))), false},
		{"s + n", digest[:], der(r, add(s, n)), false},
		{"r + n", digest[:], der(add(r, n), s), false},
		{"r = 2^256", digest[:], der(new(big.Int).Lsh(big.NewInt(1), 256), s), false},
		{"r negative", digest[:], der(new(big.Int).Neg(r), s), false},
		{"s negative", digest[:], der(r, new(big.Int).Neg(s)), false},
		{"r = -n+r (negative, r mod n)", digest[:], der(sub(r, n), s), false},
		{"r = 1, s = 1", digest[:], der(big.NewInt(1), big.NewInt(1)), false},
		{"r = n-1, s = n-1", digest[:], der(sub(n, big.NewInt(1)), sub(n, big.NewInt(1))), false},
		{"r non-minimal (leading zero)", digest[:], rawDER(append([]byte{0, 0}, rBytes...), sBytes), false},
		{"s non-minimal (leading zero)", digest[:], rawDER(rBytes, append([]byte{0, 0}, sBytes...)), false},
		{"r without sign byte reads as negative", digest[:], rawDER(r.Bytes(), sBytes), false},
		{"empty INTEGER", digest[:], rawDER(nil, sBytes), false},
		{"trailing byte", digest[:], append(bytes.Clone(valid), 0), false},
		{"byte inside the SEQUENCE", digest[:], append(append([]byte{0x30, valid[1] + 1}, valid[2:]...), 0), false},
		{"truncated", digest[:], valid[:len(valid)-1], false},
		{"only SEQUENCE", digest[:], valid[:2], false},
		{"empty", digest[:], nil, false},
		{"long-form length", digest[:], append([]byte{0x30, 0x81, valid[1]}, valid[2:]...), false},
		{"SET instead of SEQUENCE", digest[:], append([]byte{0x31}, valid[1:]...), false},
		{"three INTEGERs", digest[:], rawDER3(rBytes, sBytes, []byte{1}), false},
		{"R at infinity", infE.FillBytes(make([]byte, 32)), valid, false},
		{"u1·G = u2·Q", dblDigest, der(dr, ds), true},
	}
	// Digests of every usual length, signed after the same truncation as
	// ECDSA's; a digest longer than 32 bytes counts by its first 32.
	for i, d := range []struct {
		name   string
		digest []byte
	}{
		{"empty digest", nil},
		{"20-byte digest (SHA-1 size)", make([]byte, 20)},
		{"31-byte digest", digest[:31]},
		{"32-byte digest", digest[:]},
		{"48-byte digest (SHA-384)", h384[:]},
		{"64-byte digest (SHA-512)", h512[:]},
		{"digest 2^256-1, above n", bytes.Repeat([]byte{0xff}, 32)},
		{"digest n, e = 0", n.Bytes()},
	} {
		r, s := k.sign(t, big.NewInt(int64(i)+99), d.digest)
		cases = append(cases, sigCase{d.name, d.digest, der(r, s), true})
		if len(d.digest) > 32 {
			other := append(bytes.Clone(d.digest[:32]), bytes.Repeat([]byte{0xa5}, len(d.digest)-32)...)
			cases = append(cases, sigCase{d.name + ", bytes beyond 32 changed", other, der(r, s), true})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := k.check(t, tc.digest, tc.sig); got != tc.want {
				t.Errorf("VerifyASN1 = %v, want %v", got, tc.want)
			}
		})
	}
}

func rawDER3(a, b, c []byte) []byte {
	out := rawDER(a, b)
	extra := append([]byte{0x02, byte(len(c))}, c...)
	out = append(out, extra...)
	out[1] += byte(len(extra))
	return out
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// TestVerifyASN1Random checks random keys, digests and signatures, and
// signatures with one bit flipped, against crypto/ecdsa.
func TestVerifyASN1Random(t *testing.T) {
	keys, msgs := 1000, 4
	if testing.Short() {
		keys = 50
	}
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	for i := range keys {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		fk, err := NewP256(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		k := testKey{pub: &priv.PublicKey, fk: fk}
		for range msgs {
			digest := make([]byte, rng.IntN(80))
			rand.Read(digest)
			sig, err := ecdsa.SignASN1(rand.Reader, priv, digest)
			if err != nil {
				t.Fatal(err)
			}
			if !k.check(t, digest, sig) {
				t.Fatalf("key %d: valid signature rejected", i)
			}
			bad := bytes.Clone(sig)
			bit := rng.IntN(len(bad) * 8)
			bad[bit/8] ^= 1 << (bit % 8)
			k.check(t, digest, bad)
			if len(digest) > 0 {
				other := bytes.Clone(digest)
				other[rng.IntN(len(other))] ^= 1
				k.check(t, other, sig)
			}
		}
	}
}

// TestAddMul checks the table sum against nistec's own scalar
// multiplication, on scalars that exercise every carry of the signed
// recoding.
func TestAddMul(t *testing.T) {
	k := newTestKey(t, []byte("addmul"))
	q, err := nistec.NewP256Point().SetBytes(k.fk.key[:])
	if err != nil {
		t.Fatal(err)
	}
	nm1 := new(big.Int).Sub(order, big.NewInt(1)).FillBytes(make([]byte, 32))
	scalars := [][]byte{
		make([]byte, 32), bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0x80}, 32),
		bytes.Repeat([]byte{0x7f}, 32), bytes.Repeat([]byte{0x81}, 32), nm1, order.FillBytes(make([]byte, 32)),
		append(make([]byte, 31), 1), append([]byte{0x80}, make([]byte, 31)...),
	}
	for range 200 {
		s := make([]byte, 32)
		rand.Read(s)
		scalars = append(scalars, s)
	}
	for _, s := range scalars {
		want, err := nistec.NewP256Point().ScalarMult(q, s)
		if err != nil {
			t.Fatal(err)
		}
		got := nistec.NewP256Point()
		k.fk.addMul(got, s)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("addMul(%x) differs from ScalarMult", s)
		}
	}
}

// TestRecode checks that the digits are in range and add up to the scalar.
func TestRecode(t *testing.T) {
	for range 1000 {
		u := make([]byte, 32)
		rand.Read(u)
		var digits [windows]int
		recode(&digits, u)
		sum := new(big.Int)
		for i := windows - 1; i >= 0; i-- {
			if digits[i] < -windowEntries || digits[i] > windowEntries {
				t.Fatalf("recode(%x): digit %d = %d out of range", u, i, digits[i])
			}
			sum.Lsh(sum, windowBits).Add(sum, big.NewInt(int64(digits[i])))
		}
		if sum.Cmp(new(big.Int).SetBytes(u)) != 0 {
			t.Fatalf("recode(%x) sums to %x", u, sum)
		}
	}
}

func TestNewP256Rejects(t *testing.T) {
	good := newTestKey(t, []byte("reject")).pub
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  *ecdsa.PublicKey
	}{
		{"nil", nil},
		{"nil coordinates", &ecdsa.PublicKey{Curve: elliptic.P256()}},
		{"P-384", &p384.PublicKey},
		{"off the curve", &ecdsa.PublicKey{Curve: elliptic.P256(), X: good.X, Y: new(big.Int).Add(good.Y, big.NewInt(1))}},
		{"origin", &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int), Y: new(big.Int)}},
		{"negative X", &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Neg(good.X), Y: good.Y}},
		{"X beyond 256 bits", &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Lsh(good.X, 8), Y: good.Y}},
		{"X + p", &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Add(good.X, elliptic.P256().Params().P), Y: good.Y}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewP256(tt.pub); err == nil {
				t.Error("NewP256: got nil error")
			}
			if _, err := ForKey(tt.pub); err == nil {
				t.Error("ForKey: got nil error")
			}
			if tt.pub != nil && tt.pub.Curve == elliptic.P256() && tt.pub.X != nil {
				if _, err := tt.pub.Bytes(); err == nil {
					t.Error("crypto/ecdsa accepts the key: the case tests nothing")
				}
			}
		})
	}
}

// TestKeyCopied checks that a verifier does not follow later changes to the
// *ecdsa.PublicKey it was made from.
func TestKeyCopied(t *testing.T) {
	k := newTestKey(t, []byte("copied"))
	pub := &ecdsa.PublicKey{Curve: k.pub.Curve, X: new(big.Int).Set(k.pub.X), Y: new(big.Int).Set(k.pub.Y)}
	fk, err := NewP256(pub)
	if err != nil {
		t.Fatal(err)
	}
	digest := make([]byte, 32)
	r, s := k.sign(t, big.NewInt(5), digest)
	pub.X.SetInt64(1)
	if !fk.VerifyASN1(digest, der(r, s)) {
		t.Error("verifier changed with the key it was made from")
	}
	if !bytes.Equal(fk.PublicKeyBytes(), k.fk.PublicKeyBytes()) {
		t.Error("PublicKeyBytes changed")
	}
}

func TestForKeyCache(t *testing.T) {
	resetCache := func() {
		p256Cache.mu.Lock()
		clear(p256Cache.byKey)
		p256Cache.order = nil
		p256Cache.mu.Unlock()
	}
	resetCache()
	t.Cleanup(resetCache)

	first := newTestKey(t, []byte("cache 0")).pub
	a, err := ForKey(first)
	if err != nil {
		t.Fatal(err)
	}
	// Another *ecdsa.PublicKey value for the same point finds the same table.
	same := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Set(first.X), Y: new(big.Int).Set(first.Y)}
	b, err := ForKey(same)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("ForKey built a second table for the same key")
	}
	for i := 1; i < cacheSize; i++ {
		if _, err := ForKey(newTestKey(t, []byte("cache "+itoa(i))).pub); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := ForKey(first); c != a {
		t.Error("ForKey evicted a key while the cache was not full")
	}
	// One more key evicts the oldest, the first.
	if _, err := ForKey(newTestKey(t, []byte("cache overflow")).pub); err != nil {
		t.Fatal(err)
	}
	p256Cache.mu.Lock()
	_, kept := p256Cache.byKey[a.key]
	size := len(p256Cache.byKey)
	p256Cache.mu.Unlock()
	if kept || size != cacheSize {
		t.Errorf("after %d keys: first key kept %v, %d keys cached; want evicted, %d", cacheSize+1, kept, size, cacheSize)
	}
}

// TestForKeyConcurrent verifies under two keys from several goroutines at
// once, for the race detector: the cache is shared and a P256 is read
// concurrently.
func TestForKeyConcurrent(t *testing.T) {
	keys := []testKey{newTestKey(t, []byte("concurrent 0")), newTestKey(t, []byte("concurrent 1"))}
	digest := make([]byte, 32)
	var sigs [][]byte
	for _, k := range keys {
		r, s := k.sign(t, big.NewInt(11), digest)
		sigs = append(sigs, der(r, s))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := keys[(g+i)%2]
				v, err := ForKey(k.pub)
				if err != nil {
					t.Error(err)
					return
				}
				if !v.VerifyASN1(digest, sigs[(g+i)%2]) || v.VerifyASN1(digest, sigs[(g+i+1)%2]) {
					t.Error("wrong answer under concurrent use")
					return
				}
			}
		})
	}
	wg.Wait()
}
