package enrol

import (
	"errors"
	"fmt"
	"time"
)

// The errors of enrolment. Each message is written for the resident (the
// HTTP layer may show it as the problem's detail); test with errors.Is.
// Errors of the dependencies (phone, password, document, biometric) stay in
// the chain, so that the HTTP layer can also map them more finely.
var (
	// ErrNotFound: no enrolment with this id and token, or no such
	// account. A wrong token gives this too, so that a guessed id reveals
	// nothing.
	ErrNotFound = errors.New("enrolment not found: it may have expired; start again")
	// ErrExpired: the enrolment's time ran out; its data is deleted.
	ErrExpired = errors.New("this enrolment has expired; please start again")
	// ErrWrongStep is matched by a *WrongStepError.
	ErrWrongStep = errors.New("this step is not the next one of your enrolment")
	// ErrDuplicateIdentity: the identity is enrolled already (one account
	// per identity anchor, for life).
	ErrDuplicateIdentity = errors.New("this identity already has an internet number; log in or recover your account instead")
	// ErrGuardianRequired: a child of 14 or under enrols only through a
	// guardian's application.
	ErrGuardianRequired = errors.New("a child of 14 or under must be enrolled by a guardian, who applies on the child's behalf")
	// ErrNotAGuardian: the applying or approving resident cannot act as
	// guardian (not an active adult, no consent, or not chosen by the
	// minor).
	ErrNotAGuardian = errors.New("this account cannot act as guardian for this minor")
	// ErrGuardianNotAllowed: a guardian application for someone who is not
	// a child of 14 or under.
	ErrGuardianNotAllowed = errors.New("a guardian application is only for a child of 14 or under; older residents enrol in their own name")
	// ErrFaceMismatch: the live face does not match the document portrait.
	ErrFaceMismatch = errors.New("your face did not match the photo in your document; try again in good light, facing the camera")
	// ErrNotLive: the liveness attestation was missing, invalid, stale, for
	// another capture, or said the capture is not of a live person.
	ErrNotLive = errors.New("we could not confirm a live capture; take a new selfie in the app")
	// ErrBadFace: the image cannot be used (undecodable, too small, no
	// contrast).
	ErrBadFace = errors.New("the photo could not be used; take a new selfie facing the camera")
	// ErrTooManyAttempts: too many failed face matches; the enrolment is
	// closed.
	ErrTooManyAttempts = errors.New("too many failed attempts; this enrolment is closed, please start again later")
	// ErrEvidenceRefused wraps the document, chip or authority error that
	// refused the evidence.
	ErrEvidenceRefused = errors.New("your document could not be verified")
	// ErrNoPortrait: a chip read without its portrait (DG2), which
	// enrolment needs to match the face. Returned wrapped in
	// ErrEvidenceRefused.
	ErrNoPortrait = errors.New("the chip's photo (DG2) was not read or could not be decoded; enrolment matches your face against it, so read the chip again")
	// ErrEvidenceUnavailable: the evidence pathway is not configured or the
	// document authority did not answer; try later or another pathway.
	ErrEvidenceUnavailable = errors.New("document verification is unavailable right now; please try again later")
	// ErrWeakPassword wraps the password package's *PolicyError, whose
	// message says what to do.
	ErrWeakPassword = errors.New("choose another password")
	// ErrBadCredentials: wrong internet number or password, or an account
	// that cannot log in. The same for every cause.
	ErrBadCredentials = errors.New("internet number or password incorrect")
	// ErrThrottled is matched by a *ThrottledError.
	ErrThrottled = errors.New("too many attempts; please wait and try again")
	// ErrPhoneCode: the one-time code was wrong, expired, used or never
	// sent; the phone package's error in the chain says which.
	ErrPhoneCode = errors.New("the code is not correct or has expired; request a new code if needed")
	// ErrPhoneInUse: the number is already the login phone of another
	// account.
	ErrPhoneInUse = errors.New("this phone number is already used by another account")
	// ErrInvalidPhone: the number is not a valid mobile number.
	ErrInvalidPhone = errors.New("this is not a valid mobile phone number")
	// ErrPhoneRequired: SkipPhone on an enrolment that needs a phone.
	ErrPhoneRequired = errors.New("a phone number is required for this enrolment")
	// ErrBadCSR: the certification request is malformed, not signed by its
	// key, or not for this enrolment.
	ErrBadCSR = errors.New("the app's key request is not valid; update the app and try again")
	// ErrInvalidRequest: a malformed request (empty fields, unknown kinds):
	// a client's bug rather than a resident's mistake.
	ErrInvalidRequest = errors.New("invalid enrolment request")
	// ErrUnauthorized: an unknown or revoked registrar token.
	ErrUnauthorized = errors.New("registrar not recognised")
	// ErrUpgradeMismatch: the upgrade document does not belong to the
	// account's holder (the birth dates differ).
	ErrUpgradeMismatch = errors.New("this document does not match the account's recorded identity")
	// ErrUpgradeNeedsPortrait: chip evidence for an upgrade whose chip
	// gives no portrait (DG2) to match the live face against.
	ErrUpgradeNeedsPortrait = errors.New("this document's chip gave no photo to match your face against; read the chip again, or use another document with a photo on its chip")
	// ErrNotMinor: ApproveMinor for an account that is not waiting for a
	// guardian.
	ErrNotMinor = errors.New("this account is not waiting for a guardian's approval")
	// ErrRenewChallenge: a certificate renewal whose challenge is missing,
	// malformed, expired or another account's (see RenewChallenge).
	ErrRenewChallenge = errors.New("the renewal challenge is not valid or has expired; ask for a new one")
	// ErrDeviceSignature: the renewal is not signed by the device key of
	// the account's current certificate.
	ErrDeviceSignature = errors.New("the renewal is not signed by this account's current device key")
	// ErrNoCurrentCertificate: the account has no certificate that is
	// neither revoked nor expired, so no device can approve a renewal.
	ErrNoCurrentCertificate = errors.New("this account has no valid certificate to renew; a new certificate without your current device needs your identity verified again, which is not available yet")
	// ErrOldDeviceRequired: a renewal without the current device's
	// signature (a lost device). That path needs identity re-verification,
	// which is not built yet.
	ErrOldDeviceRequired = errors.New("renewing needs your current device; a new certificate without it needs your identity verified again, which is not available yet")
	// ErrSameDeviceKey: the renewal's new key is the current certificate's
	// key.
	ErrSameDeviceKey = errors.New("the new device key is the current one; generate a new key to renew")
)

// WrongStepError says which step an enrolment expects instead of the one
// called. It matches ErrWrongStep.
type WrongStepError struct {
	State    State // where the enrolment stands
	Expected Step  // what it expects next
	Got      Step  // what was called
}

func (e *WrongStepError) Error() string {
	if e.Expected == StepNone {
		return fmt.Sprintf("%v: the enrolment is completed already", ErrWrongStep)
	}
	return fmt.Sprintf("%v: the next step is %q, not %q", ErrWrongStep, e.Expected, e.Got)
}

// Is makes a WrongStepError match ErrWrongStep.
func (e *WrongStepError) Is(target error) bool { return target == ErrWrongStep }

// ThrottledError is returned when a rate limit refuses a request. It
// matches ErrThrottled.
type ThrottledError struct {
	// RetryAfter is how long until a new attempt may succeed: positive.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", ErrThrottled, e.RetryAfter.Round(time.Second))
}

// Is makes a ThrottledError match ErrThrottled.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// RetryAfterSeconds returns RetryAfter rounded up to whole seconds, at
// least 1, for the HTTP Retry-After header.
func (e *ThrottledError) RetryAfterSeconds() int64 {
	s := int64((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}
