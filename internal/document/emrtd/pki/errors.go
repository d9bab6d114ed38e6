package pki

import "errors"

// Sentinel errors. Package emrtd re-exports them under the same names, so
// errors.Is works across both packages.
var (
	// ErrMalformed means a certificate, CRL, key or signature is not valid
	// DER of the expected structure.
	ErrMalformed = errors.New("malformed")
	// ErrUnsupportedAlgorithm means a signature, digest or key algorithm
	// (or curve) is not one this package implements.
	ErrUnsupportedAlgorithm = errors.New("unsupported algorithm")
	// ErrSignatureInvalid means a signature does not verify.
	ErrSignatureInvalid = errors.New("signature invalid")
)
