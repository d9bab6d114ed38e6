package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
)

// busyRetryAfter is the Retry-After, in seconds, of a password.ErrBusy:
// about password.DefaultMaxWait, the time a queued check waits for a slot.
const busyRetryAfter = 2

// enrolmentSentinels maps the enrol package's refusals that need no more
// than their own message, which package enrol writes for the resident.
// Order matters only where one error wraps another; those cases are
// handled before this table (see enrolmentProblem).
var enrolmentSentinels = []struct {
	err    error
	status int
	slug   string
}{
	{enrol.ErrNotFound, http.StatusNotFound, "not-found"},
	{enrol.ErrExpired, http.StatusGone, "enrolment-expired"},
	{enrol.ErrDuplicateIdentity, http.StatusConflict, "duplicate-identity"},
	{enrol.ErrGuardianRequired, http.StatusForbidden, "guardian-required"},
	{enrol.ErrGuardianNotAllowed, http.StatusForbidden, "guardian-not-allowed"},
	{enrol.ErrNotMinor, http.StatusForbidden, "not-minor"},
	{enrol.ErrEvidenceUnavailable, http.StatusServiceUnavailable, "evidence-unavailable"},
	{enrol.ErrPhoneInUse, http.StatusConflict, "phone-in-use"},
	{enrol.ErrPhoneRequired, http.StatusConflict, "phone-required"},
	{enrol.ErrFaceMismatch, http.StatusUnprocessableEntity, "face-mismatch"},
	{enrol.ErrNotLive, http.StatusUnprocessableEntity, "not-live"},
	{enrol.ErrBadFace, http.StatusBadRequest, "bad-face"},
	{enrol.ErrBadCredentials, http.StatusUnauthorized, "bad-credentials"},
	{enrol.ErrAccountPending, http.StatusForbidden, "account-pending"},
	{enrol.ErrAccountLocked, http.StatusForbidden, "account-locked"},
	{enrol.ErrMethodLocked, http.StatusForbidden, "method-locked"},
	{enrol.ErrBadDynamicCode, http.StatusUnauthorized, "bad-dynamic-code"},
	{enrol.ErrDynamicCodeReused, http.StatusUnauthorized, "dynamic-code-reused"},
	{enrol.ErrBadCSR, http.StatusBadRequest, "bad-csr"},
	{enrol.ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{enrol.ErrUpgradeMismatch, http.StatusUnprocessableEntity, "upgrade-mismatch"},
	{enrol.ErrUpgradeNeedsPortrait, http.StatusUnprocessableEntity, "upgrade-needs-portrait"},
	{enrol.ErrRenewChallenge, http.StatusUnprocessableEntity, "renew-challenge"},
	{enrol.ErrDeviceSignature, http.StatusForbidden, "device-signature"},
	{enrol.ErrNoCurrentCertificate, http.StatusConflict, "no-current-certificate"},
	{enrol.ErrOldDeviceRequired, http.StatusUnprocessableEntity, "old-device-required"},
	{enrol.ErrSameDeviceKey, http.StatusUnprocessableEntity, "same-device-key"},
}

// enrolmentProblem maps an error of the enrolment API to the problem the
// client sees and, for a refusal that lifts with time, the Retry-After in
// seconds (0 for none). It returns nil for errors it does not know, which
// WriteError then renders (store conflicts, body size, internal faults).
// The detail is what the resident reads: the enrol package's message, made
// specific where the cause in the chain says more (the document's reason,
// the attempts left, the password policy's advice), never an internal
// cause.
func enrolmentProblem(err error) (*Problem, int64) {
	var throttled *enrol.ThrottledError
	var phoneThrottled *phone.ThrottleError
	var wrongStep *enrol.WrongStepError
	var policy *password.PolicyError
	switch {
	case errors.As(err, &throttled):
		s := throttled.RetryAfterSeconds()
		return NewProblem(http.StatusTooManyRequests, "throttled",
			fmt.Sprintf("%v; try again in %s", enrol.ErrThrottled, seconds(s))), s
	case errors.As(err, &phoneThrottled):
		s := phoneThrottled.RetryAfterSeconds()
		what := "a code was sent recently"
		if errors.Is(err, phone.ErrTooManySends) {
			what = "too many codes were sent to this number"
		}
		return NewProblem(http.StatusTooManyRequests, "throttled",
			fmt.Sprintf("%s; you can ask for a new code in %s", what, seconds(s))), s
	case errors.Is(err, password.ErrBusy):
		return NewProblem(http.StatusServiceUnavailable, "busy",
			"the service is busy; please try again in a few seconds"), busyRetryAfter
	case errors.As(err, &wrongStep):
		detail := fmt.Sprintf("this step is not the next one of your enrolment: the next step is %q", wrongStep.Expected)
		if wrongStep.Expected == enrol.StepNone {
			detail = "this enrolment is completed already; nothing is left to do"
		}
		return NewProblem(http.StatusConflict, "wrong-step", detail), 0
	case errors.Is(err, enrol.ErrTooManyAttempts):
		// Before ErrFaceMismatch: the mismatch that closes the enrolment
		// wraps both.
		return NewProblem(http.StatusTooManyRequests, "too-many-attempts", enrol.ErrTooManyAttempts.Error()), 0
	case errors.Is(err, enrol.ErrWeakPassword):
		detail := enrol.ErrWeakPassword.Error()
		if errors.As(err, &policy) {
			detail = policy.Error()
		}
		return NewProblem(http.StatusUnprocessableEntity, "weak-password", detail), 0
	case errors.Is(err, enrol.ErrEvidenceRefused):
		return NewProblem(http.StatusUnprocessableEntity, "evidence-refused", evidenceDetail(err)), 0
	case errors.Is(err, enrol.ErrPhoneCode):
		return NewProblem(http.StatusUnprocessableEntity, "wrong-code", phoneCodeDetail(err)), 0
	case errors.Is(err, enrol.ErrNotAGuardian):
		// The reasons (no consent, not active, not an adult, approval
		// code) are written for the guardian and quote nothing.
		detail := enrol.ErrNotAGuardian.Error()
		if reason, ok := reasonAfter(err, enrol.ErrNotAGuardian); ok {
			detail += ": " + reason
		}
		return NewProblem(http.StatusForbidden, "not-a-guardian", detail), 0
	case errors.Is(err, enrol.ErrInvalidPhone):
		detail := enrol.ErrInvalidPhone.Error()
		if reason, ok := reasonAfter(err, phone.ErrInvalidNumber); ok {
			detail += ": " + reason
		}
		return NewProblem(http.StatusBadRequest, "invalid-phone", detail), 0
	case errors.Is(err, phone.ErrSendFailed):
		// The resend interval is waived after a failed send: the resident
		// may ask again at once.
		return NewProblem(http.StatusServiceUnavailable, "send-failed",
			"the code could not be sent by SMS; please ask for a new code"), 0
	case errors.Is(err, enrol.ErrInvalidRequest):
		// Package enrol's validation messages are written for the client
		// developer and quote only the request's own values.
		return NewProblem(http.StatusBadRequest, "bad-request", err.Error()), 0
	case errors.Is(err, phone.ErrInvalidRequest):
		return NewProblem(http.StatusBadRequest, "bad-request", "the phone request is not valid: check the locale"), 0
	}
	for _, m := range enrolmentSentinels {
		if errors.Is(err, m.err) {
			return NewProblem(m.status, m.slug, m.err.Error()), 0
		}
	}
	return nil, 0
}

// seconds renders a Retry-After for people.
func seconds(s int64) string {
	if s == 1 {
		return "1 second"
	}
	if s < 120 {
		return strconv.FormatInt(s, 10) + " seconds"
	}
	return strconv.FormatInt((s+59)/60, 10) + " minutes"
}

// evidenceDetail says why the document was refused, from the document,
// chip or authority error in the chain: written for the resident, with
// what they can do. Causes it does not recognise (a transport error of the
// authority, say) are not quoted.
func evidenceDetail(err error) string {
	var refusal *enrol.AuthorityRefusal
	var field *document.FieldError
	reason := ""
	switch {
	case errors.As(err, &refusal):
		reason = refusal.Error()
	case errors.As(err, &field):
		reason = field.Error()
	case errors.Is(err, document.ErrExpired), errors.Is(err, emrtd.ErrDocumentExpired):
		reason = "the document has expired"
	case errors.Is(err, emrtd.ErrMRZMismatch):
		reason = "the data on the chip differs from the printed data page; scan the data page again"
	case errors.Is(err, emrtd.ErrUnknownCSCA):
		reason = "the document was not signed by an issuer netid trusts"
	case errors.Is(err, emrtd.ErrSignerExpired):
		reason = "the certificate that signed the document was not valid when it was signed"
	case errors.Is(err, emrtd.ErrSignerRevoked):
		reason = "the certificate that signed the document has been revoked by its issuer"
	case errors.Is(err, emrtd.ErrSignatureInvalid), errors.Is(err, emrtd.ErrDigestMismatch), errors.Is(err, emrtd.ErrDataGroupHash):
		reason = "the chip's data failed its integrity check; the document may be damaged or altered"
	case errors.Is(err, emrtd.ErrUnsupportedAlgorithm):
		reason = "the document is signed with an algorithm netid does not support yet"
	case errors.Is(err, emrtd.ErrMalformed):
		reason = "the chip's data could not be read; hold the document to the phone and read it again"
	case errors.Is(err, enrol.ErrNoPortrait):
		reason = enrol.ErrNoPortrait.Error()
	case errors.Is(err, document.ErrDocType):
		reason = "this type of document cannot be checked with its issuing authority; read its chip instead"
	}
	if reason == "" {
		return enrol.ErrEvidenceRefused.Error()
	}
	return enrol.ErrEvidenceRefused.Error() + ": " + reason
}

// phoneCodeDetail says why a one-time code was not accepted, with the
// attempts left when the code was merely wrong.
func phoneCodeDetail(err error) string {
	var wrong *phone.WrongCodeError
	switch {
	case errors.As(err, &wrong) && wrong.AttemptsLeft > 0:
		if wrong.AttemptsLeft == 1 {
			return "the code is not correct; 1 attempt left"
		}
		return fmt.Sprintf("the code is not correct; %d attempts left", wrong.AttemptsLeft)
	case errors.As(err, &wrong), errors.Is(err, phone.ErrTooManyAttempts):
		return "the code is not correct and no attempts are left; ask for a new code"
	case errors.Is(err, phone.ErrExpired):
		return "the code has expired; ask for a new code"
	case errors.Is(err, phone.ErrUsed):
		return "this code was used already; ask for a new code"
	case errors.Is(err, phone.ErrNoChallenge):
		return "no code was sent for this enrolment; ask for a code first"
	case errors.Is(err, phone.ErrNumberMismatch):
		return "the code was sent to another number; give the number the code was sent to, or ask for a new code"
	case errors.Is(err, phone.ErrMalformedCode):
		return "the code is the digits of the SMS, nothing else"
	}
	return enrol.ErrPhoneCode.Error()
}

// reasonAfter finds, in err's tree, the error made by wrapping sentinel as
// "<sentinel>: <reason>" and returns the reason.
func reasonAfter(err, sentinel error) (string, bool) {
	prefix := sentinel.Error() + ": "
	var walk func(error) (string, bool)
	walk = func(e error) (string, bool) {
		if e == nil {
			return "", false
		}
		if reason, ok := strings.CutPrefix(e.Error(), prefix); ok {
			return reason, true
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			return walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				if r, ok := walk(inner); ok {
					return r, true
				}
			}
		}
		return "", false
	}
	return walk(err)
}

// writeEnrolmentError renders err: a known refusal as its problem (with
// Retry-After where it applies), anything else through WriteError. A
// refusal is logged at debug with its type only: details may quote what
// the resident typed. A mapped server-side condition (busy, evidence or
// SMS unavailable) is logged at warn with its cause for the operator;
// package enrol's and its dependencies' errors carry no secrets.
func writeEnrolmentError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p, retryAfter := enrolmentProblem(err)
	if p == nil {
		WriteError(w, r, log, err)
		return
	}
	ctx := r.Context()
	if p.Status >= 500 {
		log.WarnContext(ctx, "enrolment request not served", "status", p.Status, "problem", p.Type, "err", err)
	} else {
		log.DebugContext(ctx, "enrolment request refused", "status", p.Status, "problem", p.Type)
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfter, 10))
	}
	WriteProblem(w, r, p)
}
