// Package fixedkey verifies ECDSA P-256 signatures made by one public key
// known in advance, faster than crypto/ecdsa, by precomputing multiples of
// that key.
//
// # Why
//
// A relying party verifies an internet certificate offline; the one
// public-key operation of that verification is the CA's ECDSA signature on
// the certificate, and the CA's key is not any key: it comes from the
// trusted roots, a handful of keys that change once in years. ECDSA
// verification computes R = u1·G + u2·Q (FIPS 186-5 section 6.4.2). The
// standard library computes u2·Q as a variable-base scalar multiplication,
// about 50 µs of the 71 µs of crypto/ecdsa.VerifyASN1 on the standard
// machine, because it must serve any key. For a key known in advance, a
// table of its multiples turns u2·Q into a sum of table entries: the scalar
// is cut into signed 8-bit digits, and entry d of window i is d·2^(8i)·Q, so
// u2·Q is at most 33 point additions (about 0.5 µs each) instead of one
// scalar multiplication. u1·G uses nistec's own precomputed table for the
// generator, as crypto/ecdsa does.
//
// The table of a key holds 33 windows of 128 points (Jacobian coordinates,
// 96 bytes each): about 400 KB, built once in about 2 ms. ForKey keeps the
// tables of at most 32 keys for the process, so callers that hold only an
// *ecdsa.PublicKey (from a certificate) need not keep a *P256 themselves.
//
// Measured on the standard machine (2-core AMD EPYC, go test -bench . in
// this package): 28-31 µs per verification against 70 µs for
// crypto/ecdsa.VerifyASN1 on the same key and signature, of which the table
// sum is about 12 µs, u1·G 9.5 µs and the affine conversion of R 4 µs. See
// docs/decisions.md ("fixedkey").
//
// # What it is not
//
// The point arithmetic is filippo.io/nistec, the exported copy of the
// standard library's crypto/internal/fips140/nistec (the same assembly
// P-256 that crypto/ecdsa runs); this package adds no field or group
// arithmetic of its own, only the choice of which points to add. Scalars
// modulo the group order use math/big.
//
// Verification is variable-time: the table index, and whether an addition
// happens at all, depend on the scalars. That is safe because every input
// of a verification is public (the key, the digest, the signature); the
// package must never be used with a secret scalar.
//
// VerifyASN1 has the semantics of crypto/ecdsa.VerifyASN1 for P-256,
// byte for byte: the same strict DER parsing (cryptobyte), the same range
// checks on r and s, the same truncation of the digest. The tests check it
// against crypto/ecdsa on crafted edge cases, on thousands of random keys
// and messages, and in a fuzz test (FuzzVerifyASN1).
package fixedkey
