package ecc

import (
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
)

func TestNamedCurvesAreValidGroups(t *testing.T) {
	wantBits := map[string]int{
		"P-224": 224, "P-256": 256, "P-384": 384, "P-521": 521,
		"brainpoolP192r1": 192, "brainpoolP224r1": 224, "brainpoolP256r1": 256,
		"brainpoolP320r1": 320, "brainpoolP384r1": 384, "brainpoolP512r1": 512,
	}
	if got, want := len(NamedCurves()), len(wantBits); got != want {
		t.Fatalf("len(NamedCurves()) = %d, want %d", got, want)
	}
	for _, c := range NamedCurves() {
		t.Run(c.Name, func(t *testing.T) {
			if got, want := c.BitSize(), wantBits[c.Name]; got != want {
				t.Errorf("BitSize() = %d, want %d", got, want)
			}
			if err := c.validate(); err != nil {
				t.Fatalf("validate() = %v, want nil", err)
			}
			if !c.IsOnCurve(c.Gx, c.Gy) {
				t.Errorf("generator is not on the curve")
			}
			if !c.orderTimesIsInfinity(c.Gx, c.Gy) {
				t.Errorf("n·G is not the point at infinity")
			}
			// (n−1)·G = −G: same x, y negated.
			x, y, ok := c.ScalarBaseMult(new(big.Int).Sub(c.N, big.NewInt(1)))
			if !ok {
				t.Fatalf("(n-1)·G is the point at infinity")
			}
			if x.Cmp(c.Gx) != 0 || new(big.Int).Add(y, c.Gy).Cmp(c.P) != 0 {
				t.Errorf("(n-1)·G = (%x, %x), want −G", x, y)
			}
			got, ok := CurveByOID(c.OID)
			if !ok || got != c {
				t.Errorf("CurveByOID(%v) = %v, %v; want %s", c.OID, got, ok, c.Name)
			}
		})
	}
}

// TestBrainpoolAIsNotMinusThree guards against an implementation that
// silently assumes a = −3, as crypto/elliptic does.
func TestBrainpoolAIsNotMinusThree(t *testing.T) {
	for _, c := range []*Curve{BrainpoolP192r1, BrainpoolP224r1, BrainpoolP256r1, BrainpoolP320r1, BrainpoolP384r1, BrainpoolP512r1} {
		minus3 := new(big.Int).Sub(c.P, big.NewInt(3))
		if c.A.Cmp(minus3) == 0 {
			t.Errorf("%s: a = −3, want a general coefficient", c.Name)
		}
	}
}

// TestDoubleMatchesAdd checks the general-a doubling formula against the
// addition formula computed through a different path: 4G = 2(2G) = 3G + G,
// and G + (−G) = O.
func TestDoubleMatchesAdd(t *testing.T) {
	for _, c := range NamedCurves() {
		a := c.arith()
		g := a.fromAffine(c.Gx, c.Gy)
		var g2, g3, g4a, g4b jacobian
		a.double(&g2, &g)
		a.add(&g3, &g2, &g)
		a.double(&g4a, &g2)
		a.add(&g4b, &g3, &g)
		xa, ya, _ := a.toAffine(&g4a)
		xb, yb, _ := a.toAffine(&g4b)
		if xa.Cmp(xb) != 0 || ya.Cmp(yb) != 0 {
			t.Errorf("%s: 2(2G) != 3G + G", c.Name)
		}
		if !c.IsOnCurve(xa, ya) {
			t.Errorf("%s: 4G is not on the curve", c.Name)
		}
		x4, y4, _ := c.ScalarBaseMult(big.NewInt(4))
		if x4.Cmp(xa) != 0 || y4.Cmp(ya) != 0 {
			t.Errorf("%s: ScalarBaseMult(4) != 2(2G)", c.Name)
		}
		neg := a.fromAffine(c.Gx, new(big.Int).Sub(c.P, c.Gy))
		var sum jacobian
		a.add(&sum, &g, &neg)
		if !a.isInfinity(&sum) {
			t.Errorf("%s: G + (−G) is not the point at infinity", c.Name)
		}
	}
}

func copyCurve(c *Curve) *Curve {
	d := *c
	d.Name, d.OID, d.stdlib = "", nil, nil
	for _, f := range []**big.Int{&d.P, &d.A, &d.B, &d.Gx, &d.Gy, &d.N, &d.H} {
		*f = new(big.Int).Set(*f)
	}
	return &d
}

func TestValidateRejectsBadParameters(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Curve)
	}{
		{"composite p", func(c *Curve) { c.P.Add(c.P, big.NewInt(2)) }},
		{"even p", func(c *Curve) { c.P.Add(c.P, big.NewInt(1)) }},
		{"p too large", func(c *Curve) { c.P.Lsh(c.P, 400) }},
		{"generator off curve", func(c *Curve) { c.Gy.Add(c.Gy, big.NewInt(1)) }},
		{"wrong order", func(c *Curve) { c.N.Sub(c.N, big.NewInt(2)) }},
		{"order not a prime", func(c *Curve) { c.N.Add(c.N, big.NewInt(1)) }},
		{"wrong cofactor", func(c *Curve) { c.H.SetInt64(4) }},
		{"a not reduced", func(c *Curve) { c.A.Add(c.A, c.P) }},
		{"singular", func(c *Curve) { c.A.SetInt64(0); c.B.SetInt64(0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := copyCurve(BrainpoolP256r1)
			tt.mutate(c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidCurve) {
				t.Errorf("Validate() = %v, want ErrInvalidCurve", err)
			}
		})
	}
}

// marshalExplicit encodes c as explicit ECParameters, as the real
// certificates of several issuing states do.
func marshalExplicit(t testing.TB, c *Curve, compressedBase bool, withCofactor bool) []byte {
	t.Helper()
	size := c.ByteSize()
	fe := func(v *big.Int) []byte { return v.FillBytes(make([]byte, size)) }
	var base []byte
	if compressedBase {
		base = append([]byte{byte(2 + c.Gy.Bit(0))}, fe(c.Gx)...)
	} else {
		base = append(append([]byte{4}, fe(c.Gx)...), fe(c.Gy)...)
	}
	type field struct {
		Type  asn1.ObjectIdentifier
		Prime *big.Int
	}
	type curveCoeffs struct{ A, B []byte }
	type params struct {
		Version int
		Field   field
		Curve   curveCoeffs
		Base    []byte
		Order   *big.Int
	}
	type paramsH struct {
		Version  int
		Field    field
		Curve    curveCoeffs
		Base     []byte
		Order    *big.Int
		Cofactor *big.Int
	}
	var v any = params{1, field{oidPrimeField, c.P}, curveCoeffs{fe(c.A), fe(c.B)}, base, c.N}
	if withCofactor {
		v = paramsH{1, field{oidPrimeField, c.P}, curveCoeffs{fe(c.A), fe(c.B)}, base, c.N, c.H}
	}
	der, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseECParametersMapsNamedCurves(t *testing.T) {
	for _, c := range NamedCurves() {
		for _, compressed := range []bool{false, true} {
			der := marshalExplicit(t, c, compressed, !compressed)
			got, err := ParseECParameters(der)
			if err != nil {
				t.Fatalf("%s: ParseECParameters() = %v", c.Name, err)
			}
			if !got.Named || got.Curve != c {
				t.Errorf("%s (compressed base %v): got %v named=%v, want the named curve", c.Name, compressed, got.Curve, got.Named)
			}
		}
	}
}

// unnamedCurve is brainpoolP256r1 with 2·G as generator: a valid group of
// the same order that matches no named curve.
func unnamedCurve(t testing.TB) *Curve {
	t.Helper()
	c := copyCurve(BrainpoolP256r1)
	x, y, _ := c.ScalarBaseMult(big.NewInt(2))
	c.Gx, c.Gy = x, y
	return c
}

func TestParseECParametersUnnamedCurve(t *testing.T) {
	u := unnamedCurve(t)
	got, err := ParseECParameters(marshalExplicit(t, u, false, true))
	if err != nil {
		t.Fatalf("ParseECParameters() = %v, want nil", err)
	}
	if got.Named {
		t.Errorf("Named = true, want false for a curve with a non-standard generator")
	}
	if got.Curve.Name != "" || got.Curve.H.Int64() != 1 {
		t.Errorf("curve = %v with h=%v, want unnamed with h=1", got.Curve, got.Curve.H)
	}
}

func TestParseECParametersRejects(t *testing.T) {
	bad := copyCurve(BrainpoolP256r1)
	bad.Gy.Add(bad.Gy, big.NewInt(1))
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"garbage", []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		{"generator off curve", marshalExplicit(t, bad, false, true)},
		{"trailing data", append(marshalExplicit(t, BrainpoolP256r1, false, true), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseECParameters(tt.der); !errors.Is(err, ErrInvalidCurve) {
				t.Errorf("ParseECParameters() = %v, want ErrInvalidCurve", err)
			}
		})
	}
}
