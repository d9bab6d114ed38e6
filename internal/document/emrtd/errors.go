package emrtd

import (
	"errors"
	"fmt"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// Sentinel errors. Every error of this package wraps exactly one of them
// (through fmt.Errorf's %w, with the detail in the message), so that
// callers can branch with errors.Is and map each to its own problem type.
var (
	// ErrMalformed means a file is not what it claims to be: bad TLV or
	// DER, a missing field, a value out of range. The message says what.
	ErrMalformed = pki.ErrMalformed
	// ErrUnsupportedAlgorithm means a digest, signature or key algorithm
	// (or curve) this package does not implement.
	ErrUnsupportedAlgorithm = pki.ErrUnsupportedAlgorithm
	// ErrSignatureInvalid means a signature does not verify: the SOD's
	// signature by the document signer, the document signer certificate's
	// signature by its CSCA, or a master list's or CRL's signature.
	ErrSignatureInvalid = pki.ErrSignatureInvalid
	// ErrDigestMismatch means the messageDigest signed attribute differs
	// from the digest of the signed content (RFC 5652 section 5.4).
	ErrDigestMismatch = errors.New("signed content digest mismatch")
	// ErrDataGroupHash means a data group read from the chip does not hash
	// to the value in the SOD, or is not listed there. Use errors.As with
	// *DataGroupError to learn which data group.
	ErrDataGroupHash = errors.New("data group hash mismatch")
	// ErrUnknownCSCA means no trusted CSCA certificate issued the document
	// signer certificate.
	ErrUnknownCSCA = errors.New("unknown CSCA")
	// ErrSignerExpired means the document signer certificate is expired or
	// not yet valid at the verification time, or its CSCA was not valid
	// when it was issued.
	ErrSignerExpired = errors.New("document signer certificate outside its validity period")
	// ErrSignerRevoked means a CRL of the issuing CSCA lists the document
	// signer certificate.
	ErrSignerRevoked = errors.New("document signer certificate revoked")
	// ErrDocumentExpired means the document's expiry date (DG1) has passed.
	ErrDocumentExpired = errors.New("document expired")
	// ErrMRZMismatch means the MRZ stored in DG1 differs from the MRZ
	// printed on the document.
	ErrMRZMismatch = errors.New("chip MRZ differs from printed MRZ")
)

// DataGroupError is the detail of an ErrDataGroupHash.
type DataGroupError struct {
	// DataGroup is the data group number, 1 to 16.
	DataGroup int
	// Reason says what is wrong, e.g. "hash does not match the SOD".
	Reason string
}

// Error returns, e.g., "DG2: hash does not match the SOD".
func (e *DataGroupError) Error() string {
	return fmt.Sprintf("DG%d: %s", e.DataGroup, e.Reason)
}

// Unwrap returns ErrDataGroupHash.
func (e *DataGroupError) Unwrap() error { return ErrDataGroupHash }

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
