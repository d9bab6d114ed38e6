package fixedkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/netid/netid/internal/crypto/fixedkey/sm2fp"
)

// sm2TestKey is an SM2 key with its private scalar, from which the tests
// sign with chosen nonces, and its verifier.
type sm2TestKey struct {
	d   *big.Int
	pub *ecdsa.PublicKey
	fk  *SM2
}

// sm2TestKeys are built once: a table takes tens of milliseconds.
var sm2TestKeys sync.Map // seed → sm2TestKey

// newSM2TestKey derives a key from seed: d = SHA-256(seed) mod (n-1) + 1,
// in [1, n-1]. (gmsm's own keys stop at n-2; the verifier accepts any.)
func newSM2TestKey(t testing.TB, seed string) sm2TestKey {
	t.Helper()
	if k, ok := sm2TestKeys.Load(seed); ok {
		return k.(sm2TestKey)
	}
	sum := sha256.Sum256([]byte(seed))
	d := new(big.Int).SetBytes(sum[:])
	d.Mod(d, new(big.Int).Sub(sm2Order, big.NewInt(1)))
	d.Add(d, big.NewInt(1))
	x, y := sm2Curve.ScalarBaseMult(d.FillBytes(make([]byte, 32)))
	pub := &ecdsa.PublicKey{Curve: sm2Curve, X: x, Y: y}
	fk, err := NewSM2(pub)
	if err != nil {
		t.Fatal(err)
	}
	k := sm2TestKey{d: d, pub: pub, fk: fk}
	sm2TestKeys.Store(seed, k)
	return k
}

// sign is textbook SM2 signing (GB/T 32918.2-2016 section 6.1) of a digest
// e with the nonce given: (x1, y1) = k·G, r = (e + x1) mod n,
// s = (1 + d)⁻¹·(k - r·d) mod n. It returns nil r when the nonce gives
// r = 0, r + k = n or s = 0.
func (k sm2TestKey) sign(t testing.TB, nonce *big.Int, digest []byte) (r, s *big.Int) {
	t.Helper()
	kk := new(big.Int).Mod(nonce, sm2Order)
	if kk.Sign() == 0 {
		return nil, nil
	}
	x1, _ := sm2Curve.ScalarBaseMult(kk.FillBytes(make([]byte, 32)))
	r = new(big.Int).Add(hashToInt(digest, sm2Order), x1)
	r.Mod(r, sm2Order)
	if r.Sign() == 0 || new(big.Int).Add(r, kk).Cmp(sm2Order) == 0 {
		return nil, nil
	}
	s = new(big.Int).Mul(r, k.d)
	s.Sub(kk, s)
	s.Mul(s, new(big.Int).ModInverse(new(big.Int).Add(k.d, big.NewInt(1)), sm2Order))
	s.Mod(s, sm2Order)
	if s.Sign() == 0 {
		return nil, nil
	}
	return r, s
}

// check fails the test if k's verifier and gmsm's sm2.VerifyASN1 disagree
// on (digest, sig), and returns their common answer.
func (k sm2TestKey) check(t testing.TB, digest, sig []byte) bool {
	t.Helper()
	want := sm2.VerifyASN1(k.pub, digest, sig)
	if got := k.fk.VerifyASN1(digest, sig); got != want {
		t.Fatalf("VerifyASN1(digest %x, sig %x) = %v, gmsm says %v", digest, sig, got, want)
	}
	return want
}

var sm2Rules = scheme{order: sm2Order, highSValid: false}

func TestSM2VerifyASN1Cases(t *testing.T) {
	k := newSM2TestKey(t, "cases")
	digest := sm3.Sum([]byte("internet certificate"))
	r, s := k.sign(t, big.NewInt(7), digest[:])
	n := sm2Order
	one := big.NewInt(1)
	nMinus1 := new(big.Int).Sub(n, one)

	// (r', s') with r' + s' = n: t = 0, refused before any point arithmetic.
	tZeroR := new(big.Int).Sub(n, s)

	// A signature whose s·G + t·P is the identity: s = -t·d mod n.
	tInf := big.NewInt(12345)
	sInf := new(big.Int).Mul(tInf, k.d)
	sInf.Neg(sInf).Mod(sInf, n)
	rInf := new(big.Int).Sub(tInf, sInf)
	rInf.Mod(rInf, n)

	cases := []struct {
		name   string
		digest []byte
		sig    []byte
		want   bool
	}{
		{"valid", digest[:], der(r, s), true},
		{"other digest", sm3.New().Sum(nil), der(r, s), false},
		{"high s is not valid in SM2", digest[:], der(r, new(big.Int).Sub(n, s)), false},
		{"r = 0", digest[:], der(big.NewInt(0), s), false},
		{"s = 0", digest[:], der(r, big.NewInt(0)), false},
		{"r = n", digest[:], der(n, s), false},
		{"s = n", digest[:], der(r, n), false},
		{"r + n", digest[:], der(new(big.Int).Add(r, n), s), false},
		{"r = n-1, s = n-1", digest[:], der(nMinus1, nMinus1), false},
		{"negative r", digest[:], der(new(big.Int).Neg(r), s), false},
		{"r + s = n", digest[:], der(tZeroR, s), false},
		{"s·G + t·P is the identity", digest[:], der(rInf, sInf), false},
		{"trailing byte", digest[:], append(der(r, s), 0), false},
		{"non-minimal r", digest[:], rawDER(append([]byte{0}, r.Bytes()...), s.Bytes()), false},
		{"third integer", digest[:], rawDER3(r.Bytes(), s.Bytes(), []byte{1}), false},
		{"empty signature", digest[:], nil, false},
		{"digest beyond 32 bytes ignored", append(digest[:], 1, 2, 3), der(r, s), true},
		{"short digest", digest[:20], der(r, s), false},
		{"empty digest", nil, der(r, s), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := k.check(t, c.digest, c.sig); got != c.want {
				t.Errorf("both say %v, want %v", got, c.want)
			}
		})
	}

	// Digests that are valid when signed as such, including e ≥ n and e = 0.
	for _, d := range [][]byte{nil, n.Bytes(), bytes.Repeat([]byte{0xff}, 32), digest[:20]} {
		r, s := k.sign(t, big.NewInt(99), d)
		if !k.check(t, d, der(r, s)) {
			t.Errorf("digest %x: valid signature refused", d)
		}
	}
}

// TestSM2VerifyASN1Random checks the verifier against gmsm on signatures
// made by gmsm itself (random nonces) and by the textbook signer, under
// several keys, and their corruptions.
func TestSM2VerifyASN1Random(t *testing.T) {
	for i := range 4 {
		k := newSM2TestKey(t, "random "+itoa(i))
		priv, err := sm2.NewPrivateKeyFromInt(k.d)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 50 {
			msg := []byte("message " + itoa(i) + "/" + itoa(j))
			sig, err := priv.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
			if err != nil {
				t.Fatal(err)
			}
			if !k.fk.VerifyASN1WithSM2(msg, sig) || !sm2.VerifyASN1WithSM2(k.pub, nil, msg, sig) {
				t.Fatalf("key %d message %d: gmsm's signature refused", i, j)
			}
			if k.fk.VerifyASN1WithSM2(append(msg, '!'), sig) {
				t.Fatalf("key %d message %d: signature accepted for another message", i, j)
			}
			digest := sm3.Sum(msg)
			r, s := k.sign(t, new(big.Int).SetUint64(uint64(1000*i+j+1)), digest[:])
			if r == nil {
				continue
			}
			for op := range uint8(numOps) {
				d, sig, valid := mutate(digest[:], der(r, s), r, s, sm2Rules, op, j*7, byte(j))
				if got := k.check(t, d, sig); valid && !got {
					t.Fatalf("key %d message %d op %d: valid signature refused", i, j, op)
				}
			}
		}
	}
}

// affine returns p in affine coordinates, (nil, nil) for the identity.
func (p *sm2Jacobian) affine() (x, y *big.Int) {
	if !p.finite {
		return nil, nil
	}
	var zInv, zz, ax, ay sm2fp.Element
	zInv.Inverse(&p.z)
	zz.Square(&zInv)
	ax.Mul(&p.x, &zz)
	ay.Mul(&p.y, zz.Mul(&zz, &zInv))
	return ax.BigInt(new(big.Int)), ay.BigInt(new(big.Int))
}

// TestSM2AddMul checks s·G + t·P from the tables against gmsm's scalar
// multiplications, and the exceptional additions: p + (-p) is the
// identity, and p + p is reported as a doubling instead of being computed.
func TestSM2AddMul(t *testing.T) {
	k := newSM2TestKey(t, "addmul")
	sum := func(s, u *big.Int) (ok bool, x, y *big.Int) {
		var acc sm2Jacobian
		var buf [32]byte
		if !acc.addMul(sm2GTable(), s.FillBytes(buf[:])) || !acc.addMul(k.fk.table, u.FillBytes(buf[:])) {
			return false, nil, nil
		}
		x, y = acc.affine()
		return true, x, y
	}
	want := func(s, u *big.Int) (x, y *big.Int) {
		gx, gy := sm2Curve.ScalarBaseMult(s.FillBytes(make([]byte, 32)))
		px, py := sm2Curve.ScalarMult(k.pub.X, k.pub.Y, u.FillBytes(make([]byte, 32)))
		x, y = sm2Curve.Add(gx, gy, px, py)
		if x.Sign() == 0 && y.Sign() == 0 {
			return nil, nil // elliptic's encoding of the identity
		}
		return x, y
	}
	n := sm2Order
	scalars := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(128), big.NewInt(129), big.NewInt(255), big.NewInt(256),
		new(big.Int).Sub(n, big.NewInt(1)), new(big.Int).Rsh(n, 1),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1)),
	}
	for i := range 20 {
		v := sha256.Sum256([]byte("scalar " + itoa(i)))
		scalars = append(scalars, new(big.Int).Mod(new(big.Int).SetBytes(v[:]), n))
	}
	for i, s := range scalars {
		u := scalars[(i*7+3)%len(scalars)]
		ok, x, y := sum(s, u)
		if !ok {
			t.Fatalf("s=%x t=%x: unexpected doubling", s, u)
		}
		wx, wy := want(s, u)
		if (x == nil) != (wx == nil) || x != nil && (x.Cmp(wx) != 0 || y.Cmp(wy) != 0) {
			t.Errorf("s=%x t=%x: got (%x, %x), want (%x, %x)", s, u, x, y, wx, wy)
		}
	}

	// s = d: s·G is P itself; t with lowest digit 1 adds P first: a doubling.
	if ok, _, _ := sum(k.d, big.NewInt(1+256*77)); ok {
		t.Error("P + P was computed by the addition formula")
	}
	// t with lowest digit -1 adds -P to P: the identity, then the rest of t.
	u := big.NewInt(256*5 - 1)
	ok, x, y := sum(k.d, u)
	wx, wy := want(k.d, u)
	if !ok || x == nil || x.Cmp(wx) != 0 || y.Cmp(wy) != 0 {
		t.Errorf("P - P + ...: got ok=%v (%x, %x), want (%x, %x)", ok, x, y, wx, wy)
	}

	// A doubling sends the verification to gmsm, which gives its answer:
	// here a valid signature with s = d and t = r + s = 1 + 256·77, so that
	// (x1, y1) = d·G + t·P = (1 + t)·P, and the digest chosen to match.
	tt := big.NewInt(1 + 256*77)
	r := new(big.Int).Sub(tt, k.d)
	r.Mod(r, n)
	x1, _ := sm2Curve.ScalarMult(k.pub.X, k.pub.Y, new(big.Int).Add(tt, big.NewInt(1)).FillBytes(make([]byte, 32)))
	e := new(big.Int).Sub(r, x1)
	e.Mod(e, n)
	if !k.check(t, e.FillBytes(make([]byte, 32)), der(r, k.d)) {
		t.Error("valid signature through the doubling fallback refused")
	}
	e.Add(e, big.NewInt(1))
	if k.check(t, e.FillBytes(make([]byte, 32)), der(r, k.d)) {
		t.Error("signature of another digest accepted through the doubling fallback")
	}
}

func TestSM2Table(t *testing.T) {
	k := newSM2TestKey(t, "table")
	for _, tc := range []struct {
		name  string
		table []sm2Affine
		x, y  *big.Int
	}{
		{"key", k.fk.table, k.pub.X, k.pub.Y},
		{"generator", sm2GTable(), sm2Curve.Params().Gx, sm2Curve.Params().Gy},
	} {
		for _, at := range []struct{ i, d int }{{0, 1}, {0, 2}, {0, 128}, {1, 1}, {7, 77}, {31, 128}, {32, 1}, {32, 128}} {
			u := new(big.Int).Lsh(big.NewInt(int64(at.d)), uint(windowBits*at.i))
			wx, wy := sm2Curve.ScalarMult(tc.x, tc.y, new(big.Int).Mod(u, sm2Order).FillBytes(make([]byte, 32)))
			e := tc.table[at.i*windowEntries+at.d-1]
			if e.x.BigInt(new(big.Int)).Cmp(wx) != 0 || e.y.BigInt(new(big.Int)).Cmp(wy) != 0 {
				t.Errorf("%s: entry %d·2^(8·%d) wrong", tc.name, at.d, at.i)
			}
		}
	}
}

func TestNewSM2Rejects(t *testing.T) {
	good := newSM2TestKey(t, "rejects").pub
	p256 := newTestKey(t, []byte("rejects")).pub
	for _, c := range []struct {
		name string
		pub  *ecdsa.PublicKey
	}{
		{"nil", nil},
		{"nil coordinates", &ecdsa.PublicKey{Curve: sm2Curve}},
		{"P-256 key", p256},
		{"off the curve", &ecdsa.PublicKey{Curve: sm2Curve, X: good.X, Y: new(big.Int).Add(good.Y, big.NewInt(1))}},
		{"negative", &ecdsa.PublicKey{Curve: sm2Curve, X: new(big.Int).Neg(good.X), Y: good.Y}},
		{"too long", &ecdsa.PublicKey{Curve: sm2Curve, X: new(big.Int).Lsh(big.NewInt(1), 256), Y: good.Y}},
		{"coordinate above p", &ecdsa.PublicKey{Curve: sm2Curve, X: new(big.Int).Add(good.X, sm2Curve.Params().P), Y: good.Y}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewSM2(c.pub); err == nil {
				t.Error("accepted")
			}
			if _, err := SM2ForKey(c.pub); err == nil {
				t.Error("SM2ForKey accepted")
			}
		})
	}
}

func TestSM2KeyCopiedAndCached(t *testing.T) {
	k := newSM2TestKey(t, "copied")
	pub := k.PublicKeyCopy()
	a, err := SM2ForKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SM2ForKey(k.PublicKeyCopy())
	if err != nil || a != b {
		t.Fatalf("SM2ForKey built a second verifier for one key (%v)", err)
	}
	msg := []byte("copied")
	priv, err := sm2.NewPrivateKeyFromInt(k.d)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := priv.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	pub.X.Add(pub.X, big.NewInt(1)) // the caller changes its key afterwards
	if !a.VerifyASN1WithSM2(msg, sig) {
		t.Error("verifier changed with the key it was made from")
	}
	if got := a.PublicKey(); got.X.Cmp(k.pub.X) != 0 || got.Y.Cmp(k.pub.Y) != 0 {
		t.Error("PublicKey is not the key")
	}
}

func (k sm2TestKey) PublicKeyCopy() *ecdsa.PublicKey {
	return &ecdsa.PublicKey{Curve: sm2Curve, X: new(big.Int).Set(k.pub.X), Y: new(big.Int).Set(k.pub.Y)}
}

// TestSM2Concurrent verifies from several goroutines at once, for the race
// detector: the generator's table is built once and shared.
func TestSM2Concurrent(t *testing.T) {
	k := newSM2TestKey(t, "concurrent")
	digest := sm3.Sum([]byte("concurrent"))
	r, s := k.sign(t, big.NewInt(5), digest[:])
	sig := der(r, s)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if !k.fk.VerifyASN1(digest[:], sig) {
					t.Error("refused")
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzSM2VerifyASN1 is FuzzVerifyASN1 for SM2: the verifier and gmsm's
// sm2.VerifyASN1 must agree.
func FuzzSM2VerifyASN1(f *testing.F) {
	digest := sm3.Sum([]byte("fuzz"))
	fuzzAgainst(f, newSM2TestKey(f, "fuzz"), sm2Rules, digest[:])
}
