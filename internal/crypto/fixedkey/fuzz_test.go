package fixedkey

import (
	"bytes"
	"crypto/sha256"
	"math/big"
	"testing"
)

// FuzzVerifyASN1 asserts that the verifier and crypto/ecdsa.VerifyASN1
// give the same answer for a fixed key (fuzzAgainst).
func FuzzVerifyASN1(f *testing.F) {
	digest := sha256.Sum256([]byte("fuzz"))
	fuzzAgainst(f, newTestKey(f, []byte("fuzz")), ecdsaRules, digest[:])
}

// refKey is a test key that signs with a chosen nonce and checks that its
// verifier agrees with the reference implementation (testKey with
// crypto/ecdsa, sm2TestKey with gmsm).
type refKey interface {
	sign(t testing.TB, nonce *big.Int, digest []byte) (r, s *big.Int)
	check(t testing.TB, digest, sig []byte) bool
}

// fuzzAgainst runs the fuzz test of a verifier against its reference, on
// two inputs per run: the digest and signature bytes as given, and a valid
// signature of the digest (signed in the test with a nonce from the input,
// so that runs are reproducible) transformed by op. Random bytes alone
// almost never make a valid signature; the transformed ones stay near the
// valid boundary: bit flips, truncations, insertions, high s, r or s
// shifted by n, digest extended or changed.
func fuzzAgainst(f *testing.F, k refKey, sch scheme, digest []byte) {
	r, s := k.sign(f, big.NewInt(42), digest)
	valid := der(r, s)
	for op := range uint8(numOps) {
		f.Add(digest, valid, op, uint16(3), byte(0x80), uint64(42))
	}
	f.Add([]byte(nil), []byte(nil), uint8(0), uint16(0), byte(0), uint64(1))
	f.Add(make([]byte, 64), []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, uint8(1), uint16(7), byte(1), uint64(2))
	f.Add(digest[:20], der(sch.order, s), uint8(6), uint16(0), byte(0), uint64(3))
	f.Add(sch.order.Bytes(), valid, uint8(7), uint16(40), byte(0xff), uint64(4))

	f.Fuzz(func(t *testing.T, digest, sig []byte, op uint8, pos uint16, b byte, nonce uint64) {
		k.check(t, digest, sig)

		r, s := k.sign(t, new(big.Int).SetUint64(nonce), digest)
		if r == nil {
			return
		}
		d, sig, valid := mutate(digest, der(r, s), r, s, sch, op, int(pos), b)
		if got := k.check(t, d, sig); valid && !got {
			t.Fatalf("op %d: valid signature rejected by both", op%numOps)
		}
	})
}

const numOps = 12

// scheme is what mutate needs to know of a signature scheme: its group
// order, and whether (r, n-s) is valid whenever (r, s) is (ECDSA: yes;
// SM2: no, s is not symmetric there).
type scheme struct {
	order      *big.Int
	highSValid bool
}

var ecdsaRules = scheme{order: order, highSValid: true}

// mutate applies operation op to the signature (r, s) of digest, encoded
// as sig, and returns the new digest and signature and whether the result
// is still a valid signature for certain.
func mutate(digest, sig []byte, r, s *big.Int, sch scheme, op uint8, pos int, b byte) ([]byte, []byte, bool) {
	order := sch.order
	sig = bytes.Clone(sig)
	at := pos % len(sig)
	switch op % numOps {
	case 0: // unchanged
		return digest, sig, true
	case 1: // one bit flipped
		sig[at] ^= 1 << (b % 8)
	case 2: // one byte set
		sig[at] = b
	case 3: // truncated
		sig = sig[:at]
	case 4: // a byte appended
		sig = append(sig, b)
	case 5: // a byte inserted
		sig = append(sig[:at], append([]byte{b}, sig[at:]...)...)
	case 6: // high s: n - s is as valid as s in ECDSA
		return digest, der(r, new(big.Int).Sub(order, s)), sch.highSValid
	case 7: // s + n: the same value modulo n, out of range
		return digest, der(r, new(big.Int).Add(s, order)), false
	case 8: // r + n
		return digest, der(new(big.Int).Add(r, order), s), false
	case 9: // r or s with a bit flipped
		bit := pos % 257
		if b&1 == 0 {
			return digest, der(new(big.Int).Xor(r, new(big.Int).Lsh(big.NewInt(1), uint(bit))), s), false
		}
		return digest, der(r, new(big.Int).Xor(s, new(big.Int).Lsh(big.NewInt(1), uint(bit)))), false
	case 10: // digest extended: bytes beyond 32 do not count
		extended := append(bytes.Clone(digest), bytes.Repeat([]byte{b}, pos%40)...)
		return extended, sig, len(digest) >= 32
	case 11: // digest changed in one byte
		if len(digest) == 0 {
			return []byte{b}, sig, b == 0
		}
		changed := bytes.Clone(digest)
		changed[pos%len(changed)] ^= b
		return changed, sig, b == 0
	}
	return digest, sig, false
}
