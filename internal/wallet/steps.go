package wallet

import (
	"context"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/phone"
)

// normalisePhone returns number in E.164 when it parses as the server
// would read it by default (China), else as typed: the server decides.
func normalisePhone(number string) string {
	if n, err := phone.ParseNumber(number, phone.RegionCN); err == nil {
		return n.E164()
	}
	return number
}

// phone is the phone step: send a code (unless one was sent to this
// number in an earlier run), get it from o.Code, verify it; or skip the
// step when it is optional and no number is given.
func (r *enrolRun) phone(ctx context.Context) (string, error) {
	en := r.enrolment()
	number := r.o.Phone
	if number == "" {
		number = en.PhoneSentTo
	}
	if number == "" {
		if !en.PhoneOptional {
			return "", &InputNeededError{Input: InputPhone}
		}
		st, err := r.c.SkipPhone(ctx, en.ID, en.Token)
		if err != nil {
			return "", err
		}
		r.say("Phone step skipped (optional for this enrolment).")
		return st.Next, nil
	}
	number = normalisePhone(number)
	if r.o.ResendCode || en.PhoneSentTo != number {
		sent, err := r.c.SendPhoneCode(ctx, en.ID, en.Token, number, r.o.Locale)
		if err != nil {
			return "", err
		}
		err = r.w.update(func(s *State) error {
			s.Enrolment.PhoneSentTo, s.Enrolment.PhoneSentToDisplay, s.Enrolment.PhoneSentAt = number, cleanText(sent.To), r.now()
			return nil
		})
		if err != nil {
			return "", err
		}
		r.say("A %d-digit code was sent to %s; it is valid until %s.", sent.CodeLength, cleanText(sent.To), when(sent.ExpiresAt))
		en = r.enrolment()
	} else {
		r.say("Using the code sent to %s earlier.", en.PhoneSentToDisplay)
	}
	if r.o.Code == nil {
		return "", &InputNeededError{Input: InputCode, SentTo: en.PhoneSentToDisplay}
	}
	code, err := r.o.Code(ctx, number)
	if err != nil {
		var need *InputNeededError
		if errors.As(err, &need) && need.SentTo == "" {
			need.SentTo = en.PhoneSentToDisplay
		}
		return "", err
	}
	st, err := r.c.VerifyPhone(ctx, en.ID, en.Token, number, code)
	if err != nil {
		return "", err
	}
	r.say("Phone number confirmed.")
	return st.Next, nil
}

// face is the face step: take the capture, get a liveness attestation for
// the server's challenge and submit both. The challenge is saved, so that
// an attestation made outside the wallet (LivenessFromFile) for it still
// serves on the next run; a saved challenge the server no longer accepts
// is replaced once.
func (r *enrolRun) face(ctx context.Context) (string, error) {
	if r.o.Face == nil {
		return "", &InputNeededError{Input: InputFace}
	}
	liveness := r.o.Liveness
	if liveness == nil {
		liveness = LivenessFromFile("")
	}
	image, err := r.o.Face(ctx)
	if err != nil {
		return "", err
	}
	format := biometric.DetectFormat(image)
	if format == "" {
		return "", errors.New("the face image is not a JPEG, PNG or JPEG 2000 image")
	}
	en := r.enrolment()
	challenge, fresh := en.FaceChallenge, false
	for {
		if challenge == "" {
			if challenge, err = r.c.FaceChallenge(ctx, en.ID, en.Token); err != nil {
				return "", err
			}
			if err := r.setChallenge(challenge); err != nil {
				return "", err
			}
			fresh = true
		}
		att, err := liveness(ctx, challenge, image)
		if err != nil {
			return "", err
		}
		res, err := r.c.SubmitFace(ctx, en.ID, en.Token, FaceSubmission{
			Image: image, Format: string(format), Liveness: att, KeepTemplate: r.o.KeepFace,
		})
		if IsProblem(err, ProblemNotLive) && !fresh {
			// The saved challenge expired or was replaced on the server.
			r.say("The saved face challenge is no longer valid; asking for a new one.")
			challenge = ""
			continue
		}
		if err != nil {
			if IsProblem(err, ProblemFaceMismatch) || IsProblem(err, ProblemTooManyAttempts) {
				// A mismatch consumes the server's challenge.
				if serr := r.setChallenge(""); serr != nil {
					return "", errors.Join(err, serr)
				}
			}
			return "", err
		}
		if err := r.setChallenge(""); err != nil {
			return "", err
		}
		if res.Matched {
			r.say("Your face matched the photo in your document.")
		} else {
			r.say("Live capture accepted (this document has no photo to compare with).")
		}
		if res.TemplateKept {
			r.say("Your face template is kept for high-assurance logins, as you chose.")
		}
		return res.Next, nil
	}
}

// setChallenge saves the open face challenge ("" when none is open).
func (r *enrolRun) setChallenge(ch string) error {
	return r.w.update(func(s *State) error {
		s.Enrolment.FaceChallenge, s.Enrolment.FaceChallengeAt = ch, time.Time{}
		if ch != "" {
			s.Enrolment.FaceChallengeAt = r.now()
		}
		return nil
	})
}

// password is the password step.
func (r *enrolRun) password(ctx context.Context) (string, error) {
	if r.o.Password == "" {
		return "", &InputNeededError{Input: InputPassword}
	}
	en := r.enrolment()
	st, err := r.c.SetPassword(ctx, en.ID, en.Token, r.o.Password)
	if err != nil {
		return "", err
	}
	r.say("Password set.")
	return st.Next, nil
}

// complete is the last step: a certification request signed by the
// device key and bound to the enrolment's nonce, then the account. The
// answer is saved before it is verified, since its openings and
// dynamic-code secret exist nowhere else; the account is marked verified
// only once VerifyAccount passed.
func (r *enrolRun) complete(ctx context.Context) (*Account, error) {
	en := r.enrolment()
	rnd := r.o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	der, err := credential.CreateCSR(rnd, r.w.Signer(), en.CSRNonce)
	if err != nil {
		return nil, fmt.Errorf("creating the certification request: %w", err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	r.say("Asking for your internet certificate (the device key stays in this wallet)...")
	done, err := r.c.Complete(ctx, en.ID, en.Token, csr)
	if err != nil {
		return nil, err
	}
	acct := Account{
		InternetNumber: done.InternetNumber, InternetNumberDisplay: done.InternetNumberDisplay,
		Status: done.Status, Pathway: done.Pathway, AssuranceCeiling: done.AssuranceCeiling,
		CertificatePEM: done.CertificatePEM, CAPEM: done.CAPEM, Serial: done.Serial,
		Openings: done.Openings, DynamicCode: done.DynamicCode, GuardianApprovalCode: done.GuardianApprovalCode,
		EnrolledAt: r.now(),
	}
	if acct.InternetNumber == "" || acct.CertificatePEM == "" {
		return nil, errorf(ErrResponse, "the completion lacks the internet number or the certificate")
	}
	if err := r.w.update(func(s *State) error { s.Account, s.Enrolment = &acct, nil; return nil }); err != nil {
		return nil, err
	}
	vc, err := VerifyAccount(&acct, r.w.Signer().Public(), r.o.Now())
	if err != nil {
		return nil, fmt.Errorf("%w; the wallet kept the server's answer, marked unverified", err)
	}
	acct.Verified, acct.NotBefore, acct.NotAfter = true, vc.NotBefore.UTC(), vc.NotAfter.UTC()
	if err := r.w.update(func(s *State) error { s.Account = &acct; return nil }); err != nil {
		return nil, err
	}
	r.say("Internet certificate verified: internet number %s, serial %s, valid until %s.",
		displayNumber(&acct), acct.Serial, when(acct.NotAfter))
	if acct.GuardianApprovalCode != "" {
		r.say("Your account waits for your guardian's approval: give them your internet number and the approval code kept in this wallet.")
	}
	return &acct, nil
}

// displayNumber is the internet number as the resident reads it.
func displayNumber(a *Account) string {
	if a.InternetNumberDisplay != "" {
		return cleanText(a.InternetNumberDisplay)
	}
	return a.InternetNumber
}
