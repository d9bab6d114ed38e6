package biometric

import "errors"

// Errors about samples and templates. Callers test them with errors.Is; the
// returned errors wrap them with a detail that never contains image or
// template bytes.
var (
	// ErrBadSample reports a capture or reference that cannot be used: no
	// image and no template (or both), bytes that do not decode, a declared
	// format that disagrees with the bytes, an image too small, too large or
	// without contrast. It is the resident's or the client's fault (a 4xx).
	ErrBadSample = errors.New("biometric: unusable sample")
	// ErrUnsupportedFormat reports an image format this matcher cannot
	// decode, notably JPEG 2000 portraits with the built-in extractor.
	ErrUnsupportedFormat = errors.New("biometric: unsupported image format")
	// ErrBadTemplate reports a template that is malformed: a bad binary
	// encoding, an absurd dimension, a non-finite or all-zero vector.
	ErrBadTemplate = errors.New("biometric: malformed template")
	// ErrIncompatibleTemplates reports two templates that cannot be compared
	// because different extractors (or extractor versions) produced them.
	ErrIncompatibleTemplates = errors.New("biometric: templates from different extractors")
	// ErrRemote reports a failure of the remote biometric engine: transport,
	// status, or a response that breaks the protocol. A *RemoteError carries
	// the engine's problem details when it sent any.
	ErrRemote = errors.New("biometric: remote engine failed")
)

// Errors of liveness verification, one per reason, so that enrolment can
// tell the resident what to do (take a new selfie, restart the step) and
// the operator can count failures by cause.
var (
	// ErrLivenessMissing reports a capture without a liveness attestation.
	ErrLivenessMissing = errors.New("biometric: no liveness attestation")
	// ErrLivenessSignature reports an attestation that is not a JWS signed
	// with an accepted algorithm by a trusted detector key: unparseable,
	// unknown key id, wrong algorithm for the key, wrong type, or a
	// signature that does not verify.
	ErrLivenessSignature = errors.New("biometric: liveness attestation signature invalid")
	// ErrLivenessMalformed reports an authentic attestation whose claims are
	// missing or malformed.
	ErrLivenessMalformed = errors.New("biometric: liveness attestation malformed")
	// ErrLivenessChallenge reports an attestation for another challenge: a
	// replay from another enrolment, or a stale capture.
	ErrLivenessChallenge = errors.New("biometric: liveness attestation bound to another challenge")
	// ErrLivenessExpired reports an attestation outside its validity: expired,
	// issued in the future, or valid for longer than the verifier allows.
	ErrLivenessExpired = errors.New("biometric: liveness attestation not valid now")
	// ErrLivenessCaptureMismatch reports an attestation about another image
	// than the capture it came with.
	ErrLivenessCaptureMismatch = errors.New("biometric: liveness attestation is about another capture")
	// ErrNotLive reports an authentic, fresh attestation whose score is below
	// the detector's threshold (or below the floor configured for its key):
	// the detector did not find a live person.
	ErrNotLive = errors.New("biometric: capture not attested as live")
)
