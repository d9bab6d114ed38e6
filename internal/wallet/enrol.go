package wallet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// EnrolOptions are the inputs of Enrol. Everything a resident would type
// or capture is here, so that scripts and tests drive an enrolment without
// a terminal. Only what the next steps need must be given: a resumed
// enrolment needs no evidence, one past the password step no password.
type EnrolOptions struct {
	// Evidence starts a new enrolment; ignored when the wallet resumes
	// one.
	Evidence *Evidence
	// Started adopts an enrolment started elsewhere (an assisted
	// enrolment the registrar started): the wallet saves it and continues.
	Started *Started
	// Guardian is the guardian's application for a child of 14 or under.
	Guardian *GuardianApplication

	// Phone is the mobile number to confirm. Empty: the number a code was
	// sent to in an earlier run, or skip the step where it is optional.
	Phone string
	// Locale of the SMS: zh-CN or en; empty for the server's default.
	Locale string
	// ResendCode sends a new code even if one was sent to Phone before.
	ResendCode bool
	// Code returns the code sent to the phone.
	Code CodeFunc

	// Face returns the face capture, Liveness its attestation for the
	// server's challenge.
	Face     FaceFunc
	Liveness LivenessFunc
	// KeepFace is the resident's consent to keep the face template for
	// high-assurance logins.
	KeepFace bool

	// Password is the password to set; empty is refused.
	Password string

	// Progress receives one line per step, in plain language (stderr for
	// the command line); nil discards them.
	Progress io.Writer
	// Now is the clock (time.Now when nil); Rand the randomness of the
	// certification request's signature (crypto/rand when nil).
	Now  func() time.Time
	Rand io.Reader
}

// maxSteps bounds the steps of one Enrol call: five steps, plus a few
// re-reads of the server's state after a wrong-step answer.
const maxSteps = 12

// enrolRun is one Enrol call.
type enrolRun struct {
	w *Wallet
	c *Client
	o EnrolOptions
}

// Enrol runs an enrolment to its end: start (or resume the wallet's, or
// adopt o.Started), phone, face, password and completion, then verifies
// the certificate (VerifyAccount) and returns the account saved in the
// wallet.
//
// It is resumable. After every step the wallet saves what it needs to
// continue, and a later call asks the server where the enrolment stands
// (GET /v1/enrolments/{id}) and continues from there. When an input is
// missing it stops with an *InputNeededError (ErrInputNeeded), the
// enrolment saved. When the server completed the enrolment but the wallet
// lost the answer it returns ErrEnrolmentLost. Server refusals are
// *Problem errors whose message is for the resident. It holds the
// wallet's lock throughout (ErrWalletBusy if another command has it).
func Enrol(ctx context.Context, w *Wallet, c *Client, o EnrolOptions) (*Account, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	unlock, err := w.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := w.reload(); err != nil {
		return nil, err
	}
	if a := w.state.Account; a != nil {
		return nil, fmt.Errorf("%w (internet number %s)", ErrAlreadyEnrolled, a.InternetNumber)
	}
	if s := w.state.Server; s != "" && s != c.Server() {
		return nil, fmt.Errorf("%w: it enrols with %s, not %s", ErrOtherServer, s, c.Server())
	}
	r := &enrolRun{w: w, c: c, o: o}
	next, err := r.begin(ctx)
	if err != nil {
		return nil, err
	}
	return r.steps(ctx, next)
}

// say writes one line of progress.
func (r *enrolRun) say(format string, args ...any) {
	fmt.Fprintf(r.o.Progress, format+"\n", args...)
}

// now is the run's clock in UTC.
func (r *enrolRun) now() time.Time { return r.o.Now().UTC() }

// enrolment returns the saved enrolment in progress.
func (r *enrolRun) enrolment() *Enrolment { return r.w.state.Enrolment }

// begin resumes the saved enrolment, adopts o.Started or starts a new one,
// and returns the step the enrolment expects.
func (r *enrolRun) begin(ctx context.Context) (string, error) {
	if en := r.enrolment(); en != nil {
		if r.o.Started != nil && r.o.Started.ID != en.ID {
			return "", fmt.Errorf("this wallet has enrolment %s in progress; finish it, or use another wallet for enrolment %s", en.ID, r.o.Started.ID)
		}
		st, err := r.c.EnrolmentStatus(ctx, en.ID, en.Token)
		switch {
		case err == nil:
			r.say("Resuming your enrolment (next step: %s).", st.Next)
			if r.o.Evidence != nil {
				r.say("The document given is not needed again: the server has it from the first run.")
			}
			return st.Next, nil
		case IsProblem(err, ProblemNotFound) || IsProblem(err, ProblemExpired):
			r.say("The enrolment saved in this wallet is no longer open (%v).", err)
			if err := r.w.update(func(s *State) error { s.Enrolment = nil; return nil }); err != nil {
				return "", err
			}
			if r.o.Evidence == nil && r.o.Started == nil {
				return "", &InputNeededError{Input: InputEvidence, Reason: "the enrolment saved in this wallet has expired; start again"}
			}
		default:
			return "", err
		}
	}
	if err := r.checkDeviceSuite(ctx); err != nil {
		return "", err
	}
	if r.o.Started != nil {
		return r.adopt(ctx, r.o.Started)
	}
	if r.o.Evidence == nil {
		return "", &InputNeededError{Input: InputEvidence}
	}
	// Ask for the password before anything is sent, so that a resident is
	// not left half-way through for want of it.
	if r.o.Password == "" {
		return "", &InputNeededError{Input: InputPassword}
	}
	r.say("Checking your document with the server...")
	st, err := r.c.StartEnrolment(ctx, StartRequest{Evidence: *r.o.Evidence, Guardian: r.o.Guardian})
	if err != nil {
		return "", err
	}
	if err := r.save(st); err != nil {
		return "", err
	}
	r.say("Document accepted (%s, age group %s). The enrolment stays open until %s.", st.Pathway, st.AgeGroup, when(st.ExpiresAt))
	return st.Next, nil
}

// checkDeviceSuite refuses, before an enrolment starts, a device key the
// server's CA cannot certify: the intl suite certifies ECDSA P-256 keys
// only, the sm suite both (credential.ParseCSR). Without the check the
// refusal would come at the last step, after the resident typed
// everything. A server that does not publish /ca.pem is let through: it
// will say so at completion.
func (r *enrolRun) checkDeviceSuite(ctx context.Context) error {
	if r.w.suite.Name() != suite.SM {
		return nil
	}
	caPEM, err := r.c.CACertificates(ctx)
	if err != nil {
		return nil
	}
	s, _, err := parseCAs(caPEM)
	if err != nil || s.Name() == suite.SM {
		return nil
	}
	return fmt.Errorf("%w: its CA (suite %s) certifies ECDSA P-256 device keys and this wallet holds an SM2 key; create a wallet of suite intl",
		ErrDeviceKeySuite, s.Name())
}

// adopt saves an enrolment started elsewhere and asks where it stands.
func (r *enrolRun) adopt(ctx context.Context, st *Started) (string, error) {
	if st.ID == "" || st.Token == "" || st.CSRNonce == "" {
		return "", errors.New("the enrolment to continue lacks its id, token or CSR nonce")
	}
	status, err := r.c.EnrolmentStatus(ctx, st.ID, st.Token)
	if err != nil {
		return "", err
	}
	if err := r.save(st); err != nil {
		return "", err
	}
	r.say("Continuing enrolment %s (next step: %s).", st.ID, status.Next)
	return status.Next, nil
}

// save records a started enrolment in the wallet, before anything else
// happens: its token is shown only once.
func (r *enrolRun) save(st *Started) error {
	if st.ID == "" || st.Token == "" || st.CSRNonce == "" {
		return errorf(ErrResponse, "the server's answer to the start lacks the enrolment id, token or CSR nonce")
	}
	return r.w.update(func(s *State) error {
		s.Server = r.c.Server()
		s.Enrolment = &Enrolment{
			ID: st.ID, Token: st.Token, CSRNonce: st.CSRNonce, ExpiresAt: st.ExpiresAt.UTC(),
			AgeGroup: st.AgeGroup, Pathway: st.Pathway, PhoneOptional: st.PhoneOptional, StartedAt: r.now(),
		}
		return nil
	})
}

// steps runs the steps from next to the end.
func (r *enrolRun) steps(ctx context.Context, next string) (*Account, error) {
	for range maxSteps {
		var err error
		switch next {
		case StepPhone:
			next, err = r.phone(ctx)
		case StepFace:
			next, err = r.face(ctx)
		case StepPassword:
			next, err = r.password(ctx)
		case StepComplete:
			return r.complete(ctx)
		case StepNone:
			return nil, fmt.Errorf("%w (enrolment %s): ask the operator to revoke it, then enrol again with a new wallet",
				ErrEnrolmentLost, r.enrolment().ID)
		default:
			return nil, errorf(ErrResponse, "the server expects step %q, which this netid does not know (is it older than the server?)", cleanText(next))
		}
		if IsProblem(err, ProblemWrongStep) {
			// Another run advanced the enrolment, or an answer was lost
			// after the server applied a step: follow the server.
			en := r.enrolment()
			st, serr := r.c.EnrolmentStatus(ctx, en.ID, en.Token)
			if serr != nil {
				return nil, serr
			}
			r.say("The server's enrolment moved on; continuing with the %s step.", st.Next)
			next = st.Next
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, errorf(ErrResponse, "the enrolment did not finish in %d steps", maxSteps)
}

// when formats a time for a progress line.
func when(t time.Time) string { return t.Local().Format("2006-01-02 15:04 MST") }
