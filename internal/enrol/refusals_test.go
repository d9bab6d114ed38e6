package enrol_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
)

// at moves a new adult enrolment to the state before step and returns its
// wallet.
func (e *env) at(t *testing.T, number string, seed uint64, step enrol.Step) *wallet {
	t.Helper()
	ctx := context.Background()
	ev := e.chip(number, 30, seed)
	st, err := e.startChip(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := e.wallet(st)
	if step == enrol.StepPhone {
		return w
	}
	if err := w.phone("1350013" + number[len(number)-4:]); err != nil {
		t.Fatal(err)
	}
	if step == enrol.StepFace {
		return w
	}
	if _, err := w.face(seed, false); err != nil {
		t.Fatal(err)
	}
	if step == enrol.StepPassword {
		return w
	}
	if err := e.Service.SetPassword(ctx, w.id(), w.token(), goodPassword); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestRefusals checks each refusal with the error the resident sees: the
// enrol sentinel, its message, and the cause kept in the chain.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.enrolAdult("D00000001", 71, "13800138071", goodPassword)
	dup := e.chip("D00000001", 35, 71)

	tests := []struct {
		name    string
		call    func(t *testing.T) error
		want    error
		cause   error  // also in the chain, when set
		message string // part of the message the resident sees
	}{
		{"wrong phone code", func(t *testing.T) error {
			w := e.at(t, "R00000001", 72, enrol.StepPhone)
			if _, err := e.Service.SendPhoneCode(ctx, w.id(), w.token(), "13500130001"); err != nil {
				t.Fatal(err)
			}
			wrong := "000000"
			if e.SMS.Code(w.id()) == wrong {
				wrong = "111111"
			}
			return e.Service.VerifyPhone(ctx, w.id(), w.token(), "13500130001", wrong)
		}, enrol.ErrPhoneCode, phone.ErrWrongCode, "code is not correct"},
		{"code for another number", func(t *testing.T) error {
			w := e.at(t, "R00000002", 73, enrol.StepPhone)
			if _, err := e.Service.SendPhoneCode(ctx, w.id(), w.token(), "13500130002"); err != nil {
				t.Fatal(err)
			}
			return e.Service.VerifyPhone(ctx, w.id(), w.token(), "13500130003", e.SMS.Code(w.id()))
		}, enrol.ErrPhoneCode, phone.ErrNumberMismatch, ""},
		{"invalid phone number", func(t *testing.T) error {
			w := e.at(t, "R00000003", 74, enrol.StepPhone)
			_, err := e.Service.SendPhoneCode(ctx, w.id(), w.token(), "12345")
			return err
		}, enrol.ErrInvalidPhone, phone.ErrInvalidNumber, "not a valid mobile"},
		{"skip a required phone", func(t *testing.T) error {
			w := e.at(t, "R00000004", 75, enrol.StepPhone)
			return e.Service.SkipPhone(ctx, w.id(), w.token())
		}, enrol.ErrPhoneRequired, nil, "required"},
		{"face of another person", func(t *testing.T) error {
			w := e.at(t, "R00000005", 76, enrol.StepFace)
			ch, err := e.Service.FaceChallenge(ctx, w.id(), w.token())
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Service.SubmitFace(ctx, w.id(), w.token(), e.Attest(enroltest.LiveCapture(t, 999, 1), ch, 0.99), false)
			return err
		}, enrol.ErrFaceMismatch, nil, "did not match"},
		{"not live", func(t *testing.T) error {
			w := e.at(t, "R00000006", 77, enrol.StepFace)
			ch, err := e.Service.FaceChallenge(ctx, w.id(), w.token())
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Service.SubmitFace(ctx, w.id(), w.token(), e.Attest(enroltest.LiveCapture(t, 77, 1), ch, 0.1), false)
			return err
		}, enrol.ErrNotLive, biometric.ErrNotLive, "live capture"},
		{"attestation for another challenge", func(t *testing.T) error {
			w := e.at(t, "R00000007", 78, enrol.StepFace)
			if _, err := e.Service.FaceChallenge(ctx, w.id(), w.token()); err != nil {
				t.Fatal(err)
			}
			_, err := e.Service.SubmitFace(ctx, w.id(), w.token(), e.Attest(enroltest.LiveCapture(t, 78, 1), "another-challenge-value-000000000000", 0.99), false)
			return err
		}, enrol.ErrNotLive, biometric.ErrLivenessChallenge, ""},
		{"no attestation", func(t *testing.T) error {
			w := e.at(t, "R00000008", 79, enrol.StepFace)
			if _, err := e.Service.FaceChallenge(ctx, w.id(), w.token()); err != nil {
				t.Fatal(err)
			}
			_, err := e.Service.SubmitFace(ctx, w.id(), w.token(), biometric.Capture{Image: enroltest.LiveCapture(t, 79, 1)}, false)
			return err
		}, enrol.ErrNotLive, biometric.ErrLivenessMissing, ""},
		{"face without a challenge", func(t *testing.T) error {
			w := e.at(t, "R00000009", 80, enrol.StepFace)
			_, err := e.Service.SubmitFace(ctx, w.id(), w.token(), e.Attest(enroltest.LiveCapture(t, 80, 1), "x", 0.99), false)
			return err
		}, enrol.ErrNotLive, nil, ""},
		{"common password", func(t *testing.T) error {
			w := e.at(t, "R00000010", 81, enrol.StepPassword)
			return e.Service.SetPassword(ctx, w.id(), w.token(), "password123")
		}, enrol.ErrWeakPassword, password.ErrCommon, "choose another password"},
		{"short password", func(t *testing.T) error {
			w := e.at(t, "R00000011", 82, enrol.StepPassword)
			return e.Service.SetPassword(ctx, w.id(), w.token(), "Zq7!")
		}, enrol.ErrWeakPassword, password.ErrTooShort, ""},
		{"password built on the phone number", func(t *testing.T) error {
			w := e.at(t, "R00000012", 83, enrol.StepPassword)
			return e.Service.SetPassword(ctx, w.id(), w.token(), "13500130012!")
		}, enrol.ErrWeakPassword, password.ErrContext, ""},
		{"duplicate document", func(t *testing.T) error {
			_, err := e.startChip(dup, nil)
			return err
		}, enrol.ErrDuplicateIdentity, nil, "already has an internet number"},
		{"minor without guardian", func(t *testing.T) error {
			ev := e.chip("K00000001", 9, 84)
			_, err := e.startChip(ev, nil)
			return err
		}, enrol.ErrGuardianRequired, nil, "guardian"},
		{"out-of-order step", func(t *testing.T) error {
			w := e.at(t, "R00000013", 85, enrol.StepPhone)
			return e.Service.SetPassword(ctx, w.id(), w.token(), goodPassword)
		}, enrol.ErrWrongStep, nil, `next step is "phone"`},
		{"wrong token", func(t *testing.T) error {
			w := e.at(t, "R00000014", 86, enrol.StepPhone)
			_, err := e.Service.Status(ctx, w.id(), strings.Repeat("A", 43))
			return err
		}, enrol.ErrNotFound, nil, ""},
		{"unknown enrolment", func(t *testing.T) error {
			_, err := e.Service.Status(ctx, "no-such-enrolment", strings.Repeat("A", 43))
			return err
		}, enrol.ErrNotFound, nil, ""},
		{"csr for another enrolment", func(t *testing.T) error {
			w := e.at(t, "R00000015", 87, enrol.StepComplete)
			other := e.at(t, "R00000016", 88, enrol.StepPhone)
			_, err := e.Service.Complete(ctx, w.id(), w.token(), other.csr())
			return err
		}, enrol.ErrBadCSR, credential.ErrCSRNonce, ""},
		{"expired document", func(t *testing.T) error {
			ev := e.chip("R00000017", 30, 89, testdoc.ExpiredDocument())
			_, err := e.startChip(ev, nil)
			return err
		}, enrol.ErrEvidenceRefused, emrtd.ErrDocumentExpired, "could not be verified"},
		{"tampered chip", func(t *testing.T) error {
			ev := e.chip("R00000018", 30, 90, testdoc.WithVariant(testdoc.VariantTamperedDG2))
			_, err := e.startChip(ev, nil)
			return err
		}, enrol.ErrEvidenceRefused, emrtd.ErrDataGroupHash, ""},
		{"authority: wrong birth date", func(t *testing.T) error {
			card := e.idCard("测试甲", e.BirthForAge(30), "M", 3)
			card.BirthDate = e.BirthForAge(31)
			_, err := e.startAuthority(card, nil)
			return err
		}, enrol.ErrEvidenceRefused, nil, "does not match"},
		{"authority: bad check digit", func(t *testing.T) error {
			card := e.idCard("测试乙", e.BirthForAge(30), "M", 4)
			last := card.Number[17]
			card.Number = card.Number[:17] + map[bool]string{true: "1", false: "2"}[last != '1']
			_, err := e.startAuthority(card, nil)
			return err
		}, enrol.ErrEvidenceRefused, document.ErrCheckDigit, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("error = %v, want %v in its chain", err, tt.cause)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q, want it to contain %q", err.Error(), tt.message)
			}
		})
	}
}

func TestFaceAttemptsCloseEnrolment(t *testing.T) {
	ctx := context.Background()
	cfg := enroltest.DefaultConfig()
	cfg.MaxFaceAttempts = 2
	e := newEnv(t, enroltest.WithConfig(cfg))
	w := e.at(t, "F00000001", 91, enrol.StepFace)
	for i, want := range []error{enrol.ErrFaceMismatch, enrol.ErrTooManyAttempts} {
		ch, err := e.Service.FaceChallenge(ctx, w.id(), w.token())
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Service.SubmitFace(ctx, w.id(), w.token(), e.Attest(enroltest.LiveCapture(t, 1000+uint64(i), 1), ch, 0.99), false)
		if !errors.Is(err, want) {
			t.Fatalf("attempt %d: SubmitFace() error = %v, want %v", i+1, err, want)
		}
	}
	// The right face no longer helps: the enrolment is closed.
	if _, err := w.face(91, false); !errors.Is(err, enrol.ErrTooManyAttempts) {
		t.Errorf("after the last attempt: error = %v, want ErrTooManyAttempts", err)
	}
}

func TestFaceChallengeIsSingleUse(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	w := e.at(t, "F00000002", 92, enrol.StepFace)
	ch, err := e.Service.FaceChallenge(ctx, w.id(), w.token())
	if err != nil {
		t.Fatal(err)
	}
	// A mismatch consumes the challenge: the same attestation of the
	// right face is then refused.
	good := e.Attest(enroltest.LiveCapture(t, 92, 1), ch, 0.99)
	if _, err := e.Service.SubmitFace(ctx, w.id(), w.token(), e.Attest(enroltest.LiveCapture(t, 1001, 1), ch, 0.99), false); !errors.Is(err, enrol.ErrFaceMismatch) {
		t.Fatalf("SubmitFace(other face) error = %v, want ErrFaceMismatch", err)
	}
	if _, err := e.Service.SubmitFace(ctx, w.id(), w.token(), good, false); !errors.Is(err, enrol.ErrNotLive) {
		t.Errorf("SubmitFace(consumed challenge) error = %v, want ErrNotLive", err)
	}
	// A challenge older than its TTL is refused too.
	ch, err = e.Service.FaceChallenge(ctx, w.id(), w.token())
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(enrol.DefaultFaceChallengeTTL)
	if _, err := e.Service.SubmitFace(ctx, w.id(), w.token(), e.Attest(enroltest.LiveCapture(t, 92, 1), ch, 0.99), false); !errors.Is(err, enrol.ErrNotLive) {
		t.Errorf("SubmitFace(stale challenge) error = %v, want ErrNotLive", err)
	}
}

func TestLoginThrottleAndUniformRefusal(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	done := e.enrolAdult("L00000001", 93, "13800138093", goodPassword)
	unknown, err := credential.NewInternetNumber(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, number, pw string }{
		{"wrong password", string(done.InternetNumber), "wrong password 1"},
		{"unknown number", string(unknown), goodPassword},
		{"malformed number", "not-a-number", goodPassword},
	} {
		_, err := e.Service.AuthenticateResident(ctx, tt.number, tt.pw, "203.0.113.1")
		if !errors.Is(err, enrol.ErrBadCredentials) || err.Error() != enrol.ErrBadCredentials.Error() {
			t.Errorf("%s: error = %v, want exactly ErrBadCredentials", tt.name, err)
		}
	}
	// The per-account limit (5 in enroltest.DefaultConfig) stops guessing, even with the
	// right password, from any address.
	for i := range 4 {
		if _, err := e.Service.AuthenticateResident(ctx, string(done.InternetNumber), "wrong", "203.0.113.2"); !errors.Is(err, enrol.ErrBadCredentials) {
			t.Fatalf("guess %d: error = %v, want ErrBadCredentials", i+2, err)
		}
	}
	_, err = e.Service.AuthenticateResident(ctx, string(done.InternetNumber), goodPassword, "203.0.113.3")
	var te *enrol.ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, enrol.ErrThrottled) || te.RetryAfter <= 0 || te.RetryAfterSeconds() < 1 {
		t.Fatalf("after 5 failures: error = %v, want a ThrottledError with a retry-after", err)
	}
	e.Clock.Advance(te.RetryAfter)
	if _, err := e.Service.AuthenticateResident(ctx, string(done.InternetNumber), goodPassword, "203.0.113.3"); err != nil {
		t.Errorf("after the window: error = %v, want nil", err)
	}
}

func TestPhoneCodeResendThrottled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	w := e.at(t, "S00000001", 94, enrol.StepPhone)
	if _, err := e.Service.SendPhoneCode(ctx, w.id(), w.token(), "13500130094"); err != nil {
		t.Fatal(err)
	}
	_, err := e.Service.SendPhoneCode(ctx, w.id(), w.token(), "13500130094")
	var te *phone.ThrottleError
	if !errors.As(err, &te) || !errors.Is(err, phone.ErrResendTooSoon) {
		t.Errorf("immediate resend: error = %v, want a phone.ThrottleError (resend too soon)", err)
	}
	e.Clock.Advance(time.Minute)
	if _, err := e.Service.SendPhoneCode(ctx, w.id(), w.token(), "13500130094"); err != nil {
		t.Errorf("resend after a minute: error = %v", err)
	}
}
