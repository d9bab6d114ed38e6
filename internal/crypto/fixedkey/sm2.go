package fixedkey

//go:generate sh -c "cd sm2fp/gen && go run . -out .."

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"sync"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/netid/netid/internal/crypto/fixedkey/sm2fp"
)

// sm2Curve is the SM2 curve of gmsm (GB/T 32918.5-2016). Its group law,
// through the elliptic.Curve interface, builds the tables; the
// verification itself only adds table entries (sm2Jacobian.addAffine).
var (
	sm2Curve = sm2.P256()
	sm2Order = sm2Curve.Params().N
)

// SM2 verifies SM2 signatures (GB/T 32918.2-2016 section 7) of one public
// key, with the same answers as gmsm's sm2.VerifyASN1 and
// sm2.VerifyASN1WithSM2. It holds a copy of the key. An SM2 is immutable
// and safe for concurrent use.
type SM2 struct {
	// pub is gmsm's parse of the key, for the verifications left to gmsm.
	pub *ecdsa.PublicKey
	// za is Z_A of the key with the default user ID (GB/T 32918.2 section
	// 5.5), which the message digest of a certificate signature starts with.
	za []byte
	// table holds the multiples of the key, as the table of P256 does.
	table []sm2Affine
}

// sm2Affine is a point in affine coordinates, in Montgomery form. The
// tables hold no point at infinity.
type sm2Affine struct{ x, y sm2fp.Element }

// sm2GTable is the table of the generator G, built on first use and kept
// for the process.
var sm2GTable = sync.OnceValue(func() []sm2Affine {
	params := sm2Curve.Params()
	return sm2Table(params.Gx, params.Gy)
})

// NewSM2 precomputes the table of pub, an SM2 public key. It fails for a key
// on another curve, or a point that is not on the curve. It takes tens of
// milliseconds: keep the result, or use SM2ForKey.
func NewSM2(pub *ecdsa.PublicKey) (*SM2, error) {
	enc, err := encodeKey(pub, sm2Curve, "SM2")
	if err != nil {
		return nil, err
	}
	// gmsm's own check of a public key: on the curve, not the identity.
	own, err := sm2.NewPublicKey(enc[:])
	if err != nil {
		return nil, fmt.Errorf("fixedkey: invalid SM2 public key: %w", err)
	}
	za, err := sm2.CalculateZA(own, nil)
	if err != nil {
		return nil, fmt.Errorf("fixedkey: SM2 key: %w", err)
	}
	return &SM2{pub: own, za: za, table: sm2Table(own.X, own.Y)}, nil
}

// sm2Table returns d·2^(windowBits·i)·(x, y) for every window i and d in
// [1, windowEntries], at index i*windowEntries+d-1, computed with gmsm's
// group law. (x, y) is on the curve and not the identity, so no entry is
// the identity: the multiples are below the group order.
func sm2Table(x, y *big.Int) []sm2Affine {
	table := make([]sm2Affine, windows*windowEntries)
	bx, by := x, y // 2^(windowBits·i)·(x, y)
	for i := range windows {
		row := table[i*windowEntries : (i+1)*windowEntries]
		px, py := bx, by
		for d := range windowEntries {
			if d > 0 {
				px, py = sm2Curve.Add(px, py, bx, by)
			}
			row[d].x.SetBigInt(px)
			row[d].y.SetBigInt(py)
		}
		// The next base: twice the largest entry, 2^(windowBits-1)·base.
		bx, by = sm2Curve.Double(px, py)
	}
	return table
}

// PublicKey returns a copy of the key.
func (k *SM2) PublicKey() *ecdsa.PublicKey {
	return &ecdsa.PublicKey{Curve: k.pub.Curve, X: new(big.Int).Set(k.pub.X), Y: new(big.Int).Set(k.pub.Y)}
}

// VerifyASN1WithSM2 is sm2.VerifyASN1WithSM2 with the default user ID: it
// reports whether sig, an ASN.1 DER SEQUENCE{r, s}, is a valid SM2
// signature of msg by the key, the digest being SM3(Z_A || msg). This is
// what smx509 checks for a certificate signed with SM2-with-SM3.
func (k *SM2) VerifyASN1WithSM2(msg, sig []byte) bool {
	h := sm3.New()
	h.Write(k.za)
	h.Write(msg)
	var digest [sm3.Size]byte
	return k.VerifyASN1(h.Sum(digest[:0]), sig)
}

// VerifyASN1 is sm2.VerifyASN1 for this key: it reports whether sig, an
// ASN.1 DER SEQUENCE{r, s}, is a valid SM2 signature of digest, with the
// same answer on every input: DER parsed as strictly, r and s in
// [1, n-1], r+s not 0 mod n, and digest truncated to its leftmost 256
// bits and reduced modulo n (any length, including empty).
//
// It computes (x1, y1) = s·G + t·P with t = r+s mod n by adding entries of
// the two tables (GB/T 32918.2 section 7.1, steps B5 to B7). In the
// negligible case where an addition meets two equal points (which only a
// signature crafted for it could cause), it leaves the answer to gmsm.
// Not constant-time, which is safe since everything it handles is public.
func (k *SM2) VerifyASN1(digest, sig []byte) bool {
	rb, sb, ok := parseSignature(sig)
	if !ok {
		return false
	}
	r, s := new(big.Int).SetBytes(rb), new(big.Int).SetBytes(sb)
	if r.Sign() == 0 || r.Cmp(sm2Order) >= 0 || s.Sign() == 0 || s.Cmp(sm2Order) >= 0 {
		return false
	}
	t := new(big.Int).Add(r, s)
	if t.Cmp(sm2Order) >= 0 {
		t.Sub(t, sm2Order)
	}
	if t.Sign() == 0 {
		return false
	}

	var acc sm2Jacobian
	var buf [32]byte
	if !acc.addMul(sm2GTable(), s.FillBytes(buf[:])) || !acc.addMul(k.table, t.FillBytes(buf[:])) {
		return sm2.VerifyASN1(k.pub, digest, sig)
	}
	if !acc.finite {
		return false // gmsm refuses the identity (BytesX)
	}
	var zInv, x1 sm2fp.Element
	zInv.Inverse(&acc.z)
	x1.Square(&zInv).Mul(&x1, &acc.x)
	xb := x1.Bytes()

	// R = (e + x1) mod n, x1 < p < 2n.
	v := new(big.Int).SetBytes(xb[:])
	v.Add(v, hashToInt(digest, sm2Order))
	for v.Cmp(sm2Order) >= 0 {
		v.Sub(v, sm2Order)
	}
	return v.Cmp(r) == 0
}

// sm2Jacobian is a point (x/z², y/z³) in Jacobian coordinates when finite
// is set, and the identity otherwise: the zero value is the identity.
type sm2Jacobian struct {
	x, y, z sm2fp.Element
	finite  bool
}

// addMul adds u·Q to p, where table is Q's table and u a 32-byte
// big-endian scalar. It reports false when an addition would have been a
// doubling, which addAffine does not do; p is then meaningless.
func (p *sm2Jacobian) addMul(table []sm2Affine, u []byte) bool {
	var digits [windows]int
	recode(&digits, u)
	var neg sm2Affine
	for i, d := range digits {
		switch {
		case d > 0:
			if !p.addAffine(&table[i*windowEntries+d-1]) {
				return false
			}
		case d < 0:
			e := &table[i*windowEntries-d-1]
			neg.x = e.x
			neg.y.Neg(&e.y)
			if !p.addAffine(&neg) {
				return false
			}
		}
	}
	return true
}

// addAffine sets p = p + q, for q not the identity (mixed Jacobian-affine
// addition: Hankerson, Menezes and Vanstone, Guide to Elliptic Curve
// Cryptography, algorithm 3.22, which holds for any curve coefficient a).
// It reports false, leaving p unchanged, when p = q, where the formula
// does not apply and a doubling would be needed.
func (p *sm2Jacobian) addAffine(q *sm2Affine) bool {
	if !p.finite {
		p.x, p.y = q.x, q.y
		p.z.SetOne()
		p.finite = true
		return true
	}
	var zz, zzz, u2, s2, h, r sm2fp.Element
	zz.Square(&p.z)
	zzz.Mul(&zz, &p.z)
	u2.Mul(&q.x, &zz)  // x2·z1²
	s2.Mul(&q.y, &zzz) // y2·z1³
	h.Sub(&u2, &p.x)
	r.Sub(&s2, &p.y)
	if h.IsZero() {
		if r.IsZero() {
			return false // p = q
		}
		p.finite = false // p = -q
		return true
	}
	var hh, hhh, v, x3, y3 sm2fp.Element
	hh.Square(&h)
	hhh.Mul(&hh, &h)
	v.Mul(&p.x, &hh) // x1·h²
	// x3 = r² - h³ - 2·x1·h²
	x3.Square(&r)
	x3.Sub(&x3, &hhh)
	x3.Sub(&x3, &v)
	x3.Sub(&x3, &v)
	// y3 = r·(x1·h² - x3) - y1·h³
	y3.Sub(&v, &x3)
	y3.Mul(&y3, &r)
	hhh.Mul(&hhh, &p.y)
	y3.Sub(&y3, &hhh)
	// z3 = z1·h
	p.z.Mul(&p.z, &h)
	p.x, p.y = x3, y3
	return true
}
