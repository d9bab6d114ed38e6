package pki

import "encoding/asn1"

// Object identifiers of the algorithms and extensions this package
// understands.
var (
	// Digests (RFC 5754 section 2, RFC 3279 section 2.1; GM/T 0006 for SM3).
	OIDSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	OIDSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	OIDSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	OIDSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	OIDSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	OIDSM3    = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}

	// RSA (RFC 8017 appendix C, RFC 4055).
	OIDRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	OIDSHA1WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	OIDSHA224WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	OIDSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	OIDSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	OIDSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	OIDRSASSAPSS       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	OIDMGF1            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	OIDECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	OIDECDSAWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	OIDECDSAWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	OIDECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	OIDECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	OIDECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}

	// Plain (r‖s) ECDSA signatures of BSI TR-03111 section 5.2.1, used by
	// some German document signers: ecdsa-plain-signatures 0.4.0.127.0.7.1.1.4.1.
	OIDECDSAPlainSHA1   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 1}
	OIDECDSAPlainSHA224 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 2}
	OIDECDSAPlainSHA256 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}
	OIDECDSAPlainSHA384 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 4}
	OIDECDSAPlainSHA512 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 5}

	// SM2 (GM/T 0006-2012): the SM2 curve, and SM2 signature with SM3.
	OIDSM2Curve   = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
	OIDSM2WithSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	OIDSM2Sign    = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 1}

	// Certificate and CRL extensions (RFC 5280 section 4.2).
	OIDExtSubjectKeyID          = asn1.ObjectIdentifier{2, 5, 29, 14}
	OIDExtKeyUsage              = asn1.ObjectIdentifier{2, 5, 29, 15}
	OIDExtPrivateKeyUsagePeriod = asn1.ObjectIdentifier{2, 5, 29, 16}
	OIDExtBasicConstraints      = asn1.ObjectIdentifier{2, 5, 29, 19}
	OIDExtAuthorityKeyID        = asn1.ObjectIdentifier{2, 5, 29, 35}
)
