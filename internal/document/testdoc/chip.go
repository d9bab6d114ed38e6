package testdoc

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
)

// Document is one issued synthetic document: what its chip holds and what
// its data page shows.
type Document struct {
	// Spec is the document as signed, with defaults filled in. For the
	// expired-document variant its expiry is the past date actually used.
	Spec DocumentSpec
	// PrintedMRZ is the MRZ on the data page, lines separated by "\n". It
	// equals the MRZ in DG1 except in the mrz-mismatch variant; in the
	// tampered-dg1 variant both show the forged name.
	PrintedMRZ string
	Chip       emrtd.ChipDump
	// Portrait is the JPEG in DG2 (the swapped one in tampered-dg2).
	Portrait []byte
	Variant  Variant
	// SigningTime is the signingTime signed attribute of the SOD.
	SigningTime time.Time
}

// ChipOption configures Issue and Chip.
type ChipOption func(*chipConfig)

type chipConfig struct {
	variant     Variant
	useSKI      bool
	signingTime time.Time
}

// WithVariant makes the document one of the broken variants (or
// VariantValid, the default).
func WithVariant(v Variant) ChipOption { return func(c *chipConfig) { c.variant = v } }

// TamperedGroup changes data group 1 (the holder's name in the MRZ) or 2
// (the portrait) after signing; any other number is refused by Issue.
func TamperedGroup(dg int) ChipOption {
	return WithVariant(map[int]Variant{1: VariantTamperedDG1, 2: VariantTamperedDG2}[dg])
}

// WrongSigner signs with a document signer of another, untrusted TEST CSCA.
func WrongSigner() ChipOption { return WithVariant(VariantWrongSigner) }

// ExpiredSigner signs with the document signer whose certificate expired a
// year ago.
func ExpiredSigner() ChipOption { return WithVariant(VariantExpiredSigner) }

// RevokedSigner signs with the document signer that the CSCA's CRL revokes.
func RevokedSigner() ChipOption { return WithVariant(VariantRevokedSigner) }

// ExpiredDocument replaces the expiry date by a date a month in the past.
func ExpiredDocument() ChipOption { return WithVariant(VariantExpiredDocument) }

// MRZMismatch prints a data page whose MRZ has another document number
// than DG1. The chip itself is valid.
func MRZMismatch() ChipOption { return WithVariant(VariantMRZMismatch) }

// BadSignature flips one bit of the SOD signature.
func BadSignature() ChipOption { return WithVariant(VariantBadSignature) }

// WithSignerKeyID identifies the document signer in the SignerInfo by its
// subject key identifier (SignerInfo version 3) instead of issuer and
// serial number (version 1). Both occur in real documents.
func WithSignerKeyID() ChipOption { return func(c *chipConfig) { c.useSKI = true } }

// WithSigningTime sets the signingTime signed attribute; the default is the
// issuer's clock.
func WithSigningTime(t time.Time) ChipOption { return func(c *chipConfig) { c.signingTime = t } }

// Chip is Issue returning only the chip dump.
func (iss *Issuer) Chip(spec DocumentSpec, portrait []byte, opts ...ChipOption) (emrtd.ChipDump, error) {
	d, err := iss.Issue(spec, portrait, opts...)
	if err != nil {
		return emrtd.ChipDump{}, err
	}
	return d.Chip, nil
}

// Issue produces the chip of a document: EF.COM, DG1 with the MRZ of spec,
// DG2 with portrait (a JPEG) as an ISO/IEC 19794-5 facial record, and
// EF.SOD signed by the issuer's document signer, then breaks it as the
// chosen variant says. An empty spec.IssuingState becomes the issuer's.
func (iss *Issuer) Issue(spec DocumentSpec, portrait []byte, opts ...ChipOption) (*Document, error) {
	cfg := chipConfig{variant: VariantValid, signingTime: iss.now()}
	for _, o := range opts {
		o(&cfg)
	}
	if _, ok := variantInfo[cfg.variant]; !ok {
		return nil, fmt.Errorf("%w: variant %q", ErrSpec, cfg.variant)
	}
	if spec.IssuingState == "" {
		spec.IssuingState = iss.issuingState
	}
	spec = spec.normalized()
	if cfg.variant == VariantExpiredDocument {
		spec.Expiry = document.NewDate(iss.now().AddDate(0, -1, 0))
	}
	lines, err := mrzLines(spec)
	if err != nil {
		return nil, err
	}
	dg2File, err := dg2(portrait, spec.Sex)
	if err != nil {
		return nil, fmt.Errorf("testdoc: DG2: %w", err)
	}
	groups := map[int][]byte{1: dg1(lines), 2: dg2File}

	signer := iss.ds
	switch cfg.variant {
	case VariantExpiredSigner:
		signer = iss.expired
	case VariantRevokedSigner:
		signer = iss.revoked
	case VariantWrongSigner:
		rogue, err := iss.untrusted()
		if err != nil {
			return nil, err
		}
		signer = rogue.ds
	}
	sod, err := iss.buildSOD(sodInput{
		groups: groups, signer: signer, signingTime: cfg.signingTime,
		useSKI: cfg.useSKI, flipBit: cfg.variant == VariantBadSignature,
	})
	if err != nil {
		return nil, fmt.Errorf("testdoc: SOD: %w", err)
	}

	doc := &Document{Spec: spec, PrintedMRZ: strings.Join(lines, "\n"), Portrait: portrait,
		Variant: cfg.variant, SigningTime: cfg.signingTime.UTC().Truncate(time.Second)}
	switch cfg.variant {
	case VariantTamperedDG1:
		lines = forgeName(lines, spec.Format)
		groups[1] = dg1(lines)
		doc.PrintedMRZ = strings.Join(lines, "\n")
	case VariantTamperedDG2:
		doc.Portrait, err = otherPortrait(portrait)
		if err != nil {
			return nil, err
		}
		if groups[2], err = dg2(doc.Portrait, spec.Sex); err != nil {
			return nil, fmt.Errorf("testdoc: DG2: %w", err)
		}
	case VariantMRZMismatch:
		printed := spec
		printed.DocumentNumber = otherNumber(spec.DocumentNumber)
		if doc.PrintedMRZ, err = MRZ(printed); err != nil {
			return nil, err
		}
	}
	doc.Chip = emrtd.ChipDump{Files: map[string][]byte{
		"COM": efCOM(tagDG1, tagDG2),
		"DG1": groups[1],
		"DG2": groups[2],
		"SOD": sod,
	}}
	return doc, nil
}

// untrusted returns the issuer of the wrong-signer variant, created on
// first use: a TEST CSCA of the same suite, algorithm and country that no
// trust directory holds, so that the variant differs only in its CSCA.
func (iss *Issuer) untrusted() (*Issuer, error) {
	iss.rogueMu.Lock()
	defer iss.rogueMu.Unlock()
	if iss.rogue == nil {
		alg := func(c *issuerConfig) { c.rsaPSS = iss.rsaPSS }
		rogue, err := NewIssuer(iss.suite, iss.country, WithClock(iss.now), withLabel("UNTRUSTED"), alg)
		if err != nil {
			return nil, fmt.Errorf("testdoc: untrusted issuer: %w", err)
		}
		iss.rogue = rogue
	}
	return iss.rogue, nil
}

// forgeName changes the first letter of the primary identifier, as a forger
// changing the holder's name would. Names carry no check digit, so the
// forged MRZ is still well formed and only the data-group hash betrays it.
func forgeName(lines []string, f document.Format) []string {
	out := append([]string(nil), lines...)
	line, col := 0, 5 // TD3: the name starts at column 6 of line 1
	if f == document.TD1 {
		line, col = 2, 0
	}
	b := []byte(out[line])
	if b[col] == 'Z' {
		b[col] = 'A'
	} else {
		b[col]++
	}
	out[line] = string(b)
	return out
}

// otherPortrait returns a synthetic portrait different from p: a photo
// substitution.
func otherPortrait(p []byte) ([]byte, error) {
	for seed := uint64(0xF0F0); ; seed++ {
		q, err := Portrait(seed)
		if err != nil || !bytes.Equal(p, q) {
			return q, err
		}
	}
}

// otherNumber changes the last character of a document number (digit to
// the next digit, letter to the next letter), keeping it valid.
func otherNumber(n string) string {
	b := []byte(n)
	i := len(b) - 1
	switch c := b[i]; {
	case c == '9':
		b[i] = '0'
	case c == 'Z':
		b[i] = 'A'
	default:
		b[i]++
	}
	return string(b)
}
