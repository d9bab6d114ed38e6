package ecc

import "math/big"

// jacobian is a point in Jacobian projective coordinates, with coordinates
// in Montgomery form: the affine point (X/Z², Y/Z³), or the point at
// infinity when Z = 0.
//
// The arithmetic is not constant time. It only ever handles public values
// (keys, signatures, curve parameters), so timing leaks nothing secret.
type jacobian struct {
	x, y, z fe
}

// curveArith is a curve's field with scratch space for point operations.
type curveArith struct {
	f *field
	t [10]fe
}

func (c *Curve) arith() *curveArith { return &curveArith{f: newField(c.P, c.A)} }

func (k *curveArith) isInfinity(p *jacobian) bool { return k.f.isZero(&p.z) }

// infinity returns the point at infinity (Z = 0).
func (k *curveArith) infinity() jacobian {
	return jacobian{x: k.f.one, y: k.f.one}
}

// fromAffine converts affine coordinates (reduced modulo p).
func (k *curveArith) fromAffine(x, y *big.Int) jacobian {
	return jacobian{x: k.f.fromBig(x), y: k.f.fromBig(y), z: k.f.one}
}

// toAffine converts p back to affine coordinates; ok is false for the
// point at infinity.
func (k *curveArith) toAffine(p *jacobian) (x, y *big.Int, ok bool) {
	if k.isInfinity(p) {
		return nil, nil, false
	}
	f := k.f
	zinv := new(big.Int).ModInverse(f.toBig(&p.z), f.pBig)
	zi := f.fromBig(zinv)
	var zi2, zi3, ax, ay fe
	f.mul(&zi2, &zi, &zi)
	f.mul(&zi3, &zi2, &zi)
	f.mul(&ax, &p.x, &zi2)
	f.mul(&ay, &p.y, &zi3)
	return f.toBig(&ax), f.toBig(&ay), true
}

// double sets r = 2p (r may alias p), for a general coefficient a:
//
//	S = 4·X·Y², M = 3·X² + a·Z⁴, X' = M² − 2S, Y' = M·(S − X') − 8·Y⁴, Z' = 2·Y·Z.
func (k *curveArith) double(r, p *jacobian) {
	f := k.f
	if k.isInfinity(p) || f.isZero(&p.y) {
		*r = k.infinity()
		return
	}
	yy, s, zz, m, t := &k.t[0], &k.t[1], &k.t[2], &k.t[3], &k.t[4]
	f.mul(yy, &p.y, &p.y)
	f.mul(s, &p.x, yy)
	f.add(s, s, s)
	f.add(s, s, s)
	f.mul(zz, &p.z, &p.z)
	f.mul(zz, zz, zz)
	f.mul(zz, zz, &f.a)
	f.mul(m, &p.x, &p.x)
	f.add(t, m, m)
	f.add(m, m, t)
	f.add(m, m, zz)
	// Z' first: it reads p.y and p.z before r (maybe p) is overwritten.
	f.mul(&r.z, &p.y, &p.z)
	f.add(&r.z, &r.z, &r.z)
	f.mul(&r.x, m, m)
	f.add(t, s, s)
	f.sub(&r.x, &r.x, t)
	f.mul(yy, yy, yy) // Y⁴
	f.add(yy, yy, yy)
	f.add(yy, yy, yy)
	f.add(yy, yy, yy) // 8·Y⁴
	f.sub(t, s, &r.x)
	f.mul(&r.y, m, t)
	f.sub(&r.y, &r.y, yy)
}

// add sets r = p + q (r may alias p or q), handling the point at
// infinity, p = q and p = −q.
func (k *curveArith) add(r, p, q *jacobian) {
	if k.isInfinity(p) {
		*r = *q
		return
	}
	if k.isInfinity(q) {
		*r = *p
		return
	}
	f := k.f
	z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, v := &k.t[0], &k.t[1], &k.t[2], &k.t[3], &k.t[4], &k.t[5], &k.t[6], &k.t[7], &k.t[8], &k.t[9]
	f.mul(z1z1, &p.z, &p.z)
	f.mul(z2z2, &q.z, &q.z)
	f.mul(u1, &p.x, z2z2)
	f.mul(u2, &q.x, z1z1)
	f.mul(s1, &p.y, &q.z)
	f.mul(s1, s1, z2z2)
	f.mul(s2, &q.y, &p.z)
	f.mul(s2, s2, z1z1)
	f.sub(h, u2, u1)
	f.sub(rr, s2, s1)
	if f.isZero(h) {
		if f.isZero(rr) {
			k.double(r, p)
			return
		}
		*r = k.infinity()
		return
	}
	// Z3 = Z1·Z2·H, computed before r's coordinates are overwritten.
	f.mul(z1z1, &p.z, &q.z)
	f.mul(&r.z, z1z1, h)
	f.mul(hh, h, h)  // H²
	f.mul(h, hh, h)  // H³
	f.mul(v, u1, hh) // U1·H²
	f.mul(s1, s1, h) // S1·H³
	f.mul(&r.x, rr, rr)
	f.sub(&r.x, &r.x, h)
	f.sub(&r.x, &r.x, v)
	f.sub(&r.x, &r.x, v)
	f.sub(v, v, &r.x)
	f.mul(&r.y, rr, v)
	f.sub(&r.y, &r.y, s1)
}

// windowBits is the width of the fixed windows of the scalar
// multiplications: 15 precomputed multiples per point.
const windowBits = 4

// table returns p, 2p, …, 15p.
func (k *curveArith) table(p *jacobian) []jacobian {
	t := make([]jacobian, 1<<windowBits-1)
	t[0] = *p
	for i := 1; i < len(t); i++ {
		k.add(&t[i], &t[i-1], p)
	}
	return t
}

// window returns the windowBits-wide digit of s at window position w.
func window(s *big.Int, w int) int {
	d := 0
	for b := windowBits - 1; b >= 0; b-- {
		d = d<<1 | int(s.Bit(w*windowBits+b))
	}
	return d
}

// scalarMult returns s·p (s ≥ 0) with fixed windows.
func (k *curveArith) scalarMult(p *jacobian, s *big.Int) jacobian {
	t := k.table(p)
	r := k.infinity()
	for w := (s.BitLen()+windowBits-1)/windowBits - 1; w >= 0; w-- {
		for i := 0; i < windowBits; i++ {
			k.double(&r, &r)
		}
		if d := window(s, w); d != 0 {
			k.add(&r, &r, &t[d-1])
		}
	}
	return r
}

// combinedMult returns u1·p + u2·q: interleaved fixed windows sharing one
// chain of doublings (Shamir's trick generalised to 4-bit windows).
func (k *curveArith) combinedMult(p *jacobian, u1 *big.Int, q *jacobian, u2 *big.Int) jacobian {
	tp, tq := k.table(p), k.table(q)
	r := k.infinity()
	n := max(u1.BitLen(), u2.BitLen())
	for w := (n+windowBits-1)/windowBits - 1; w >= 0; w-- {
		for i := 0; i < windowBits; i++ {
			k.double(&r, &r)
		}
		if d := window(u1, w); d != 0 {
			k.add(&r, &r, &tp[d-1])
		}
		if d := window(u2, w); d != 0 {
			k.add(&r, &r, &tq[d-1])
		}
	}
	return r
}

// ScalarBaseMult returns k·G in affine coordinates, and ok = false when the
// result is the point at infinity.
func (c *Curve) ScalarBaseMult(k *big.Int) (x, y *big.Int, ok bool) {
	return c.ScalarMult(c.Gx, c.Gy, k)
}

// ScalarMult returns k·(x, y) in affine coordinates, and ok = false when
// the result is the point at infinity. (x, y) must be on the curve.
func (c *Curve) ScalarMult(x, y, k *big.Int) (rx, ry *big.Int, ok bool) {
	a := c.arith()
	p := a.fromAffine(x, y)
	r := a.scalarMult(&p, new(big.Int).Mod(k, c.N))
	return a.toAffine(&r)
}

// orderTimesIsInfinity reports whether n·(x, y) is the point at infinity,
// with n unreduced (for checking the order of points and the generator).
func (c *Curve) orderTimesIsInfinity(x, y *big.Int) bool {
	a := c.arith()
	p := a.fromAffine(x, y)
	r := a.scalarMult(&p, c.N)
	return a.isInfinity(&r)
}
