package resident

import "errors"

// The errors of the resident service. Each message is written for the
// resident (the HTTP layer shows it as the problem's detail, the portal
// on the page); test with errors.Is. Errors of enrol (ErrBadCredentials,
// ErrAccountPending, *enrol.LockedError, *enrol.ThrottledError) and of the
// password hasher (password.ErrBusy) pass through unchanged.
var (
	// ErrUnauthenticated: no session, an unknown or expired one, or the
	// account is no longer active (deleted).
	ErrUnauthenticated = errors.New("you are not signed in, or your session has ended; sign in again")
	// ErrNotFound: no such minor, consent, certificate or lock of yours.
	// Another resident's resources are not found either, rather than
	// forbidden, so that nothing tells they exist.
	ErrNotFound = errors.New("not found among your account's records")
	// ErrInvalidRequest: a malformed request (unknown method, bad serial,
	// bad filter): a client's bug rather than a resident's mistake.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrChallenge: the wallet answered a challenge this service did not
	// issue, or that was used already, or expired.
	ErrChallenge = errors.New("the sign-in challenge is unknown, used or expired; ask for a new one")
	// ErrPresentation: the wallet's presentation does not verify (wrong
	// signature, audience or certificate, or expired); the cause is in the
	// chain.
	ErrPresentation = errors.New("the wallet's signature could not be verified")
	// ErrCertificateRevoked: the wallet signed with a revoked certificate.
	ErrCertificateRevoked = errors.New("this wallet's certificate is revoked; it can no longer sign you in")
	// ErrAlreadyRevoked: revoking a certificate that is revoked already.
	ErrAlreadyRevoked = errors.New("this certificate is revoked already")
	// ErrConfirmation: a deletion without the confirmation (the internet
	// number typed again) or without a fresh proof of who you are (the
	// password, or a new wallet signature).
	ErrConfirmation = errors.New("to delete your account, type your internet number and sign in again (password or wallet)")
)
