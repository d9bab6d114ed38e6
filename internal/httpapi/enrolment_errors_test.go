package httpapi

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store"
)

// wrapAs wraps cause as package enrol does: "%w: %w".
func wrapAs(sentinel, cause error) error { return fmt.Errorf("%w: %w", sentinel, cause) }

func TestEnrolmentProblem(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		wantStatus     int // 0: not mapped, WriteError decides
		wantSlug       string
		wantDetail     string // a substring
		wantRetryAfter int64
		notInDetail    string
	}{
		{"throttled", fmt.Errorf("enrol: %w", &enrol.ThrottledError{RetryAfter: 1500 * time.Millisecond}), 429, "throttled", "try again in 2 seconds", 2, ""},
		{"phone resend too soon", &phone.ThrottleError{Err: phone.ErrResendTooSoon, RetryAfter: 45 * time.Second}, 429, "throttled", "a code was sent recently; you can ask for a new code in 45 seconds", 45, ""},
		{"phone too many sends", &phone.ThrottleError{Err: phone.ErrTooManySends, RetryAfter: time.Hour}, 429, "throttled", "too many codes were sent to this number; you can ask for a new code in 60 minutes", 3600, ""},
		{"password busy", fmt.Errorf("enrol: hash password: %w", password.ErrBusy), 503, "busy", "try again in a few seconds", busyRetryAfter, ""},
		{"wrong step", &enrol.WrongStepError{State: enrol.StateCreated, Expected: enrol.StepPhone, Got: enrol.StepFace}, 409, "wrong-step", `the next step is "phone"`, 0, ""},
		{"completed", &enrol.WrongStepError{State: enrol.StateCompleted, Expected: enrol.StepNone, Got: enrol.StepComplete}, 409, "wrong-step", "completed already", 0, ""},
		{"last face attempt", wrapAs(enrol.ErrTooManyAttempts, enrol.ErrFaceMismatch), 429, "too-many-attempts", "enrolment is closed", 0, ""},
		{"face mismatch", enrol.ErrFaceMismatch, 422, "face-mismatch", "did not match", 0, ""},
		{"not live", wrapAs(enrol.ErrNotLive, errors.New("biometric: liveness: signature by key k1 invalid")), 422, "not-live", "live capture", 0, "k1"},
		{"bad face", wrapAs(enrol.ErrBadFace, errors.New("biometric: 3x3 image")), 400, "bad-face", "photo could not be used", 0, "3x3"},
		{"weak password", wrapAs(enrol.ErrWeakPassword, &password.PolicyError{Reason: password.ErrTooShort, Min: 12}), 422, "weak-password", "Use at least 12 characters", 0, ""},
		{"weak password without advice", wrapAs(enrol.ErrWeakPassword, errors.New("odd")), 422, "weak-password", "choose another password", 0, "odd"},
		{"authority refusal", wrapAs(enrol.ErrEvidenceRefused, &enrol.AuthorityRefusal{Status: document.StatusRevoked}), 422, "evidence-refused", "reported lost, stolen or cancelled", 0, ""},
		{"field error", wrapAs(enrol.ErrEvidenceRefused, &document.FieldError{Source: "id number", Field: "check character", Reason: `is "1", want "X"`, Err: document.ErrCheckDigit}),
			422, "evidence-refused", `id number: check character is "1", want "X"`, 0, ""},
		{"expired passport", wrapAs(enrol.ErrEvidenceRefused, fmt.Errorf("emrtd: %w: 2020-01-01", emrtd.ErrDocumentExpired)), 422, "evidence-refused", "the document has expired", 0, "2020"},
		{"unknown CSCA", wrapAs(enrol.ErrEvidenceRefused, fmt.Errorf("emrtd: %w: CN=Secret CSCA", emrtd.ErrUnknownCSCA)), 422, "evidence-refused", "not signed by an issuer netid trusts", 0, "Secret"},
		{"tampered chip", wrapAs(enrol.ErrEvidenceRefused, &emrtd.DataGroupError{DataGroup: 2, Reason: "hash"}), 422, "evidence-refused", "integrity check", 0, "DG2"},
		{"authority transport error", wrapAs(enrol.ErrEvidenceRefused, errors.New("dial tcp 10.0.0.7:443: refused")), 422, "evidence-refused", "your document could not be verified", 0, "10.0.0.7"},
		{"evidence unavailable", wrapAs(enrol.ErrEvidenceUnavailable, fmt.Errorf("%w: dial tcp 10.0.0.7", document.ErrAuthorityUnavailable)), 503, "evidence-unavailable", "try again later", 0, "10.0.0.7"},
		{"wrong code", wrapAs(enrol.ErrPhoneCode, &phone.WrongCodeError{AttemptsLeft: 3}), 422, "wrong-code", "3 attempts left", 0, ""},
		{"wrong code, last attempt", wrapAs(enrol.ErrPhoneCode, &phone.WrongCodeError{AttemptsLeft: 1}), 422, "wrong-code", "1 attempt left", 0, ""},
		{"wrong code, locked", wrapAs(enrol.ErrPhoneCode, &phone.WrongCodeError{AttemptsLeft: 0}), 422, "wrong-code", "no attempts are left", 0, ""},
		{"code expired", wrapAs(enrol.ErrPhoneCode, phone.ErrExpired), 422, "wrong-code", "expired", 0, ""},
		{"code used", wrapAs(enrol.ErrPhoneCode, phone.ErrUsed), 422, "wrong-code", "used already", 0, ""},
		{"no code sent", wrapAs(enrol.ErrPhoneCode, phone.ErrNoChallenge), 422, "wrong-code", "no code was sent", 0, ""},
		{"invalid phone", wrapAs(enrol.ErrInvalidPhone, fmt.Errorf("%w: no digits", phone.ErrInvalidNumber)), 400, "invalid-phone", "not a valid mobile phone number: no digits", 0, "phone:"},
		{"SMS failed", errors.Join(phone.ErrSendFailed, errors.New("gateway 500 secret-api-key")), 503, "send-failed", "ask for a new code", 0, "secret"},
		{"phone in use", enrol.ErrPhoneInUse, 409, "phone-in-use", "used by another account", 0, ""},
		{"phone required", enrol.ErrPhoneRequired, 409, "phone-required", "required", 0, ""},
		{"not found", enrol.ErrNotFound, 404, "not-found", "not found", 0, ""},
		{"expired", enrol.ErrExpired, 410, "enrolment-expired", "expired", 0, ""},
		{"duplicate", enrol.ErrDuplicateIdentity, 409, "duplicate-identity", "already has an internet number", 0, ""},
		{"guardian required", enrol.ErrGuardianRequired, 403, "guardian-required", "guardian", 0, ""},
		{"guardian not allowed", enrol.ErrGuardianNotAllowed, 403, "guardian-not-allowed", "only for a child", 0, ""},
		{"not a guardian", fmt.Errorf("%w: a guardian must be an adult", enrol.ErrNotAGuardian), 403, "not-a-guardian", "cannot act as guardian for this minor: a guardian must be an adult", 0, ""},
		{"not minor", enrol.ErrNotMinor, 403, "not-minor", "not waiting", 0, ""},
		{"bad credentials", enrol.ErrBadCredentials, 401, "bad-credentials", "incorrect", 0, ""},
		{"account pending", enrol.ErrAccountPending, 403, "account-pending", "guardian's approval", 0, ""},
		{"account locked", &enrol.LockedError{Method: enrol.MethodAccount}, 403, "account-locked", "locked", 0, ""},
		{"password locked", &enrol.LockedError{Method: enrol.MethodPassword}, 403, "method-locked", "locked this way of signing in", 0, ""},
		{"bad dynamic code", enrol.ErrBadDynamicCode, 401, "bad-dynamic-code", "", 0, ""},
		{"dynamic code reused", enrol.ErrDynamicCodeReused, 401, "dynamic-code-reused", "", 0, ""},
		{"bad CSR", wrapAs(enrol.ErrBadCSR, errors.New("credential: challengePassword differs")), 400, "bad-csr", "key request is not valid", 0, "challengePassword"},
		{"unauthorized registrar", enrol.ErrUnauthorized, 401, "unauthorized", "registrar", 0, ""},
		{"upgrade mismatch", enrol.ErrUpgradeMismatch, 422, "upgrade-mismatch", "does not match the account's recorded identity", 0, ""},
		{"upgrade without portrait", enrol.ErrUpgradeNeedsPortrait, 422, "upgrade-needs-portrait", "no photo to match your face against", 0, ""},
		{"upgrade challenge expired", fmt.Errorf("%w: %w: upgrade challenge expired", enrol.ErrNotLive, biometric.ErrLivenessChallenge), 422, "not-live", "could not confirm a live capture", 0, "upgrade challenge"},
		{"invalid request", fmt.Errorf("%w: unknown evidence kind \"x\"", enrol.ErrInvalidRequest), 400, "bad-request", `unknown evidence kind "x"`, 0, ""},
		{"phone invalid request", fmt.Errorf("%w: unsupported locale", phone.ErrInvalidRequest), 400, "bad-request", "locale", 0, ""},
		{"store conflict: WriteError's", fmt.Errorf("enrol: %w", store.ErrConflict), 0, "", "", 0, ""},
		{"internal: WriteError's", errors.New("disk on fire"), 0, "", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, retry := enrolmentProblem(tt.err)
			if tt.wantStatus == 0 {
				if p != nil {
					t.Fatalf("enrolmentProblem(%v) = %+v, want nil (left to WriteError)", tt.err, p)
				}
				return
			}
			if p == nil {
				t.Fatalf("enrolmentProblem(%v) = nil, want %d %s", tt.err, tt.wantStatus, tt.wantSlug)
			}
			if p.Status != tt.wantStatus || p.Type != ProblemTypeBase+tt.wantSlug || p.Title != http.StatusText(tt.wantStatus) {
				t.Errorf("got %d %s %q, want %d %s", p.Status, p.Type, p.Title, tt.wantStatus, tt.wantSlug)
			}
			if !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("detail %q, want it to contain %q", p.Detail, tt.wantDetail)
			}
			if tt.notInDetail != "" && strings.Contains(p.Detail, tt.notInDetail) {
				t.Errorf("detail %q quotes the internal cause %q", p.Detail, tt.notInDetail)
			}
			if retry != tt.wantRetryAfter {
				t.Errorf("retry after %d, want %d", retry, tt.wantRetryAfter)
			}
		})
	}
}

// TestEnrolmentSentinelsMapped checks that every Err variable package enrol
// declares (read from its source, so that a new one is noticed) is mapped
// to a problem, rather than falling through to a 500.
func TestEnrolmentSentinelsMapped(t *testing.T) {
	known := map[string]error{
		"ErrNotFound": enrol.ErrNotFound, "ErrExpired": enrol.ErrExpired, "ErrDuplicateIdentity": enrol.ErrDuplicateIdentity,
		"ErrGuardianRequired": enrol.ErrGuardianRequired, "ErrNotAGuardian": enrol.ErrNotAGuardian,
		"ErrGuardianNotAllowed": enrol.ErrGuardianNotAllowed, "ErrFaceMismatch": enrol.ErrFaceMismatch, "ErrNotLive": enrol.ErrNotLive,
		"ErrBadFace": enrol.ErrBadFace, "ErrTooManyAttempts": enrol.ErrTooManyAttempts, "ErrEvidenceRefused": enrol.ErrEvidenceRefused,
		"ErrEvidenceUnavailable": enrol.ErrEvidenceUnavailable, "ErrWeakPassword": enrol.ErrWeakPassword,
		"ErrBadCredentials": enrol.ErrBadCredentials, "ErrPhoneCode": enrol.ErrPhoneCode, "ErrPhoneInUse": enrol.ErrPhoneInUse,
		"ErrInvalidPhone": enrol.ErrInvalidPhone, "ErrPhoneRequired": enrol.ErrPhoneRequired, "ErrBadCSR": enrol.ErrBadCSR,
		"ErrInvalidRequest": enrol.ErrInvalidRequest, "ErrUnauthorized": enrol.ErrUnauthorized, "ErrNotMinor": enrol.ErrNotMinor,
		"ErrAccountPending": enrol.ErrAccountPending, "ErrAccountLocked": enrol.ErrAccountLocked,
		"ErrMethodLocked": enrol.ErrMethodLocked, "ErrBadDynamicCode": enrol.ErrBadDynamicCode,
		"ErrDynamicCodeReused": enrol.ErrDynamicCodeReused,
		// These two travel as their typed errors.
		"ErrWrongStep":            &enrol.WrongStepError{Expected: enrol.StepFace},
		"ErrThrottled":            &enrol.ThrottledError{RetryAfter: time.Second},
		"ErrUpgradeMismatch":      enrol.ErrUpgradeMismatch,
		"ErrUpgradeNeedsPortrait": enrol.ErrUpgradeNeedsPortrait,
		"ErrRenewChallenge":       enrol.ErrRenewChallenge,
		"ErrDeviceSignature":      enrol.ErrDeviceSignature,
		"ErrNoCurrentCertificate": enrol.ErrNoCurrentCertificate,
		"ErrOldDeviceRequired":    enrol.ErrOldDeviceRequired,
		"ErrSameDeviceKey":        enrol.ErrSameDeviceKey,
		// This one travels wrapped in ErrEvidenceRefused.
		"ErrNoPortrait": fmt.Errorf("%w: %w", enrol.ErrEvidenceRefused, enrol.ErrNoPortrait),
	}
	dir := filepath.Join("..", "enrol")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no source in %s: %v", dir, err)
	}
	declared := 0
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if !strings.HasPrefix(id.Name, "Err") {
						continue
					}
					declared++
					err, ok := known[id.Name]
					if !ok {
						t.Errorf("enrol.%s is not in this test: map it in enrolmentProblem and add it here", id.Name)
						continue
					}
					if err == nil {
						continue
					}
					if p, _ := enrolmentProblem(err); p == nil || p.Status == http.StatusInternalServerError {
						t.Errorf("enrolmentProblem(enrol.%s) = %+v, want a mapped problem", id.Name, p)
					}
				}
			}
		}
	}
	if declared != len(known) {
		t.Errorf("package enrol declares %d Err variables, this test knows %d", declared, len(known))
	}
}

func TestWriteEnrolmentError(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantRetry  string
	}{
		{"throttled", &enrol.ThrottledError{RetryAfter: 90 * time.Second}, 429, "90"},
		{"busy", password.ErrBusy, 503, "2"},
		{"refusal", enrol.ErrFaceMismatch, 422, ""},
		{"body too large", &http.MaxBytesError{Limit: 10}, 413, ""},
		{"internal", errors.New("boom"), 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeEnrolmentError(rec, httptest.NewRequest(http.MethodPost, "/v1/enrolments/x/face", nil), log, tt.err)
			if rec.Code != tt.wantStatus || rec.Header().Get("Retry-After") != tt.wantRetry {
				t.Errorf("got %d, Retry-After %q; want %d, %q", rec.Code, rec.Header().Get("Retry-After"), tt.wantStatus, tt.wantRetry)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
		})
	}
	// A refusal is logged by its type, without the detail, which may
	// quote what the resident typed.
	logs.Reset()
	writeEnrolmentError(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil), log,
		fmt.Errorf("%w: unknown relationship \"Ms Secret\"", enrol.ErrInvalidRequest))
	if got := logs.String(); strings.Contains(got, "Ms Secret") || !strings.Contains(got, "bad-request") {
		t.Errorf("log %q, want the problem type and not the detail", got)
	}
}
