package emrtd

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// VerifyOptions parameterise passive authentication.
type VerifyOptions struct {
	// At is the time at which the document signer certificate must be
	// valid. Zero means the SOD's signing time (the signingTime signed
	// attribute) when the SOD has one, else Now: a document stays valid
	// after its signer certificate's short key-usage period, and some
	// signer certificates are past their validity today although the
	// documents they signed are not.
	At time.Time
	// Now is the present: the document's expiry is judged against it, and
	// it is At's fallback. Zero means time.Now().
	Now time.Time
	// PrintedMRZ is the MRZ read from the document's data page (OCR or
	// typed), lines separated by newlines. When set, VerifyChip refuses a
	// chip whose DG1 differs (ErrMRZMismatch).
	PrintedMRZ string
}

func (o VerifyOptions) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// SODReport is the outcome of a successful VerifySOD, shaped for JSON
// output ("netid document verify-sod").
type SODReport struct {
	// ContentType is "LDSSecurityObject" (EF.SOD) or "SecurityInfos"
	// (EF.CardSecurity).
	ContentType string `json:"content_type"`
	// Country is the issuing country of the CSCA (ISO 3166 alpha-2).
	Country        string          `json:"country"`
	DocumentSigner CertificateInfo `json:"document_signer"`
	CSCA           CertificateInfo `json:"csca"`
	// CSCASource is the trust file the CSCA came from.
	CSCASource string `json:"csca_source"`
	// SignatureAlgorithm is the SOD's signature, e.g. "ECDSA with
	// SHA-256"; CertificateSignatureAlgorithm the CSCA's signature on the
	// document signer certificate.
	SignatureAlgorithm            string `json:"signature_algorithm"`
	CertificateSignatureAlgorithm string `json:"certificate_signature_algorithm"`
	// DigestAlgorithm is the CMS digest of the signed content.
	DigestAlgorithm string `json:"digest_algorithm"`
	// SigningTime is the signingTime signed attribute, when present.
	SigningTime time.Time `json:"signing_time,omitzero"`
	// VerifiedAt is the time the certificates were checked at (see
	// VerifyOptions.At).
	VerifiedAt time.Time `json:"verified_at"`
	// LDSVersion and UnicodeVersion come from a version 1
	// LDSSecurityObject.
	LDSVersion     string `json:"lds_version,omitempty"`
	UnicodeVersion string `json:"unicode_version,omitempty"`
	// DataGroupHashAlgorithm and DataGroupHashes are the signed data group
	// hashes of an LDSSecurityObject (hex), by ascending data group.
	DataGroupHashAlgorithm string          `json:"data_group_hash_algorithm,omitempty"`
	DataGroupHashes        []DataGroupHash `json:"data_group_hashes,omitempty"`
	// SecurityInfos lists the protocols of EF.CardSecurity.
	SecurityInfos []SecurityInfoReport `json:"security_infos,omitempty"`
}

// CertificateInfo summarises a certificate for a report.
type CertificateInfo struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	// Serial is the serial number in upper-case hexadecimal.
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Key describes the public key, e.g. "EC brainpoolP256r1 (explicit
	// parameters)".
	Key string `json:"key"`
}

// DataGroupHash is one signed data group hash.
type DataGroupHash struct {
	DataGroup int    `json:"dg"`
	Hash      string `json:"hash"`
}

// SecurityInfoReport is one entry of EF.CardSecurity.
type SecurityInfoReport struct {
	Protocol string `json:"protocol"`
	Name     string `json:"name,omitempty"`
}

func certificateInfo(c *pki.Certificate) CertificateInfo {
	info := CertificateInfo{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		Serial:    fmt.Sprintf("%X", c.SerialNumber),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
	}
	if c.PublicKey != nil {
		info.Key = c.PublicKey.Describe()
	}
	return info
}

// VerifySOD performs passive authentication of a security object (ICAO
// 9303 part 11 section 5.1, steps 1 to 3; BSI TR-03110 for
// EF.CardSecurity) without the data groups:
//
//  1. parse EF.SOD (0x77 around a CMS SignedData over an
//     LDSSecurityObject) or EF.CardSecurity (a SignedData over
//     SecurityInfos) — ErrMalformed;
//  2. the signed messageDigest attribute equals the digest of the content
//     — ErrDigestMismatch;
//  3. the SignerInfo's signature verifies with the document signer
//     certificate carried in the SOD — ErrSignatureInvalid,
//     ErrUnsupportedAlgorithm;
//  4. a trusted CSCA issued the document signer certificate (its signature
//     verifies with the CSCA's key, and the CSCA was valid when the
//     document signer certificate was issued) — ErrUnknownCSCA,
//     ErrSignatureInvalid, ErrSignerExpired;
//  5. the document signer certificate is valid at opts.At (default: the
//     SOD's signing time, else opts.Now) — ErrSignerExpired;
//  6. no CRL of the CSCA lists it — ErrSignerRevoked.
func VerifySOD(sod []byte, trust *TrustStore, opts VerifyOptions) (*SODReport, error) {
	_, report, err := verifySOD(sod, trust, opts)
	return report, err
}

func verifySOD(b []byte, trust *TrustStore, opts VerifyOptions) (*SOD, *SODReport, error) {
	if trust == nil {
		trust = NewTrustStore()
	}
	sod, err := ParseSOD(b)
	if err != nil {
		return nil, nil, err
	}
	check, err := sod.SignedData.VerifySignature()
	if err != nil {
		return nil, nil, fmt.Errorf("security object: %w", err)
	}
	signer := sod.SignedData.Signer
	at := opts.At
	if at.IsZero() {
		at = signer.SigningTime
	}
	if at.IsZero() {
		at = opts.now()
	}
	match, err := trust.verifyDocumentSigner(check.Signer, at)
	if err != nil {
		return nil, nil, fmt.Errorf("document signer %s: %w", check.Signer.Subject, err)
	}
	csca := match.anchor
	report := &SODReport{
		Country:                       csca.Country,
		DocumentSigner:                certificateInfo(check.Signer),
		CSCA:                          certificateInfo(csca.Certificate),
		CSCASource:                    csca.Source,
		SignatureAlgorithm:            check.Algorithm.String(),
		CertificateSignatureAlgorithm: match.algorithm.String(),
		DigestAlgorithm:               check.Digest.Name,
		SigningTime:                   signer.SigningTime,
		VerifiedAt:                    at.UTC(),
	}
	if lds := sod.LDS; lds != nil {
		report.ContentType = "LDSSecurityObject"
		report.LDSVersion, report.UnicodeVersion = lds.LDSVersion, lds.UnicodeVersion
		report.DataGroupHashAlgorithm = lds.HashAlgorithm.Name
		for _, n := range lds.DataGroups() {
			report.DataGroupHashes = append(report.DataGroupHashes, DataGroupHash{DataGroup: n, Hash: hex.EncodeToString(lds.Hashes[n])})
		}
	} else {
		report.ContentType = "SecurityInfos"
		for _, si := range sod.SecurityInfos {
			report.SecurityInfos = append(report.SecurityInfos, SecurityInfoReport{Protocol: si.Protocol.String(), Name: si.Name})
		}
	}
	return sod, report, nil
}

// checkDataGroups compares the data groups of a chip dump with the hashes
// of the LDS security object: every data group present must be listed and
// hash to the listed value (ErrDataGroupHash, detail in *DataGroupError).
// Data groups listed but absent from the dump are reported as not read:
// readers cannot read the EAC-protected DG3 and DG4 without terminal
// authentication, and may skip others; what was not read is not used.
func checkDataGroups(dump ChipDump, lds *LDSSecurityObject) ([]DataGroupStatus, error) {
	var out []DataGroupStatus
	for n := 1; n <= 16; n++ {
		data, present := dump.Files[fmt.Sprintf("DG%d", n)]
		want, listed := lds.Hashes[n]
		switch {
		case present && !listed:
			return nil, fmt.Errorf("chip: %w", &DataGroupError{DataGroup: n, Reason: "present on the chip but not listed in the SOD"})
		case present:
			if got := lds.HashAlgorithm.Sum(data); !bytes.Equal(got, want) {
				return nil, fmt.Errorf("chip: %w", &DataGroupError{DataGroup: n,
					Reason: fmt.Sprintf("%s is %X, the SOD lists %X", lds.HashAlgorithm, got, want)})
			}
			out = append(out, DataGroupStatus{DataGroup: n, Read: true, Verified: true})
		case listed:
			out = append(out, DataGroupStatus{DataGroup: n})
		}
	}
	return out, nil
}

// DataGroupStatus says whether a data group listed in the SOD was read
// from the chip and matched its hash.
type DataGroupStatus struct {
	DataGroup int  `json:"dg"`
	Read      bool `json:"read"`
	Verified  bool `json:"verified"`
}
