// Package testdoc makes synthetic identity documents for tests and
// demonstrations: a TEST document-issuing PKI, eMRTD chip dumps that
// passive authentication accepts, broken variants that it must refuse, each
// for its own reason, and records for the simulated document authority.
//
// Nothing it makes is trusted by anyone until an operator configures it: a
// verifier accepts these chips only when its trust directory holds the TEST
// CSCA (see Issuer.WriteTrust), and the simulated authority answers only
// from the records file it is given. Every certificate name, portrait and
// default person says TEST, so that no synthetic document can be taken for
// a real one.
//
// # The test PKI
//
// NewIssuer creates, for one country and one crypto suite, a country
// signing CA (CSCA) and three document signers (DS) it certifies:
//
//	CSCA  C=<country>, O=netid TEST, CN=netid TEST CSCA <suite>
//	      self-signed, CA, keyCertSign + cRLSign, valid 5 years back to 15 ahead
//	DS    CN=netid TEST Document Signer <suite>             valid now, 3 years
//	DS    CN=netid TEST Document Signer (expired) <suite>   expired a year ago
//	DS    CN=netid TEST Document Signer (revoked) <suite>   listed on the CRL
//
// The intl suite uses ECDSA P-256 with SHA-256 (WithRSAPSS: RSA 2048 with
// RSASSA-PSS, as many real passports do), certificates made with
// crypto/x509. The sm suite uses SM2 with SM3 (certificate signature OID
// 1.2.156.10197.1.501, keys on the SM2 curve 1.2.156.10197.1.301) through
// gmsm's smx509, and SM3 (1.2.156.10197.1.401) as the SOD digest. Save and
// LoadIssuer (or LoadOrNewIssuer) keep an issuer in a directory, PEM
// certificates and PKCS#8 keys of mode 0600, so that a demonstration keeps
// the CSCA its operator configured across restarts. WriteTrust writes the
// CSCA certificate (BASE.pem) and a fresh CRL (BASE.crl, DER) into a trust
// directory in the layout the emrtd verifier loads.
//
// # Chips
//
// Issuer.Issue (or Chip) builds the LDS1 files of a document described by a
// DocumentSpec:
//
//	EF.COM  60 { 5F01 "0107", 5F36 "040000", 5C 61 75 }
//	DG1     61 { 5F1F MRZ }
//	DG2     75 { 7F61 { 02 01, 7F60 { A1 {80 81 87 88}, 5F2E ISO/IEC 19794-5 facial record } } }
//	EF.SOD  77 { CMS ContentInfo: SignedData v3 over an LDSSecurityObject v0 }
//
// The MRZ (function MRZ) follows ICAO 9303 parts 3 to 5: TD3 passports by
// default, TD1 cards as an option, names transliterated and truncated,
// every check digit computed with document.MRZCheckDigit. The SOD is
// written with encoding/asn1: one SignerInfo (sid issuerAndSerialNumber, or
// subjectKeyIdentifier with WithSignerKeyID) whose signed attributes
// contentType, messageDigest and signingTime are sorted as DER requires of
// a SET OF before being signed, and the DS certificate in certificates.
// Portrait draws a cartoon face from a seed (same seed, same JPEG bytes),
// marked as a TEST portrait in its JPEG comment.
//
// # Broken variants
//
// Each Variant breaks one thing, and Variant.Refusal names the emrtd
// sentinel error the verifier must return:
//
//	tampered-dg1      holder's name changed in DG1 after signing       ErrDataGroupHash
//	tampered-dg2      portrait swapped in DG2 after signing            ErrDataGroupHash
//	wrong-signer      DS certified by an untrusted TEST CSCA           ErrUnknownCSCA
//	expired-signer    DS certificate expired before the signing time   ErrSignerExpired
//	revoked-signer    DS serial on the CSCA's CRL (keyCompromise)      ErrSignerRevoked
//	expired-document  MRZ expiry date a month in the past              ErrDocumentExpired
//	mrz-mismatch      printed MRZ has another document number than DG1 ErrMRZMismatch
//	bad-signature     one bit of the SOD signature flipped             ErrSignatureInvalid
//
// The tampered-dg1 forgery keeps the MRZ well formed (names carry no check
// digit) and prints the forged MRZ on the data page too, so only the hash
// betrays it. The revoked signer was revoked a day after its issue, long
// before any signing time, so no reading of revocation time against
// signing time accepts its chips. Every other property of a broken variant
// is that of a valid document.
//
// # Sets
//
// WriteSet writes what `netid testdoc` and the demonstration mode use: a
// trust directory, chips/*.json (valid adult, child of 10 and 16-year-old,
// and every broken variant), their portraits, authority-records.json for
// document.SimulatedAuthority (resident ID card numbers made by
// ResidentIDNumber, plus revoked and expired cards) and manifest.json,
// which lists every chip with its document, printed MRZ, expected verdict
// and the authority queries with the status each must get.
package testdoc
