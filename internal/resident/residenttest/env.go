// Package residenttest runs a whole netid service for tests of the
// resident API and its clients (the resident package, the wallet, the
// portal): enroltest's enrolment over real dependencies, with its
// transparency log, CA and clock, plus the relying-party registry, the
// OpenID provider (its consents logged by resident.ConsentLog, its
// disclosures by oidc.TranslogRecorder, as serve wires them) and the
// resident Service, all mounted on httpapi.Server behind an httptest
// server. It also drives the resident's side: enrolments (Enrol...) and
// platform logins through a real relying party using go-oidc and
// x/oauth2 (RP.Login). It is a normal package, not a _test file, so that
// several packages' tests share it; no production code imports it.
package residenttest

import (
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
)

// Password is the password every resident Enrol makes chooses.
const Password = "correct horse battery staple 42"

// Env is a running netid service.
type Env struct {
	*enroltest.Env
	RPs      *rp.Service
	Provider *oidc.Provider
	Resident *resident.Service
	Server   *httptest.Server
	// URL is the server's base URL, also the OpenID issuer.
	URL string

	mu     sync.Mutex
	people int
}

// New starts a service for t; opts choose the suite, the engine and the
// enrolment configuration (enroltest.WithEngine("postgres")...).
func New(t testing.TB, opts ...enroltest.Option) *Env {
	t.Helper()
	e := &Env{Env: enroltest.New(t, opts...)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.RPs = rp.NewService(e.Store, rp.WithClock(e.Clock.Now))

	// The issuer is the server's own address: listen first, serve later.
	var handler http.Handler
	e.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	e.URL = "http://" + e.Server.Listener.Addr().String()
	clientAddr := func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }
	var err error
	e.Provider, err = oidc.NewProvider(oidc.Config{Issuer: e.URL, ClientCacheTTL: -1}, oidc.Deps{
		Store: resident.ConsentLog{Store: e.Store, Log: e.Log}, RPs: e.Store, Keys: e.Keys, Residents: e.Service,
		Disclosures: oidc.TranslogRecorder{Table: e.Store, Log: e.Log}, Suite: e.Suite, CA: e.CA,
	}, oidc.WithClock(e.Clock.Now), oidc.WithLogger(quiet), oidc.WithClientAddr(clientAddr))
	must(t, err)
	e.Resident, err = resident.New(resident.Deps{
		Store: e.Store, Suite: e.Suite, Residents: e.Service, Accounts: e.Store, Grants: e.Store, Provider: e.Provider,
		CA: e.CA, Certificates: e.Store, Log: e.Log, RPs: e.RPs, Throttle: e.Store,
	}, resident.Config{}, resident.WithClock(e.Clock.Now), resident.WithLogger(quiet),
		resident.WithClientAddr(clientAddr), resident.WithRequestID(httpapi.RequestIDFrom))
	must(t, err)

	srv := httpapi.New(httpapi.DefaultConfig(), quiet)
	srv.MountEnrolment(httpapi.EnrolmentAPI{Enrol: e.Service, CA: e.CA})
	srv.MountCertificates(e.CA, 4096)
	srv.MountTranslog(e.Log)
	for pattern, h := range e.Provider.Routes() {
		srv.Handle(pattern, h)
	}
	for pattern, h := range e.Resident.Routes() {
		srv.Handle(pattern, h)
	}
	handler = srv
	e.Server.Start()
	t.Cleanup(e.Server.Close)
	// The first checkpoint, as serve signs it at start.
	_, err = e.Log.Checkpoint(context.Background())
	must(t, err)
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Person is an enrolled resident, with what their wallet would hold.
type Person struct {
	ID             string
	InternetNumber credential.InternetNumber
	Phone          string
	Password       string
	Device         crypto.Signer
	Certificate    []byte // DER
	// ApprovalCode is set for a minor of 15 to 17 waiting for a guardian.
	ApprovalCode string
	Status       enrol.ResidentStatus
}

// next returns a number unique in the Env, for phone numbers and
// document numbers.
func (e *Env) next() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.people++
	return e.people
}

// EnrolAdult enrols an adult of 35 with a passport chip (a portrait seed
// of their own) and a login phone, and returns them.
func (e *Env) EnrolAdult(t testing.TB) Person {
	t.Helper()
	n := e.next()
	return e.EnrolPassport(t, fmt.Sprintf("E%08d", n), uint64(1000+n))
}

// EnrolPassport enrols the adult of 35 whose passport has number and
// whose portrait is seed's: the same number and seed are the same person.
func (e *Env) EnrolPassport(t testing.TB, number string, seed uint64) Person {
	t.Helper()
	doc := e.Passport(number, 35, seed)
	st, err := e.Service.Start(context.Background(), enrol.StartRequest{
		Evidence: enrol.Evidence{Chip: enroltest.ChipEvidence(doc)}, ClientAddr: "192.0.2.1"})
	must(t, err)
	return e.complete(t, st, seed, e.next())
}

// EnrolWithIDCard enrols the holder of a resident ID card born on birth
// (the authority pathway, no portrait): an adult becomes active; a minor
// of 15 to 17 waits for a guardian (Person.ApprovalCode).
func (e *Env) EnrolWithIDCard(t testing.TB, birth document.Date) Person {
	t.Helper()
	n := e.next()
	card := e.RegisterIDCard("测试"+enroltest.Letters(fmt.Sprint(n)), birth, "F", n)
	st, err := e.Service.Start(context.Background(), enrol.StartRequest{
		Evidence: enrol.Evidence{Authority: card.Evidence()}, ClientAddr: "192.0.2.1"})
	must(t, err)
	return e.complete(t, st, uint64(2000+n), n)
}

// complete runs the steps after Start: phone, face, password, completion.
func (e *Env) complete(t testing.TB, st enrol.Started, seed uint64, n int) Person {
	t.Helper()
	ctx := context.Background()
	p := Person{Phone: fmt.Sprintf("+86139%08d", n), Password: Password}
	_, err := e.Service.SendPhoneCode(ctx, st.ID, st.Token, p.Phone)
	must(t, err)
	must(t, e.Service.VerifyPhone(ctx, st.ID, st.Token, p.Phone, e.SMS.Code(st.ID)))
	ch, err := e.Service.FaceChallenge(ctx, st.ID, st.Token)
	must(t, err)
	_, err = e.Service.SubmitFace(ctx, st.ID, st.Token, e.Attest(enroltest.LiveCapture(t, seed, 1), ch, 0.99), false)
	must(t, err)
	must(t, e.Service.SetPassword(ctx, st.ID, st.Token, p.Password))
	p.Device, err = e.Suite.GenerateSigner(rand.Reader)
	must(t, err)
	csr, err := credential.CreateCSR(rand.Reader, p.Device, st.CSRNonce)
	must(t, err)
	done, err := e.Service.Complete(ctx, st.ID, st.Token, csr)
	must(t, err)
	p.ID, p.InternetNumber, p.Certificate, p.ApprovalCode, p.Status =
		done.ResidentID, done.InternetNumber, done.Certificate, done.GuardianApprovalCode, done.Status
	return p
}

// Approve makes guardian the approved guardian of minor, a minor of 15 to
// 17 waiting for one.
func (e *Env) Approve(t testing.TB, guardian, minor Person) {
	t.Helper()
	must(t, e.Service.ApproveMinor(context.Background(), guardian.ID, enrol.MinorApproval{
		InternetNumber: string(minor.InternetNumber), ApprovalCode: minor.ApprovalCode,
		Relationship: enrol.RelationshipParent,
		Evidence:     enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceHouseholdRegister, Reference: "HR-2025-0001"},
	}))
}

// Presentation is what a wallet signs to sign in: a presentation of p's
// certificate for the resident API's audience answering challenge.
func (e *Env) Presentation(t testing.TB, p Person, challenge string) string {
	t.Helper()
	text, err := credential.CreatePresentation(nil, p.Device, p.Certificate, resident.DefaultAudience,
		[]byte(challenge), nil, e.Clock.Now())
	must(t, err)
	return text
}
