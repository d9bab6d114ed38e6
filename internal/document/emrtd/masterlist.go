package emrtd

import (
	"encoding/asn1"
	"fmt"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// MaxMasterListSize bounds the size of a master list file. The German and
// Dutch lists are under 1 MiB; the ICAO one about 1.5 MiB.
const MaxMasterListSize = 16 << 20

// maxMasterListEntries bounds the certificates of one master list.
const maxMasterListEntries = 20000

// MasterList is a CSCA master list (ICAO 9303 part 12 section 9): a CMS
// SignedData with content type id-icao-cscaMasterList over
//
//	CscaMasterList ::= SEQUENCE {
//	    version   CscaMasterListVersion,   -- v0
//	    certList  SET OF Certificate }
type MasterList struct {
	SignedData *SignedData
	Version    int
	// Certificates are the entries that parsed and carry a supported key.
	Certificates []*pki.Certificate
	// Skipped explains the entries left out: real lists contain oddities,
	// and one bad entry must not make the rest unusable.
	Skipped []SkippedEntry
}

// SkippedEntry is a master-list certificate that was not loaded.
type SkippedEntry struct {
	// Index is the entry's position in certList, from 0.
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

type cscaMasterListASN struct {
	Version  int
	CertList []asn1.RawValue `asn1:"set"`
}

// ParseMasterList decodes a CSCA master list. It checks structure only:
// VerifySignature checks the list's own CMS signature, and the trust store
// (AddMasterList) also the signer's chain.
func ParseMasterList(b []byte) (*MasterList, error) {
	if len(b) > MaxMasterListSize {
		return nil, malformed("master list of %d bytes exceeds %d", len(b), MaxMasterListSize)
	}
	sd, err := ParseSignedData(b)
	if err != nil {
		return nil, fmt.Errorf("master list: %w", err)
	}
	if !sd.ContentType.Equal(OIDCscaMasterList) {
		return nil, malformed("master list content type %v, want %v", sd.ContentType, OIDCscaMasterList)
	}
	var v cscaMasterListASN
	if rest, err := asn1.Unmarshal(sd.Content, &v); err != nil || len(rest) != 0 {
		return nil, malformed("CscaMasterList: %v", err)
	}
	if v.Version != 0 {
		return nil, malformed("CscaMasterList version %d", v.Version)
	}
	if len(v.CertList) > maxMasterListEntries {
		return nil, malformed("CscaMasterList holds %d certificates", len(v.CertList))
	}
	ml := &MasterList{SignedData: sd, Version: v.Version}
	for i, raw := range v.CertList {
		c, err := pki.ParseCertificate(raw.FullBytes)
		switch {
		case err != nil:
			ml.Skipped = append(ml.Skipped, SkippedEntry{Index: i, Reason: err.Error()})
		case c.PublicKey == nil:
			ml.Skipped = append(ml.Skipped, SkippedEntry{Index: i, Reason: fmt.Sprintf("%s: %v", c.Subject, c.PublicKeyErr)})
		default:
			ml.Certificates = append(ml.Certificates, c)
		}
	}
	return ml, nil
}

// Signer returns the master-list signer certificate carried in the list.
func (ml *MasterList) Signer() (*pki.Certificate, error) {
	return ml.SignedData.SignerCertificate()
}

// VerifySignature checks the list's CMS signature with its signer's key
// (not the signer's chain).
func (ml *MasterList) VerifySignature() (*SignatureCheck, error) {
	return ml.SignedData.VerifySignature()
}
