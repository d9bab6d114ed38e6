package enrol_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// env is a Service over real dependencies (enroltest.Env), with the
// resident's side of the flow on top.
type env struct{ *enroltest.Env }

// newEnv builds an env; with no options, the intl suite on SQLite with
// enroltest.DefaultConfig.
func newEnv(t testing.TB, opts ...enroltest.Option) *env {
	t.Helper()
	return &env{enroltest.New(t, opts...)}
}

// idCard registers a valid resident ID card with the authority and returns
// the evidence a resident would type.
func (e *env) idCard(name string, birth document.Date, sex string, seq int) *enrol.AuthorityEvidence {
	e.T.Helper()
	return e.RegisterIDCard(name, birth, sex, seq).Evidence()
}

// chip issues a passport of a synthetic person aged age with portrait
// seed (see enroltest.Env.Passport) and returns its chip evidence.
func (e *env) chip(number string, age int, seed uint64, opts ...testdoc.ChipOption) *enrol.ChipEvidence {
	e.T.Helper()
	return enroltest.ChipEvidence(e.Passport(number, age, seed, opts...))
}

// wallet is the resident's side of one enrolment.
type wallet struct {
	e       *env
	started enrol.Started
	device  crypto.Signer
}

func (e *env) wallet(st enrol.Started) *wallet {
	e.T.Helper()
	key, err := e.Suite.GenerateSigner(rand.Reader)
	if err != nil {
		e.T.Fatal(err)
	}
	return &wallet{e: e, started: st, device: key}
}

func (w *wallet) id() string    { return w.started.ID }
func (w *wallet) token() string { return w.started.Token }

// phone sends a code to number and verifies it.
func (w *wallet) phone(number string) error {
	ctx := context.Background()
	if _, err := w.e.Service.SendPhoneCode(ctx, w.id(), w.token(), number); err != nil {
		return err
	}
	return w.e.Service.VerifyPhone(ctx, w.id(), w.token(), number, w.e.SMS.Code(w.id()))
}

// face takes a challenge and submits a live capture of portrait seed.
func (w *wallet) face(seed uint64, keep bool) (enrol.FaceResult, error) {
	ctx := context.Background()
	ch, err := w.e.Service.FaceChallenge(ctx, w.id(), w.token())
	if err != nil {
		return enrol.FaceResult{}, err
	}
	return w.e.Service.SubmitFace(ctx, w.id(), w.token(), w.e.Attest(enroltest.LiveCapture(w.e.T, seed, 1), ch, 0.99), keep)
}

// csr is the wallet's certification request for its device key.
func (w *wallet) csr() []byte {
	w.e.T.Helper()
	der, err := credential.CreateCSR(rand.Reader, w.device, w.started.CSRNonce)
	if err != nil {
		w.e.T.Fatal(err)
	}
	return der
}

// complete runs the steps after Start: phone (skipped when number is ""),
// face, password, completion.
func (w *wallet) complete(number string, seed uint64, keep bool, pw string) (enrol.Completed, error) {
	ctx := context.Background()
	var err error
	if number == "" {
		err = w.e.Service.SkipPhone(ctx, w.id(), w.token())
	} else {
		err = w.phone(number)
	}
	if err != nil {
		return enrol.Completed{}, err
	}
	if _, err := w.face(seed, keep); err != nil {
		return enrol.Completed{}, err
	}
	if err := w.e.Service.SetPassword(ctx, w.id(), w.token(), pw); err != nil {
		return enrol.Completed{}, err
	}
	return w.e.Service.Complete(ctx, w.id(), w.token(), w.csr())
}

// startChip starts a self-service enrolment with a chip.
func (e *env) startChip(ev *enrol.ChipEvidence, g *enrol.GuardianApplication) (enrol.Started, error) {
	return e.Service.Start(context.Background(), enrol.StartRequest{Evidence: enrol.Evidence{Chip: ev}, Guardian: g, ClientAddr: "192.0.2.1"})
}

// startAuthority starts a self-service enrolment with a resident ID card.
func (e *env) startAuthority(ev *enrol.AuthorityEvidence, g *enrol.GuardianApplication) (enrol.Started, error) {
	return e.Service.Start(context.Background(), enrol.StartRequest{Evidence: enrol.Evidence{Authority: ev}, Guardian: g, ClientAddr: "192.0.2.1"})
}

// enrolAdult enrols an adult with a passport and returns what Complete
// returned.
func (e *env) enrolAdult(number string, seed uint64, phoneNumber, pw string) enrol.Completed {
	e.T.Helper()
	ev := e.chip(number, 35, seed)
	st, err := e.startChip(ev, nil)
	if err != nil {
		e.T.Fatalf("Start(adult %s) error = %v", number, err)
	}
	done, err := e.wallet(st).complete(phoneNumber, seed, false, pw)
	if err != nil {
		e.T.Fatalf("enrol adult %s: %v", number, err)
	}
	return done
}
