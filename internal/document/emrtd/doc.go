// Package emrtd reads the chip of an electronic machine-readable travel
// document (ICAO 9303 parts 10 to 12) and performs passive authentication:
// it proves that the data groups read over NFC were written by the issuing
// state and not changed since.
//
// # What it reads
//
//   - BER-TLV (ReadTLV, ParseTLV): ICAO 9303 part 10 section 4.4 tags of up
//     to three bytes, definite lengths of up to four bytes; indefinite
//     lengths, lengths past the end and nesting beyond MaxTLVDepth are
//     refused.
//   - EF.COM (ParseCOM), DG1 (ParseDG1: the MRZ, split into lines by its
//     length 90/72/88), DG2 (ParseDG2: the ISO/IEC 19794-5 facial record,
//     as far as image format, size and bytes).
//   - EF.SOD and EF.CardSecurity (ParseSOD): a CMS SignedData (RFC 5652)
//     over an LDSSecurityObject (data-group hashes) or SecurityInfos (BSI
//     TR-03110). The CMS structures are decoded with encoding/asn1 and the
//     package's own structs; no CMS library handles brainpool, explicit
//     curve parameters and RSASSA-PSS together.
//   - CSCA master lists (ParseMasterList, ICAO 9303 part 12 section 9).
//   - Chip dumps (ChipDump, ParseChipDump): the JSON file shared with the
//     test-document generator.
//
// Certificates, CRLs, keys and signature algorithms live in subpackage
// pki, elliptic-curve arithmetic for brainpool and explicit curves in
// subpackage ecc.
//
// # Passive authentication
//
// VerifySOD checks a security object; VerifyChip a whole chip dump. The
// steps, each with its own error (errors.go):
//
//  1. parse — ErrMalformed;
//  2. the messageDigest signed attribute equals the digest of the signed
//     content — ErrDigestMismatch;
//  3. the SignerInfo signature over the DER signed attributes verifies with
//     the document signer (DS) certificate in the SOD. The bytes verified
//     are those of the file with the [0] IMPLICIT tag replaced by the SET
//     tag, never a re-encoding — ErrSignatureInvalid,
//     ErrUnsupportedAlgorithm;
//  4. a CSCA of the trust store issued the DS certificate — ErrUnknownCSCA
//     when no candidate exists, ErrSignatureInvalid when the CSCA the
//     certificate names by key identifier does not verify it;
//  5. validity — ErrSignerExpired (below);
//  6. revocation: a CRL of the CSCA lists the DS serial — ErrSignerRevoked.
//     Revocation applies whatever the revocation date: whoever holds a
//     compromised key can also write any signing time;
//  7. (VerifyChip) every data group read hashes to the SOD's value and is
//     listed in the SOD — ErrDataGroupHash with a *DataGroupError naming
//     the data group. Data groups listed but not read (DG3 and DG4 need
//     terminal authentication) are reported, not refused; a data group
//     read but not listed is refused, because nothing vouches for it;
//  8. (VerifyChip) DG1 equals the printed MRZ when given — ErrMRZMismatch;
//     the document has not expired — ErrDocumentExpired. An authentic DG2
//     or EF.COM that this package cannot decode is a warning in the
//     report, not a refusal.
//
// Supported signatures: RSA PKCS#1 v1.5 (sha*WithRSAEncryption, and
// rsaEncryption with the SignerInfo digest), RSASSA-PSS with any RFC 4055
// parameters, ECDSA with SHA-1 to SHA-512 (ecdsa-with-SHA*, id-ecPublicKey
// with the SignerInfo digest, and BSI TR-03111 plain r‖s) over the NIST
// curves, brainpoolP192r1 to P512r1 and curves given by explicit
// parameters, and SM2 with SM3 (GB/T 32918, default user identity).
//
// # Which time, which validity model
//
// The DS certificate must be valid at VerifyOptions.At, which defaults to
// the SOD's signingTime attribute when present and to VerifyOptions.Now
// otherwise. A document outlives its signer's short key-usage period; its
// certificate is issued to cover the documents' lifetime (ICAO 9303 part
// 12 section 5), but some are past their validity today although the
// document signed with them is not, and checking at the signing time is
// what the signature was made at.
//
// The CSCA is checked with the chain model: it must have been valid when
// it issued the DS certificate (at the DS certificate's notBefore), not
// necessarily today. RFC 5280 section 6 prescribes the shell model (every
// certificate valid at the validation time), which inspection systems do
// not apply to CSCAs: ICAO's nesting of validity periods (a CSCA
// certificate outlives the DS certificates it issues, which outlive their
// documents) is meant to make both models agree, but real PKIs have CSCA
// certificates that expired while documents they vouch for are still
// valid. OpenSSL's shell-model chain check then rejects genuine passports
// that commercial readers accept (AndyQ/NFCPassportReader issue 64); gmrtd
// (issue 329) also validates at the signing time. The price is that a CSCA
// key compromised after its certificate expired could issue back-dated DS
// certificates; CRLs are the remedy, as for a compromised DS key.
//
// # Trust
//
// LoadTrustDir builds a TrustStore from a directory: certificate files are
// root CSCAs; master lists are loaded only if their own CMS signature
// verifies and their signer chains to a root of the directory and is valid
// at load time; CRLs must be signed by a trusted CSCA. Master-list entries
// that cannot be parsed are skipped and reported (Report), not fatal.
// Candidate CSCAs for a DS certificate are found by issuer name (compared
// as RFC 5280 section 7.1, simplified) and by authority key identifier;
// every candidate is tried, and link certificates are CSCAs like any
// other. A chain is always a trusted CSCA and the DS certificate, with no
// intermediate, so key usage and basic constraints are parsed, not
// enforced: real certificates get them wrong, and no untrusted
// certificate can act as a CA.
package emrtd
