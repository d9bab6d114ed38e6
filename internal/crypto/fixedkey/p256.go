package fixedkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"

	"filippo.io/nistec"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The table cuts a 256-bit scalar into signed digits of windowBits bits:
// digits in [-2^(windowBits-1), 2^(windowBits-1)], so a window needs the
// multiples 1..2^(windowBits-1) only, the negative ones being a cheap
// negation. The signed recoding may carry one bit beyond bit 255, hence the
// extra window when 256 is a multiple of windowBits.
const (
	windowBits    = 8
	windowEntries = 1 << (windowBits - 1)
	windows       = 256/windowBits + 1
)

// order is the order n of the P-256 group.
var order = elliptic.P256().Params().N

// P256 verifies ECDSA P-256 signatures of one public key. It holds a copy
// of the key: changing the *ecdsa.PublicKey it was made from afterwards
// does not change it. A P256 is immutable and safe for concurrent use.
type P256 struct {
	// key is the SEC 1 uncompressed encoding of the public key.
	key [65]byte
	// table[i*windowEntries+d-1] is d·2^(windowBits·i)·Q, d in
	// [1, windowEntries].
	table []nistec.P256Point
}

// NewP256 precomputes the table of pub, an ECDSA public key on NIST P-256.
// It fails for a key on another curve or a point that is not on the curve
// (or is the point at infinity). It takes a few milliseconds: keep the
// result, or use ForKey.
func NewP256(pub *ecdsa.PublicKey) (*P256, error) {
	enc, err := encodeKey(pub, elliptic.P256(), "P-256")
	if err != nil {
		return nil, err
	}
	// SetBytes rejects points off the curve and the identity; Bytes of
	// crypto/ecdsa would refuse the same keys.
	q, err := nistec.NewP256Point().SetBytes(enc[:])
	if err != nil {
		return nil, fmt.Errorf("fixedkey: invalid P-256 public key: %w", err)
	}
	k := &P256{key: enc, table: make([]nistec.P256Point, windows*windowEntries)}
	base := q // 2^(windowBits·i)·Q
	for i := range windows {
		row := k.table[i*windowEntries : (i+1)*windowEntries]
		row[0] = *nistec.NewP256Point().Set(base)
		for d := 1; d < windowEntries; d++ {
			row[d] = *nistec.NewP256Point().Add(&row[d-1], base)
		}
		// The next window's base is 2^windowBits times this one: twice the
		// largest entry, 2^(windowBits-1)·base.
		base = nistec.NewP256Point().Double(&row[windowEntries-1])
	}
	return k, nil
}

// encodeKey returns the SEC 1 uncompressed encoding of pub's coordinates,
// refusing a key on another curve than want (named name in errors) and
// what crypto/ecdsa would refuse to encode. It does not check that the
// point is on the curve.
func encodeKey(pub *ecdsa.PublicKey, want elliptic.Curve, name string) ([65]byte, error) {
	var enc [65]byte
	switch {
	case pub == nil || pub.X == nil || pub.Y == nil:
		return enc, errors.New("fixedkey: nil public key")
	case pub.Curve != want:
		return enc, fmt.Errorf("fixedkey: public key on another curve than %s", name)
	case pub.X.Sign() < 0 || pub.Y.Sign() < 0 || pub.X.BitLen() > 256 || pub.Y.BitLen() > 256:
		return enc, fmt.Errorf("fixedkey: invalid %s public key: coordinate out of range", name)
	}
	enc[0] = 4
	pub.X.FillBytes(enc[1:33])
	pub.Y.FillBytes(enc[33:65])
	return enc, nil
}

// PublicKeyBytes returns the SEC 1 uncompressed encoding of the key, 65
// bytes.
func (k *P256) PublicKeyBytes() []byte {
	out := k.key
	return out[:]
}

// VerifyASN1 reports whether sig, an ASN.1 DER ECDSA-Sig-Value
// SEQUENCE{r, s}, is a valid signature of digest by the key. It is
// crypto/ecdsa.VerifyASN1 for this key, with the same answer on every
// input: DER is parsed as strictly (no trailing bytes, minimal non-negative
// INTEGERs), r and s must lie in [1, n-1] (both s and n-s are accepted, as
// in ECDSA), and digest is truncated to its leftmost 256 bits and reduced
// modulo n (FIPS 186-5 section 6.4.2; any length, including empty).
//
// It is not constant-time, which is safe since everything it handles is
// public.
func (k *P256) VerifyASN1(digest, sig []byte) bool {
	rb, sb, ok := parseSignature(sig)
	if !ok {
		return false
	}
	r, s := new(big.Int).SetBytes(rb), new(big.Int).SetBytes(sb)
	if r.Sign() == 0 || r.Cmp(order) >= 0 || s.Sign() == 0 || s.Cmp(order) >= 0 {
		return false
	}
	e := hashToInt(digest, order)

	// w = s⁻¹, u1 = e·w, u2 = r·w (mod n). n is prime and 0 < s < n, so the
	// inverse exists.
	w := new(big.Int).ModInverse(s, order)
	u1 := e.Mul(e, w)
	u1.Mod(u1, order)
	u2 := w.Mul(r, w)
	u2.Mod(u2, order)

	var buf [32]byte
	acc, err := nistec.NewP256Point().ScalarBaseMult(u1.FillBytes(buf[:]))
	if err != nil {
		return false
	}
	k.addMul(acc, u2.FillBytes(buf[:]))

	// BytesX fails for the point at infinity, which ECDSA rejects.
	x, err := acc.BytesX()
	if err != nil {
		return false
	}
	v := new(big.Int).SetBytes(x)
	if v.Cmp(order) >= 0 { // x < p < 2n: one subtraction reduces it
		v.Sub(v, order)
	}
	return v.Cmp(r) == 0
}

// addMul sets acc = acc + u·Q, where u is a 32-byte big-endian scalar.
func (k *P256) addMul(acc *nistec.P256Point, u []byte) {
	var digits [windows]int
	recode(&digits, u)
	neg := nistec.NewP256Point()
	for i, d := range digits {
		switch {
		case d > 0:
			acc.Add(acc, &k.table[i*windowEntries+d-1])
		case d < 0:
			acc.Add(acc, neg.Negate(&k.table[i*windowEntries-d-1]))
		}
	}
}

// recode writes the big-endian 256-bit scalar u as signed digits, least
// significant first: u = Σ digits[i]·2^(windowBits·i), each digit in
// [-2^(windowBits-1), 2^(windowBits-1)].
func recode(digits *[windows]int, u []byte) {
	const mask = 1<<windowBits - 1
	carry := 0
	for i := range windows {
		v := bitsAt(u, i*windowBits)&mask + carry
		carry = 0
		if v > windowEntries {
			v -= 1 << windowBits
			carry = 1
		}
		digits[i] = v
	}
}

// bitsAt returns the bits of the big-endian 256-bit integer u from bit pos
// upwards (at least windowBits of them; bits beyond 255 are zero).
func bitsAt(u []byte, pos int) int {
	v := 0
	for j := (pos + windowBits - 1) / 8; j >= pos/8; j-- {
		v <<= 8
		if j < 32 {
			v |= int(u[31-j])
		}
	}
	return v >> (pos % 8)
}

// parseSignature is crypto/ecdsa's: a DER SEQUENCE of two INTEGERs, no
// trailing data, each minimally encoded and non-negative. r and s come out
// without leading zeros.
func parseSignature(sig []byte) (r, s []byte, ok bool) {
	var inner cryptobyte.String
	input := cryptobyte.String(sig)
	if !input.ReadASN1(&inner, asn1.SEQUENCE) ||
		!input.Empty() ||
		!inner.ReadASN1Integer(&r) ||
		!inner.ReadASN1Integer(&s) ||
		!inner.Empty() {
		return nil, nil, false
	}
	return r, s, true
}

// hashToInt converts a digest to an integer modulo n, the group order of
// P-256 or SM2, as ECDSA (bits2int then reduction) and gmsm's SM2
// (hashToNat) both do: its leftmost 256 bits, the bit length of both
// orders, reduced modulo n. The orders have a whole number of bytes, so
// truncation never shifts.
func hashToInt(digest []byte, n *big.Int) *big.Int {
	if len(digest) > 32 {
		digest = digest[:32]
	}
	e := new(big.Int).SetBytes(digest)
	if e.Cmp(n) >= 0 { // e < 2^256 < 2n
		e.Sub(e, n)
	}
	return e
}
