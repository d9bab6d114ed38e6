package testdoc

// Variant names a kind of synthetic document: valid, or broken in one way
// that a verifier must refuse for its own reason.
type Variant string

// The variants. Each broken one is refused by passive authentication or
// the document checks for exactly one reason, named in its Refusal.
const (
	VariantValid           Variant = "valid"
	VariantTamperedDG1     Variant = "tampered-dg1"     // name changed in DG1 after signing
	VariantTamperedDG2     Variant = "tampered-dg2"     // portrait swapped in DG2 after signing
	VariantWrongSigner     Variant = "wrong-signer"     // signer certified by an untrusted CSCA
	VariantExpiredSigner   Variant = "expired-signer"   // signer certificate expired before signing
	VariantRevokedSigner   Variant = "revoked-signer"   // signer certificate on the CSCA's CRL
	VariantExpiredDocument Variant = "expired-document" // MRZ expiry date in the past
	VariantMRZMismatch     Variant = "mrz-mismatch"     // printed MRZ differs from DG1
	VariantBadSignature    Variant = "bad-signature"    // one bit of the SOD signature flipped
)

// Refusal says why a verifier must refuse a variant: Reason in words, and
// Error, the name of the sentinel error of package emrtd that the refusal
// wraps ("" for VariantValid).
type Refusal struct {
	Reason string `json:"reason"`
	Error  string `json:"error,omitempty"`
}

var variantInfo = map[Variant]Refusal{
	VariantValid:           {Reason: "valid"},
	VariantTamperedDG1:     {"DG1 was changed after signing: its hash does not match the SOD", "ErrDataGroupHash"},
	VariantTamperedDG2:     {"DG2 (the portrait) was replaced after signing: its hash does not match the SOD", "ErrDataGroupHash"},
	VariantWrongSigner:     {"the document signer was certified by a CSCA that is not trusted", "ErrUnknownCSCA"},
	VariantExpiredSigner:   {"the document signer certificate had expired when the SOD was signed", "ErrSignerExpired"},
	VariantRevokedSigner:   {"the document signer certificate is revoked by the CSCA's CRL", "ErrSignerRevoked"},
	VariantExpiredDocument: {"the document's expiry date has passed", "ErrDocumentExpired"},
	VariantMRZMismatch:     {"the printed MRZ does not match DG1", "ErrMRZMismatch"},
	VariantBadSignature:    {"the SOD signature does not verify", "ErrSignatureInvalid"},
}

// Refusal returns why a verifier must refuse the variant; ok is false for
// an unknown variant.
func (v Variant) Refusal() (r Refusal, ok bool) {
	r, ok = variantInfo[v]
	return r, ok
}

// BrokenVariants lists every broken variant, in a fixed order.
func BrokenVariants() []Variant {
	return []Variant{
		VariantTamperedDG1, VariantTamperedDG2, VariantWrongSigner, VariantExpiredSigner,
		VariantRevokedSigner, VariantExpiredDocument, VariantMRZMismatch, VariantBadSignature,
	}
}
