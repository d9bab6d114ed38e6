package credential

import "errors"

// Errors of the internet certificate, its CA and its revocation services.
// Callers test them with errors.Is; store errors (store.ErrNotFound,
// store.ErrUnavailable, ...) pass through wrapped, next to these.
var (
	// ErrCSR is returned by ParseCSR for a request that is not a well
	// formed PKCS#10 certification request of a supported key.
	ErrCSR = errors.New("credential: invalid certification request")
	// ErrCSRSignature is returned by ParseCSR when the request's signature
	// does not verify: no proof of possession of the device key.
	ErrCSRSignature = errors.New("credential: certification request signature does not verify")
	// ErrCSRNonce is returned by ParseCSR when the request's
	// challengePassword is missing or is not the enrolment's nonce.
	ErrCSRNonce = errors.New("credential: certification request does not carry the enrolment nonce")
	// ErrDeviceKey is returned for a device key of a type the suite does
	// not certify (see ParseCSR).
	ErrDeviceKey = errors.New("credential: unsupported device key")

	// ErrCommitment is returned for an attribute, a commitment or a
	// commitments extension that is malformed.
	ErrCommitment = errors.New("credential: invalid commitment")
	// ErrDisclosure is returned by Commitment.Verify when a disclosed value
	// and salt do not reproduce the commitment.
	ErrDisclosure = errors.New("credential: disclosed value does not match the commitment")

	// ErrInvalidRequest is returned by Issue and Renew for a request the CA
	// refuses as such (bad internet number, validity, ...).
	ErrInvalidRequest = errors.New("credential: invalid issue request")
	// ErrUnknownCA is returned when a CA key id names no active or retiring
	// CA key.
	ErrUnknownCA = errors.New("credential: unknown CA")
	// ErrCAMismatch is returned when the CA certificate stored for a key
	// does not belong to that key: the store was tampered with or mixed up.
	// The CA refuses to publish or use it.
	ErrCAMismatch = errors.New("credential: stored CA certificate does not match the CA key")
	// ErrCAExpiring is returned by Issue when the certificate would outlive
	// the active CA certificate: rotate the CA key.
	ErrCAExpiring = errors.New("credential: certificate would outlive the CA certificate; rotate the CA key")
	// ErrRevoked is returned by Renew when the certificate to renew has
	// been revoked.
	ErrRevoked = errors.New("credential: certificate is revoked")
	// ErrAlreadyRevoked is returned by Revoke when the certificate was
	// revoked before; the first revocation stands.
	ErrAlreadyRevoked = errors.New("credential: certificate already revoked")
	// ErrSameDeviceKey is returned by Renew when the new device key is the
	// one already certified: renewal moves to a new key.
	ErrSameDeviceKey = errors.New("credential: renewal needs a new device key")
	// ErrReason is returned for a revocation reason netid does not use.
	ErrReason = errors.New("credential: unsupported revocation reason")

	// ErrCertificateInvalid is returned by VerifyCertificate for a
	// certificate that is not a valid internet certificate at the given
	// time. The suite's error (suite.ErrUnknownAuthority,
	// suite.ErrCertificateExpired, ...) is wrapped too when it is the cause.
	ErrCertificateInvalid = errors.New("credential: invalid internet certificate")

	// ErrCRL is returned by VerifyCRL for a CRL that does not parse, is not
	// signed by the given CA, or is not current.
	ErrCRL = errors.New("credential: invalid CRL")

	// ErrOCSPRequest is returned by ParseOCSPRequest for a malformed
	// request; OCSPRespond answers such a request with the malformedRequest
	// status.
	ErrOCSPRequest = errors.New("credential: malformed OCSP request")
	// ErrOCSPResponse is returned by ParseOCSPResponse for a response that
	// is malformed, not signed by the expected CA, or not successful.
	ErrOCSPResponse = errors.New("credential: invalid OCSP response")
)
