// Package pki parses the X.509 objects of travel-document PKIs (ICAO 9303
// part 12) — certificates, CRLs, public keys — and verifies their
// signatures, where crypto/x509 cannot.
//
// Why not crypto/x509: real CSCA and document signer certificates use
// brainpool curves and EC keys with explicit domain parameters (an
// ECParameters SEQUENCE instead of a named-curve OID), both of which
// crypto/x509 refuses, and occasionally encodings that DER forbids (a BER
// BOOLEAN in basicConstraints, PrintableStrings with '@' or '_'). About
// half of the CSCA certificates of the German and Dutch master lists are
// of that kind.
//
// What it does:
//
//   - ParseCertificate: the certificate structure with encoding/asn1 and
//     this package's structs, keeping the raw TBS, issuer and subject
//     bytes; names decoded leniently (Name); the extensions chain building
//     needs (subject and authority key identifiers, basic constraints, key
//     usage, private key usage period). The public key goes through
//     crypto/x509.ParsePKIXPublicKey first and falls back to this package
//     when crypto/x509 refuses it (ParsePublicKey). Tests check that both
//     parsers agree on every real certificate crypto/x509 accepts.
//   - ParsePublicKey: RSA (rsaEncryption and id-RSASSA-PSS keys), EC keys
//     on named NIST and brainpool curves and on explicit parameters (mapped
//     to the named curve they copy, or validated as a new curve by package
//     ecc), and SM2 keys (via github.com/emmansun/gmsm).
//   - ResolveSignatureAlgorithm and VerifySignature: RSA PKCS#1 v1.5,
//     RSASSA-PSS with any RFC 4055 parameters (crypto/rsa when it can
//     express them, else EMSA-PSS here, for a zero salt or an MGF1 hash
//     that differs from the message hash), ECDSA (crypto/ecdsa on NIST
//     curves, package ecc otherwise, DER or plain r‖s), SM2 with SM3.
//   - ParseCRL and CRL.CheckSignatureFrom.
//
// Every error wraps ErrMalformed, ErrUnsupportedAlgorithm or
// ErrSignatureInvalid; package emrtd re-exports them.
package pki
