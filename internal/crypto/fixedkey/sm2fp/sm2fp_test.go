package sm2fp

import (
	"crypto/sha256"
	"math/big"
	"testing"
)

// The generator's own tests are not kept (they need gopter and testify);
// these check the operations netid uses against math/big, on edge values
// and on values derived from a hash (reproducible).

// modulus is not a package variable: Modulus is only set once the
// package's init functions have run.
func modulus() *big.Int { return Modulus() }

func testValues() []*big.Int {
	p := modulus()
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2),
		new(big.Int).Sub(p, big.NewInt(1)), new(big.Int).Sub(p, big.NewInt(2)),
		new(big.Int).Rsh(p, 1), new(big.Int).Lsh(big.NewInt(1), 255),
		new(big.Int).Lsh(big.NewInt(1), 224), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(1)),
	}
	for i := range 200 {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		vals = append(vals, new(big.Int).Mod(new(big.Int).SetBytes(h[:]), p))
	}
	return vals
}

func elem(v *big.Int) *Element {
	var e Element
	e.SetBigInt(v)
	return &e
}

func TestModulus(t *testing.T) {
	p := modulus()
	// GB/T 32918.5-2016: p = 2^256 - 2^224 - 2^96 + 2^64 - 1.
	want := new(big.Int).Lsh(big.NewInt(1), 256)
	want.Sub(want, new(big.Int).Lsh(big.NewInt(1), 224))
	want.Sub(want, new(big.Int).Lsh(big.NewInt(1), 96))
	want.Add(want, new(big.Int).Lsh(big.NewInt(1), 64))
	want.Sub(want, big.NewInt(1))
	if p.Cmp(want) != 0 {
		t.Fatalf("modulus %x, want %x", p, want)
	}
}

func TestArithmetic(t *testing.T) {
	p := modulus()
	vals := testValues()
	mod := func(v *big.Int) *big.Int { return v.Mod(v, p) }
	for i, a := range vals {
		b := vals[(i*13+5)%len(vals)]
		x, y := elem(a), elem(b)
		var z Element
		for _, c := range []struct {
			op   string
			got  *Element
			want *big.Int
		}{
			{"mul", new(Element).Mul(x, y), mod(new(big.Int).Mul(a, b))},
			{"square", new(Element).Square(x), mod(new(big.Int).Mul(a, a))},
			{"add", new(Element).Add(x, y), mod(new(big.Int).Add(a, b))},
			{"sub", new(Element).Sub(x, y), mod(new(big.Int).Sub(a, b))},
			{"neg", new(Element).Neg(x), mod(new(big.Int).Neg(a))},
			{"double", new(Element).Double(x), mod(new(big.Int).Lsh(a, 1))},
			{"set", z.SetBigInt(a), a},
		} {
			if got := c.got.BigInt(new(big.Int)); got.Cmp(c.want) != 0 {
				t.Fatalf("%s(%x, %x) = %x, want %x", c.op, a, b, got, c.want)
			}
		}
		if a.Sign() != 0 {
			inv := new(Element).Inverse(x)
			if got := inv.BigInt(new(big.Int)); got.Cmp(new(big.Int).ModInverse(a, p)) != 0 {
				t.Fatalf("inverse(%x) = %x", a, got)
			}
		}
		if x.IsZero() != (a.Sign() == 0) {
			t.Fatalf("IsZero(%x) = %v", a, x.IsZero())
		}
		bytes := x.Bytes()
		if new(big.Int).SetBytes(bytes[:]).Cmp(a) != 0 {
			t.Fatalf("Bytes(%x) = %x", a, bytes)
		}
	}
	// Values at or above p are reduced on the way in.
	if got := elem(new(big.Int).Add(p, big.NewInt(3))).BigInt(new(big.Int)); got.Int64() != 3 {
		t.Fatalf("p+3 set as %x", got)
	}
}
