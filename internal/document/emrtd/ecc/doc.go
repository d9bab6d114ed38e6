// Package ecc verifies ECDSA signatures on any short Weierstrass prime
// curve, including the brainpool curves and curves given by explicit
// domain parameters, which the Go standard library does not support.
//
// Why it exists: travel documents (ICAO 9303 part 12) are signed with
// ECDSA over NIST and brainpool curves, and many issuing states encode the
// curve of their keys as explicit parameters (an ECParameters SEQUENCE in
// the SubjectPublicKeyInfo) rather than a named-curve OID. crypto/elliptic
// only implements the NIST curves, whose coefficient a is −3, and
// crypto/x509 refuses explicit parameters; brainpool curves have a general
// a. This package supplies:
//
//   - Curve: the domain parameters (p, a, b, G, n, h), with Validate, which
//     checks that hostile explicit parameters describe a usable prime-order
//     group (p and n probable primes, non-singular curve, G on the curve,
//     n·G = O, Hasse bound), cached per parameter set;
//   - the named curves P-224, P-256, P-384, P-521 and brainpoolP192r1 to
//     brainpoolP512r1 (RFC 5639), with their OIDs, and MatchNamed, which
//     maps explicit parameters that copy a named curve onto it;
//   - ParseECParameters (RFC 3279 section 2.3.5, SEC 1 section C.2) and
//     ParsePoint (SEC 1 section 2.3.4, compressed and uncompressed);
//   - Verify, VerifyASN1 and VerifyPlain: ECDSA verification (SEC 1
//     section 4.1.4) with Jacobian coordinates and Shamir's trick on
//     math/big.
//
// Callers should prefer crypto/ecdsa for the NIST curves (Curve.Stdlib
// returns the matching crypto/elliptic curve); the generic code is
// cross-checked against crypto/ecdsa on P-256 in the tests, and checked
// against Wycheproof vectors for the brainpool curves.
//
// The arithmetic is not constant time: it only handles public data
// (verification keys, signatures, parameters), so nothing secret leaks.
package ecc
