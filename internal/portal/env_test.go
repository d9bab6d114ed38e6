package portal_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/portal"
	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/throttle"
	"github.com/netid/netid/internal/translog"
)

// env is netid as serve wires it, over real dependencies, behind an
// httptest server: a store (SQLite in a temporary directory, or a fresh
// PostgreSQL database), a file key store, the transparency log, the CA
// and the enrolment service recording their events in it, the OpenID
// provider (consents and disclosures logged), the resident service and
// API, and the portal, all on one httpapi.Server.
type env struct {
	t        testing.TB
	store    *sqlstore.Store
	keys     *keystore.Store
	log      *translog.Log
	ca       *credential.CA
	enrol    *enrol.Service
	rps      *rp.Service
	provider *oidc.Provider
	resident *resident.Service
	portal   *portal.Portal
	server   *httptest.Server
	issuer   string

	mu        sync.Mutex
	codes     map[string]string
	records   []document.AuthorityRecord
	authority *document.SimulatedAuthority
	liveness  *biometric.LivenessSigner
	people    int
}

// loginLimit is the per-account password limit of the env: small, so
// that a test reaches it.
const loginLimit = 5

func newEnv(t testing.TB, engine string) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := suite.New(suite.Intl)
	must(t, err)
	e := &env{t: t, codes: map[string]string{}}
	switch engine {
	case "sqlite":
		e.store, err = sqlite.Open(ctx, sqlite.Config{Dir: filepath.Join(dir, "db")})
	case "postgres":
		e.store, err = postgres.Open(ctx, postgres.Config{URL: pgtest.New(t), MaxOpenConns: 8})
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	must(t, err)
	t.Cleanup(func() { e.store.Close() })
	_, err = e.store.Migrate(ctx)
	must(t, err)
	e.keys, err = keystore.OpenDir(filepath.Join(dir, "keys"), s)
	must(t, err)
	_, err = e.keys.Bootstrap(ctx)
	must(t, err)

	// The issuer is the test server's address: listen first, serve later.
	var handler http.Handler
	e.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	e.issuer = "http://" + e.server.Listener.Addr().String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	clientAddr := func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }

	e.log, err = translog.New(strings.TrimPrefix(e.issuer, "http://")+"/translog",
		translog.Deps{Store: e.store, Tx: e.store, Keys: e.keys})
	must(t, err)
	e.ca, err = credential.NewCA(s, e.keys, e.store, credential.Config{BaseURL: e.issuer},
		credential.WithEvents(enrol.CertificateLog{Residents: e.store, Log: e.log}))
	must(t, err)
	e.enrol = e.newEnrolService(s, quiet)
	e.rps = rp.NewService(e.store)
	e.provider, err = oidc.NewProvider(oidc.Config{Issuer: e.issuer, ClientCacheTTL: -1}, oidc.Deps{
		Store: resident.ConsentLog{Store: e.store, Log: e.log}, RPs: e.store, Keys: e.keys, Residents: e.enrol,
		Disclosures: oidc.TranslogRecorder{Table: e.store, Log: e.log}, Suite: s, CA: e.ca,
	}, oidc.WithLogger(quiet), oidc.WithClientAddr(clientAddr))
	must(t, err)
	e.resident, err = resident.New(resident.Deps{
		Store: e.store, Suite: s, Residents: e.enrol, Accounts: e.store, Grants: e.store, Provider: e.provider,
		CA: e.ca, Certificates: e.store, Log: e.log, RPs: e.rps, Throttle: e.store,
	}, resident.Config{}, resident.WithLogger(quiet), resident.WithClientAddr(clientAddr))
	must(t, err)
	e.portal, err = portal.New(portal.Config{}, portal.Deps{Residents: e.resident, Keys: e.keys, Log: e.log, Platforms: e.rps},
		portal.WithLogger(quiet), portal.WithClientAddr(clientAddr))
	must(t, err)

	srv := httpapi.New(httpapi.DefaultConfig(), quiet)
	srv.MountTranslog(e.log)
	for _, routes := range []map[string]http.Handler{e.provider.Routes(), e.resident.Routes(), e.portal.Routes()} {
		for pattern, h := range routes {
			srv.Handle(pattern, h)
		}
	}
	handler = srv
	e.server.Start()
	t.Cleanup(e.server.Close)
	// The first checkpoint, as serve signs at start.
	_, err = e.log.Checkpoint(ctx)
	must(t, err)
	return e
}

// newEnrolService builds the real enrolment service, as serve does, with
// test parameters: cheap argon2id, generous address limits, the login
// limit per account of loginLimit.
func (e *env) newEnrolService(s suite.Suite, log *slog.Logger) *enrol.Service {
	t := e.t
	env := envelope.New(s, e.keys, e.store)
	phoneKey := make([]byte, phone.MinKeyLen)
	_, err := rand.Read(phoneKey)
	must(t, err)
	verifier, err := phone.New(e.store, phone.SenderFunc(e.sendSMS), phone.WithKey(phoneKey))
	must(t, err)
	hasher, err := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, 4,
		password.AllowWeakParams())
	must(t, err)
	extractor := biometric.NewAppearanceExtractor()
	matcher, err := biometric.NewCosineMatcher(extractor, biometric.AppearanceThreshold)
	must(t, err)
	detectorKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	e.liveness, err = biometric.NewLivenessSigner("test-detector", detectorKey)
	must(t, err)
	liveness, err := biometric.NewLivenessVerifier([]biometric.TrustedKey{e.liveness.TrustedKey()})
	must(t, err)
	e.resetAuthority()
	cfg := enrol.Config{
		StartPerAddress: throttle.Limit{Scope: "enrol-start", Max: 1000, Window: time.Hour},
		LoginPerAccount: throttle.Limit{Scope: "login-account", Max: loginLimit, Window: 15 * time.Minute},
		LoginPerAddress: throttle.Limit{Scope: "login-address", Max: 1000, Window: 15 * time.Minute},
	}
	svc, err := enrol.New(enrol.Deps{
		Store: e.store, Keys: e.keys, Envelope: env, Phone: verifier, Hasher: hasher,
		Policy: password.DefaultPolicy(), Matcher: matcher, Extractor: extractor, Liveness: liveness,
		Authority: authorityFunc(e.verifyAuthority), Issuer: e.ca, Throttle: e.store,
	}, cfg, enrol.WithLogger(log), enrol.WithEventLog(e.log))
	must(t, err)
	return svc
}

func (e *env) sendSMS(_ context.Context, m phone.Message) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.codes[m.BindingID] = m.Code
	return nil
}

// authorityFunc adapts a function to document.Authority, so that the env
// can register documents after the service is built.
type authorityFunc func(ctx context.Context, q document.AuthorityQuery) (document.AuthorityResult, error)

func (f authorityFunc) Verify(ctx context.Context, q document.AuthorityQuery) (document.AuthorityResult, error) {
	return f(ctx, q)
}

func (e *env) verifyAuthority(ctx context.Context, q document.AuthorityQuery) (document.AuthorityResult, error) {
	e.mu.Lock()
	a := e.authority
	e.mu.Unlock()
	return a.Verify(ctx, q)
}

func (e *env) resetAuthority() {
	a, err := document.NewSimulatedAuthority(&document.AuthorityRecords{Authority: "sim-mps", Records: e.records})
	must(e.t, err)
	e.authority = a
}

// person is an enrolled resident, as a test logs in with them.
type person struct {
	number, password, id, name string
	serial                     string
	// approval is a minor of 15 to 17's code for their guardian.
	approval string
}

// enrol enrols a resident through the real service: a resident ID card
// verified by the simulated authority, a phone code, a live face, a
// password, completion with a device key.
func (e *env) enrolPerson(name string, age int) person {
	t := e.t
	t.Helper()
	ctx := context.Background()
	e.mu.Lock()
	e.people++
	seq := e.people
	e.mu.Unlock()
	birth := document.NewDate(time.Now().AddDate(-age, 0, -3))
	number, err := testdoc.ResidentIDNumber("110105", birth, "F", seq)
	must(t, err)
	e.mu.Lock()
	e.records = append(e.records, document.AuthorityRecord{DocType: document.ResidentIDCard, Number: number, Name: name,
		BirthDate: birth, Sex: "F", Status: document.StatusValid})
	e.resetAuthority()
	e.mu.Unlock()
	st, err := e.enrol.Start(ctx, enrol.StartRequest{ClientAddr: "192.0.2.1", Evidence: enrol.Evidence{
		Authority: &enrol.AuthorityEvidence{DocType: document.ResidentIDCard, Number: number, Name: name, BirthDate: birth}}})
	must(t, err)
	mobile := fmt.Sprintf("+86138%08d", seq)
	_, err = e.enrol.SendPhoneCode(ctx, st.ID, st.Token, mobile)
	must(t, err)
	e.mu.Lock()
	code := e.codes[st.ID]
	e.mu.Unlock()
	must(t, e.enrol.VerifyPhone(ctx, st.ID, st.Token, mobile, code))
	challenge, err := e.enrol.FaceChallenge(ctx, st.ID, st.Token)
	must(t, err)
	img, err := testdoc.Portrait(uint64(seq))
	must(t, err)
	capture := biometric.Capture{Image: img, Format: biometric.FormatJPEG}
	capture.Liveness, err = e.liveness.Attest(biometric.LivenessStatement{Challenge: challenge, Capture: capture,
		Score: 0.99, Threshold: 0.5, IssuedAt: time.Now()})
	must(t, err)
	_, err = e.enrol.SubmitFace(ctx, st.ID, st.Token, capture, false)
	must(t, err)
	pw := fmt.Sprintf("violet-harbour-lantern-%d", seq)
	must(t, e.enrol.SetPassword(ctx, st.ID, st.Token, pw))
	device, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	csr, err := credential.CreateCSR(rand.Reader, device, st.CSRNonce)
	must(t, err)
	done, err := e.enrol.Complete(ctx, st.ID, st.Token, csr)
	must(t, err)
	return person{number: string(done.InternetNumber), password: pw, id: done.ResidentID, name: name, serial: done.Serial,
		approval: done.GuardianApprovalCode}
}

// must fails t at once on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
