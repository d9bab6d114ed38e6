package ecc

import (
	"crypto/sha256"
	"math/big"
	"testing"
)

func FuzzParseECParameters(f *testing.F) {
	for _, c := range NamedCurves() {
		f.Add(marshalExplicit(f, c, false, true))
	}
	f.Add(marshalExplicit(f, BrainpoolP384r1, true, false))
	f.Add(marshalExplicit(f, unnamedCurve(f), false, true))
	f.Fuzz(func(t *testing.T, der []byte) {
		e, err := ParseECParameters(der)
		if err != nil {
			return
		}
		c := e.Curve
		if !c.IsOnCurve(c.Gx, c.Gy) || c.H == nil {
			t.Fatalf("accepted parameters with the generator off the curve or no cofactor")
		}
		if !e.Named {
			if err := c.Validate(); err != nil {
				t.Fatalf("accepted parameters fail Validate: %v", err)
			}
		}
		// Verifying on the accepted curve must not panic.
		digest := sha256.Sum256(der)
		_ = Verify(&PublicKey{Curve: c, X: c.Gx, Y: c.Gy}, digest[:], big.NewInt(1), big.NewInt(1))
	})
}

func FuzzParsePointAndVerify(f *testing.F) {
	for _, v := range wycheproofVectors {
		f.Add(v.curve.Name, mustHex(f, v.key), mustHex(f, v.sig))
	}
	byName := map[string]*Curve{}
	for _, c := range NamedCurves() {
		byName[c.Name] = c
	}
	f.Fuzz(func(t *testing.T, name string, point, sig []byte) {
		c, ok := byName[name]
		if !ok {
			return
		}
		pub, err := ParsePoint(c, point)
		if err != nil {
			return
		}
		if !c.IsOnCurve(pub.X, pub.Y) {
			t.Fatalf("ParsePoint accepted a point off %s", name)
		}
		digest := sha256.Sum256(sig)
		_ = VerifyASN1(pub, digest[:], sig)
		_ = VerifyPlain(pub, digest[:], sig)
	})
}
