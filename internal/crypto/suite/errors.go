package suite

import "errors"

var (
	// ErrUnknownSuite is returned by Parse and New for a name that is not a
	// suite.
	ErrUnknownSuite = errors.New("suite: unknown crypto suite")
	// ErrKeyType is returned when a key is not of the suite's algorithm (an
	// SM2 key handed to intl, an RSA key to either, ...).
	ErrKeyType = errors.New("suite: key type does not belong to the suite")
	// ErrInvalidSignature is returned by Verify when the signature does not
	// verify or cannot be parsed.
	ErrInvalidSignature = errors.New("suite: invalid signature")
	// ErrUnknownAuthority is returned by VerifyChain when no chain to a root
	// can be built; a certificate whose signature does not verify falls here.
	ErrUnknownAuthority = errors.New("suite: certificate signed by unknown authority")
	// ErrCertificateExpired is returned by VerifyChain when a certificate of
	// the chain is not valid at the verification time (expired or not yet
	// valid).
	ErrCertificateExpired = errors.New("suite: certificate expired or not yet valid")
	// ErrCertificateInvalid is returned by VerifyChain for every other
	// reason: bad usage, not a CA, path length, name constraints, bad
	// options.
	ErrCertificateInvalid = errors.New("suite: certificate invalid")
)
