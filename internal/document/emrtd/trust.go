package emrtd

import (
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// TrustStore holds the CSCA certificates (and link certificates) that
// document signers must chain to, and the CSCAs' CRLs. Build it with
// LoadTrustDir, or NewTrustStore and the Add methods. A TrustStore is safe
// for concurrent use once built; the Add methods must not run concurrently
// with verification.
type TrustStore struct {
	anchors []*Anchor
	byName  map[string][]*Anchor // pki.Name.Key() of the subject
	byKeyID map[string][]*Anchor // hex subject key identifier
	seen    map[[32]byte]*Anchor
	crls    []*crlRecord
	report  TrustReport
}

// Anchor is a trusted CSCA or link certificate.
type Anchor struct {
	Certificate *pki.Certificate
	// Country is the subject's countryName, upper case.
	Country string
	// Source names where the certificate came from: a file name, or
	// "<master list file> (master list)".
	Source string
	// Root reports that the certificate was trusted directly (a certificate
	// file), not through a master list: only roots may vouch for master
	// list signers.
	Root bool
}

type crlRecord struct {
	crl    *pki.CRL
	issuer *Anchor
	source string
}

// TrustReport says what a trust store holds and what was left out.
type TrustReport struct {
	// CSCAs counts the distinct trusted certificates.
	CSCAs int `json:"cscas"`
	// ByCountry counts them per issuing country (ISO 3166 alpha-2 from the
	// subject; "??" when absent).
	ByCountry map[string]int `json:"by_country"`
	// CRLs counts the loaded CRLs, RevokedSerials the serials they list.
	CRLs           int            `json:"crls"`
	RevokedSerials int            `json:"revoked_serials"`
	Sources        []SourceReport `json:"sources"`
	// Skipped lists every item not loaded, with the reason.
	Skipped []SkippedItem `json:"skipped,omitempty"`
}

// SourceReport describes one loaded file.
type SourceReport struct {
	File string `json:"file"`
	// Kind is "certificate", "master list" or "crl".
	Kind string `json:"kind"`
	// Added counts new certificates; Duplicates those already trusted;
	// Skipped those left out (see TrustReport.Skipped).
	Added      int `json:"added"`
	Duplicates int `json:"duplicates,omitempty"`
	Skipped    int `json:"skipped,omitempty"`
	// Signer is a master list's or CRL's signer, and SignedBy the root
	// that vouched for it.
	Signer   string    `json:"signer,omitempty"`
	SignedBy string    `json:"signed_by,omitempty"`
	SignedAt time.Time `json:"signed_at,omitzero"`
}

// SkippedItem is a file or master-list entry that was not loaded.
type SkippedItem struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// NewTrustStore returns an empty trust store.
func NewTrustStore() *TrustStore {
	return &TrustStore{
		byName:  map[string][]*Anchor{},
		byKeyID: map[string][]*Anchor{},
		seen:    map[[32]byte]*Anchor{},
		report:  TrustReport{ByCountry: map[string]int{}},
	}
}

// Report returns what the store holds and what was skipped.
func (s *TrustStore) Report() TrustReport {
	r := s.report
	r.ByCountry = make(map[string]int, len(s.report.ByCountry))
	for k, v := range s.report.ByCountry {
		r.ByCountry[k] = v
	}
	r.Sources = append([]SourceReport(nil), s.report.Sources...)
	r.Skipped = append([]SkippedItem(nil), s.report.Skipped...)
	return r
}

// Anchors returns the trusted certificates in the order they were added.
func (s *TrustStore) Anchors() []*Anchor { return append([]*Anchor(nil), s.anchors...) }

// AddCSCA trusts c as a CSCA (or link) certificate. root marks a
// certificate trusted directly rather than through a master list. It
// reports false when the certificate was already trusted.
func (s *TrustStore) AddCSCA(c *pki.Certificate, source string, root bool) (bool, error) {
	if c.PublicKey == nil {
		return false, fmt.Errorf("CSCA %s: %w", c.Subject, c.PublicKeyErr)
	}
	fp := c.Fingerprint()
	if a, ok := s.seen[fp]; ok {
		a.Root = a.Root || root
		return false, nil
	}
	country := c.Subject.Country()
	if country == "" {
		country = "??"
	}
	a := &Anchor{Certificate: c, Country: country, Source: source, Root: root}
	s.anchors = append(s.anchors, a)
	s.seen[fp] = a
	key := c.Subject.Key()
	s.byName[key] = append(s.byName[key], a)
	if len(c.SubjectKeyID) > 0 {
		id := hex.EncodeToString(c.SubjectKeyID)
		s.byKeyID[id] = append(s.byKeyID[id], a)
	}
	s.report.CSCAs++
	s.report.ByCountry[country]++
	return true, nil
}

// AddMasterList verifies a master list and trusts its certificates: its
// CMS signature must verify with the signer certificate it carries, and
// that signer must chain to a root CSCA of the store (see AddCSCA) and be
// valid at now. Entries that could not be parsed are skipped and reported.
func (s *TrustStore) AddMasterList(ml *MasterList, source string, now time.Time) error {
	check, err := ml.VerifySignature()
	if err != nil {
		return fmt.Errorf("master list %s: %w", source, err)
	}
	signer := check.Signer
	if !signer.ValidAt(now) {
		return fmt.Errorf("master list %s: %w: signer %s is valid from %s to %s, not at %s", source, ErrSignerExpired,
			signer.Subject, signer.NotBefore.Format(time.RFC3339), signer.NotAfter.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	root, err := s.issuerOf(signer, true)
	if err != nil {
		return fmt.Errorf("master list %s: signer %s: %w", source, signer.Subject, err)
	}
	rep := SourceReport{
		File: source, Kind: "master list",
		Signer: signer.Subject.String(), SignedBy: root.anchor.Certificate.Subject.String(),
		SignedAt: ml.SignedData.Signer.SigningTime,
	}
	for _, sk := range ml.Skipped {
		rep.Skipped++
		s.report.Skipped = append(s.report.Skipped, SkippedItem{
			Source: fmt.Sprintf("%s entry %d", source, sk.Index), Reason: sk.Reason,
		})
	}
	for _, c := range ml.Certificates {
		added, err := s.AddCSCA(c, source+" (master list)", false)
		switch {
		case err != nil:
			rep.Skipped++
			s.report.Skipped = append(s.report.Skipped, SkippedItem{Source: source, Reason: err.Error()})
		case added:
			rep.Added++
		default:
			rep.Duplicates++
		}
	}
	s.report.Sources = append(s.report.Sources, rep)
	return nil
}

// AddCRL verifies a CRL against the trusted CSCA that issued it and
// records its revoked serial numbers, which then apply to the document
// signers of that CSCA.
func (s *TrustStore) AddCRL(crl *pki.CRL, source string) error {
	var candidates []*Anchor
	for _, a := range s.byName[crl.Issuer.Key()] {
		if len(crl.AuthorityKeyID) > 0 && len(a.Certificate.SubjectKeyID) > 0 &&
			hex.EncodeToString(crl.AuthorityKeyID) != hex.EncodeToString(a.Certificate.SubjectKeyID) {
			continue
		}
		candidates = append(candidates, a)
	}
	if len(candidates) == 0 {
		return fmt.Errorf("CRL %s: %w: no trusted CSCA named %s", source, ErrUnknownCSCA, crl.Issuer)
	}
	var lastErr error
	for _, a := range candidates {
		if err := crl.CheckSignatureFrom(a.Certificate); err != nil {
			lastErr = err
			continue
		}
		s.crls = append(s.crls, &crlRecord{crl: crl, issuer: a, source: source})
		s.report.CRLs++
		s.report.RevokedSerials += len(crl.Revoked)
		s.report.Sources = append(s.report.Sources, SourceReport{
			File: source, Kind: "crl", Signer: a.Certificate.Subject.String(), SignedAt: crl.ThisUpdate,
		})
		return nil
	}
	return fmt.Errorf("CRL %s: %w", source, lastErr)
}

// revoked returns a CRL that lists cert, or nil. A CRL applies to the
// certificates of its issuer name: serial numbers are unique per CA name
// (RFC 5280 section 4.1.2.2), and a CSCA that rolled over its key may sign
// CRLs with either key.
func (s *TrustStore) revoked(cert *pki.Certificate) *crlRecord {
	for _, r := range s.crls {
		if r.crl.Issuer.Equal(cert.Issuer) && r.crl.IsRevoked(cert.SerialNumber) {
			return r
		}
	}
	return nil
}

// Countries returns the issuing countries of the trusted CSCAs, sorted.
func (s *TrustStore) Countries() []string {
	var out []string
	for c := range s.report.ByCountry {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
