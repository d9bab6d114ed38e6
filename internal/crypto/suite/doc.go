// Package suite implements netid's two crypto suites behind one interface.
//
// A suite is a coherent set of algorithms that the operator picks once, in
// configuration (Parse, New):
//
//	            intl                         sm
//	signature   ECDSA P-256 + SHA-256        SM2 + SM3, user ID "1234567812345678"
//	hash        SHA-256                      SM3 (GB/T 32905-2016)
//	keyed hash  HMAC-SHA-256 (RFC 2104)      HMAC-SM3 (GM/T 0042-2015)
//	AEAD        AES-256-GCM                  SM4-GCM (GB/T 32907-2016, RFC 8998)
//	X.509       ecdsa-with-SHA256            SM2-with-SM3 (GM/T 0015-2012)
//
// sm is the suite of the state commercial algorithms that Article 13 of the
// Measures points to; intl is what the rest of the world verifies. The suite
// governs certificates, blind indexes and encryption at rest. It does not
// govern OIDC tokens, which are always ES256 so that every OIDC library
// verifies them: package keystore makes the token-signing key an ECDSA P-256
// key whatever the suite.
//
// # Design
//
// There are exactly two suites, so New is an explicit switch, not a
// registry. Implementations are stateless values.
//
// Signing goes through crypto.Signer. A signer handed to Sign or
// CreateCertificate may be a software key, a PKCS#11 object or a cloud KMS
// key: the package only calls Public, Sign and (through crypto.SignMessage)
// SignMessage, and never type-asserts it to a concrete private key. Only
// MarshalPrivateKey does, because exporting is by nature about the concrete
// software key. For SM2, the signer receives the whole message with gmsm's
// *sm2.SM2SignerOption (whose HashFunc is 0) and computes Z_A and SM3 itself;
// this is the convention of github.com/emmansun/gmsm and of its smx509, and
// an SM2 hardware signer must follow it.
//
// Signatures are whole-message (the suite hashes) and ASN.1 DER
// SEQUENCE{r, s} in both suites.
//
// Certificates cross the API as *x509.Certificate in both suites, so that
// callers (the CA in package credential, the wallet, relying-party
// verification) have one type to hold, store and inspect. crypto/x509 cannot
// parse or verify SM2-with-SM3 certificates, so the sm suite parses with
// gmsm's smx509 and copies every field into an *x509.Certificate (the
// signature algorithm shows as x509.UnknownSignatureAlgorithm, the public key
// is an *ecdsa.PublicKey on the SM2 curve). Consequently the signature
// checking methods of x509.Certificate must not be used on sm certificates:
// Suite.VerifyChain is the one way to verify, in both suites, and it takes
// its trust anchors, time and usages explicitly (VerifyOptions), never from
// the system or the wall clock. The alternative, a wrapper type of our own,
// would have forced every caller to learn a second certificate API for a
// difference that only matters inside this package.
//
// Verification errors wrap ErrUnknownAuthority, ErrCertificateExpired or
// ErrCertificateInvalid (and the library's own error, for errors.As), so that
// callers can map them to problem types without knowing the suite.
//
// # Known-answer tests
//
// The tests check each algorithm against published examples: GB/T 32905
// (SM3), GB/T 32907 (SM4, including the 1,000,000-iteration example),
// GM/T 0003.5-2012 / GB/T 32918.5-2017 appendix A (SM2 signature), GM/T
// 0042-2015 appendix D.3 (HMAC-SM3), RFC 8998 appendix A.1 (SM4-GCM), FIPS
// 180-4 (SHA-256), RFC 4231 (HMAC-SHA-256), the GCM specification test cases
// 13-16 (AES-256-GCM) and RFC 6979 appendix A.2.5 (ECDSA P-256).
package suite
