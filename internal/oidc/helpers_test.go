package oidc_test

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
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/throttle"
)

// engines are the storage engines every flow test runs on.
var engines = []string{"sqlite", "postgres"}

// forEachEngine runs fn as a subtest on each engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { fn(t, newEnv(t, engine)) })
	}
}

// clock is a settable clock shared by every component of an env. It
// starts at the real time, because the relying parties' client libraries
// check token times against their own clocks.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running netid OpenID provider over real dependencies: a store
// (SQLite in a temporary directory, or a fresh PostgreSQL database), a file
// key store, the real enrolment service (with the simulated document
// authority, a capturing SMS sender, a development liveness detector), the
// relying-party registry, and the provider mounted on httpapi.Server behind
// an httptest server.
type env struct {
	t        testing.TB
	clock    *clock
	store    *sqlstore.Store
	keys     *keystore.Store
	enrol    *enrol.Service
	ca       *credential.CA
	rps      *rp.Service
	provider *oidc.Provider
	server   *httptest.Server
	issuer   string

	mu        sync.Mutex
	codes     map[string]string
	records   []document.AuthorityRecord
	authority *document.SimulatedAuthority
	liveness  *biometric.LivenessSigner
	people    int
}

func newEnv(t testing.TB, engine string, opts ...func(*oidc.Config)) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, codes: map[string]string{}}
	switch engine {
	case "sqlite":
		e.store, err = sqlite.Open(ctx, sqlite.Config{Dir: filepath.Join(dir, "db")})
	case "postgres":
		e.store, err = postgres.Open(ctx, postgres.Config{URL: pgtest.New(t), MaxOpenConns: 8})
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	if _, err := e.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if e.keys, err = keystore.OpenDir(filepath.Join(dir, "keys"), s, keystore.WithClock(e.clock.Now)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.keys.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	e.enrol = e.newEnrolService(s)
	e.rps = rp.NewService(e.store, rp.WithClock(e.clock.Now))

	// The issuer must be known before the provider is built, and it is
	// the test server's address: listen first, serve later.
	var handler http.Handler
	e.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	e.issuer = "http://" + e.server.Listener.Addr().String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := oidc.Config{Issuer: e.issuer, ClientCacheTTL: -1}
	for _, o := range opts {
		o(&cfg)
	}
	e.provider, err = oidc.NewProvider(cfg, oidc.Deps{
		Store: e.store, RPs: e.store, Keys: e.keys, Residents: e.enrol, Suite: s, CA: e.ca,
	}, oidc.WithClock(e.clock.Now), oidc.WithLogger(quiet),
		oidc.WithClientAddr(func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.DefaultConfig(), quiet)
	for pattern, h := range e.provider.Routes() {
		srv.Handle(pattern, h)
	}
	handler = srv
	e.server.Start()
	t.Cleanup(e.server.Close)
	return e
}

// newEnrolService builds the real enrolment service, as serve does, with
// test parameters: cheap argon2id, generous address limits.
func (e *env) newEnrolService(s suite.Suite) *enrol.Service {
	t := e.t
	env := envelope.New(s, e.keys, e.store, envelope.WithClock(e.clock.Now))
	phoneKey := make([]byte, phone.MinKeyLen)
	if _, err := rand.Read(phoneKey); err != nil {
		t.Fatal(err)
	}
	verifier, err := phone.New(e.store, phone.SenderFunc(e.sendSMS), phone.WithKey(phoneKey), phone.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, 4,
		password.AllowWeakParams())
	if err != nil {
		t.Fatal(err)
	}
	extractor := biometric.NewAppearanceExtractor()
	matcher, err := biometric.NewCosineMatcher(extractor, biometric.AppearanceThreshold)
	if err != nil {
		t.Fatal(err)
	}
	detectorKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if e.liveness, err = biometric.NewLivenessSigner("test-detector", detectorKey); err != nil {
		t.Fatal(err)
	}
	liveness, err := biometric.NewLivenessVerifier([]biometric.TrustedKey{e.liveness.TrustedKey()})
	if err != nil {
		t.Fatal(err)
	}
	e.resetAuthority()
	ca, err := credential.NewCA(s, e.keys, e.store, credential.Config{BaseURL: "https://id.example.test"},
		credential.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	e.ca = ca
	cfg := enrol.Config{
		StartPerAddress: throttle.Limit{Scope: "enrol-start", Max: 1000, Window: time.Hour},
		LoginPerAccount: throttle.Limit{Scope: "login-account", Max: 5, Window: 15 * time.Minute},
		LoginPerAddress: throttle.Limit{Scope: "login-address", Max: 1000, Window: 15 * time.Minute},
	}
	svc, err := enrol.New(enrol.Deps{
		Store: e.store, Keys: e.keys, Envelope: env, Phone: verifier, Hasher: hasher,
		Policy: password.DefaultPolicy(), Matcher: matcher, Extractor: extractor, Liveness: liveness,
		Authority: authorityFunc(e.verifyAuthority), Issuer: ca, Throttle: e.store,
	}, cfg, enrol.WithClock(e.clock.Now), enrol.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
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
	a, err := document.NewSimulatedAuthority(&document.AuthorityRecords{Authority: "sim-mps", Records: e.records},
		document.WithSimulatedClock(e.clock.Now))
	if err != nil {
		e.t.Fatal(err)
	}
	e.authority = a
}

// resident is an enrolled resident, as a test logs in with it, with what
// its wallet holds: the device key, the certificate and the dynamic-code
// secret.
type resident struct {
	number   string
	password string
	id       string
	name     string
	birth    document.Date
	device   *ecdsa.PrivateKey
	cert     []byte // DER
	serial   string
	dynamic  []byte
}

// enrolResident enrols a resident through the real service: a resident ID
// card verified by the simulated authority, a phone code, a live face, a
// password, completion with a device key.
func (e *env) enrolResident(name string, age int) resident {
	t := e.t
	t.Helper()
	ctx := context.Background()
	e.mu.Lock()
	e.people++
	seq := e.people
	e.mu.Unlock()
	birth := document.NewDate(e.clock.Now().AddDate(-age, 0, -3))
	number, err := testdoc.ResidentIDNumber("110105", birth, "F", seq)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.records = append(e.records, document.AuthorityRecord{DocType: document.ResidentIDCard, Number: number, Name: name,
		BirthDate: birth, Sex: "F", Status: document.StatusValid})
	e.resetAuthority()
	e.mu.Unlock()
	st, err := e.enrol.Start(ctx, enrol.StartRequest{ClientAddr: "192.0.2.1", Evidence: enrol.Evidence{
		Authority: &enrol.AuthorityEvidence{DocType: document.ResidentIDCard, Number: number, Name: name, BirthDate: birth}}})
	if err != nil {
		t.Fatalf("enrol %s: Start() error = %v", name, err)
	}
	mobile := fmt.Sprintf("+86138%08d", seq)
	if _, err := e.enrol.SendPhoneCode(ctx, st.ID, st.Token, mobile); err != nil {
		t.Fatalf("enrol %s: SendPhoneCode() error = %v", name, err)
	}
	e.mu.Lock()
	code := e.codes[st.ID]
	e.mu.Unlock()
	if err := e.enrol.VerifyPhone(ctx, st.ID, st.Token, mobile, code); err != nil {
		t.Fatalf("enrol %s: VerifyPhone() error = %v", name, err)
	}
	challenge, err := e.enrol.FaceChallenge(ctx, st.ID, st.Token)
	if err != nil {
		t.Fatal(err)
	}
	img, err := testdoc.Portrait(uint64(seq))
	if err != nil {
		t.Fatal(err)
	}
	capture := biometric.Capture{Image: img, Format: biometric.FormatJPEG}
	if capture.Liveness, err = e.liveness.Attest(biometric.LivenessStatement{Challenge: challenge, Capture: capture,
		Score: 0.99, Threshold: 0.5, IssuedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.enrol.SubmitFace(ctx, st.ID, st.Token, capture, false); err != nil {
		t.Fatalf("enrol %s: SubmitFace() error = %v", name, err)
	}
	pw := fmt.Sprintf("violet-harbour-lantern-%d", seq)
	if err := e.enrol.SetPassword(ctx, st.ID, st.Token, pw); err != nil {
		t.Fatalf("enrol %s: SetPassword() error = %v", name, err)
	}
	device, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := credential.CreateCSR(rand.Reader, device, st.CSRNonce)
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.enrol.Complete(ctx, st.ID, st.Token, csr)
	if err != nil {
		t.Fatalf("enrol %s: Complete() error = %v", name, err)
	}
	return resident{number: string(done.InternetNumber), password: pw, id: done.ResidentID, name: name, birth: birth,
		device: device, cert: done.Certificate, serial: done.Serial, dynamic: done.DynamicCodeSecret}
}
