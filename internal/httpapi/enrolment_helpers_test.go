package httpapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
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
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/throttle"
)

// enPassword passes the password policy.
const enPassword = "correct horse battery staple 42"

// enClock is a settable clock shared by every component of an enEnv.
type enClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *enClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// enSMS records the codes the phone verifier sends, by enrolment id.
type enSMS struct {
	mu    sync.Mutex
	codes map[string]string
}

func (s *enSMS) send(_ context.Context, m phone.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[m.BindingID] = m.Code
	return nil
}

func (s *enSMS) code(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codes[id]
}

// enLogs collects every log line of the server, so that a test can check
// that no secret reached them.
type enLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *enLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *enLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// enEnv is the enrolment API over real dependencies, served by an
// httptest.Server: a SQLite store in a temporary directory, a file key
// store, the envelope, the phone verifier with a capturing sender, an
// argon2id hasher with test parameters, the built-in face matcher with a
// development liveness signer, a TEST document issuer trusted through a
// trust directory, the simulated document authority and the real CA.
type enEnv struct {
	t         *testing.T
	suite     suite.Suite
	clock     *enClock
	store     *sqlstore.Store
	svc       *enrol.Service
	ca        *credential.CA
	sms       *enSMS
	issuer    *testdoc.Issuer
	liveness  *biometric.LivenessSigner
	authority *document.SimulatedAuthority
	server    *Server
	http      *httptest.Server
	logs      *enLogs
	doc       map[string]any
	card      enCard
}

// enCard is the resident identity card the simulated authority knows.
type enCard struct {
	name, number string
	birth        document.Date
}

// enConfig has generous rate limits, so that tests that enrol many people
// from one address are not throttled unless they mean to be.
func enConfig() enrol.Config {
	return enrol.Config{
		StartPerAddress: throttle.Limit{Scope: "enrol-start", Max: 1000, Window: time.Hour},
		LoginPerAccount: throttle.Limit{Scope: "login-account", Max: 5, Window: 15 * time.Minute},
		LoginPerAddress: throttle.Limit{Scope: "login-address", Max: 1000, Window: 15 * time.Minute},
	}
}

func newEnEnv(t *testing.T, suiteName string, cfg enrol.Config) *enEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := suite.New(suite.Name(suiteName))
	if err != nil {
		t.Fatal(err)
	}
	clk := &enClock{t: time.Now().UTC().Truncate(time.Second)}
	st, err := sqlite.Open(ctx, sqlite.Config{Dir: filepath.Join(dir, "db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := keystore.OpenDir(filepath.Join(dir, "keys"), s, keystore.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	e := &enEnv{t: t, suite: s, clock: clk, store: st, sms: &enSMS{codes: map[string]string{}}, logs: &enLogs{}}
	env := envelope.New(s, keys, st, envelope.WithClock(clk.Now))

	phoneKey := make([]byte, phone.MinKeyLen)
	if _, err := rand.Read(phoneKey); err != nil {
		t.Fatal(err)
	}
	verifier, err := phone.New(st, phone.SenderFunc(e.sms.send), phone.WithKey(phoneKey), phone.WithClock(clk.Now))
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
	if e.issuer, err = testdoc.NewIssuer(suiteName, "CN"); err != nil {
		t.Fatal(err)
	}
	trustDir := filepath.Join(dir, "trust")
	if err := e.issuer.WriteTrust(trustDir); err != nil {
		t.Fatal(err)
	}
	trust, err := emrtd.LoadTrustDir(trustDir, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The authority knows one resident identity card, of an adult.
	e.card = enCard{name: "测试大人", birth: e.birthForAge(40)}
	if e.card.number, err = testdoc.ResidentIDNumber("110105", e.card.birth, "M", 1); err != nil {
		t.Fatal(err)
	}
	e.authority, err = document.NewSimulatedAuthority(&document.AuthorityRecords{Authority: "sim-mps",
		Records: []document.AuthorityRecord{{DocType: document.ResidentIDCard, Number: e.card.number, Name: e.card.name,
			BirthDate: e.card.birth, Sex: "M", Status: document.StatusValid}}},
		document.WithSimulatedClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if e.ca, err = credential.NewCA(s, keys, st, credential.Config{BaseURL: "https://id.example.test"}, credential.WithClock(clk.Now)); err != nil {
		t.Fatal(err)
	}
	log := slog.New(LogHandler(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e.svc, err = enrol.New(enrol.Deps{
		Store: st, Keys: keys, Envelope: env, Phone: verifier, Hasher: hasher,
		Policy: password.DefaultPolicy(), Matcher: matcher, Extractor: extractor, Liveness: liveness,
		Trust: trust, Authority: e.authority, Issuer: e.ca, Throttle: st,
	}, cfg, enrol.WithClock(clk.Now), enrol.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	e.server = New(DefaultConfig(), log)
	e.server.MountEnrolment(EnrolmentAPI{Enrol: e.svc, CA: e.ca})
	e.http = httptest.NewServer(e.server)
	t.Cleanup(e.http.Close)
	if err := json.Unmarshal(openAPIDocument, &e.doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return e
}

// enResponse is a response read whole.
type enResponse struct {
	status int
	header http.Header
	body   []byte
}

// into decodes a JSON success body strictly: a member the test's type
// does not know is a difference between the handler and the contract.
func (r enResponse) into(t *testing.T, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json (status %d, body %s)", ct, r.status, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r enResponse) problem(t *testing.T) Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decoding problem %s: %v", r.body, err)
	}
	return p
}

// want fails the test unless the response has status.
func (r enResponse) want(t *testing.T, status int) enResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// call sends body (nil for none, a string as is, anything else as JSON)
// as application/json, with the bearer token when not empty.
func (e *enEnv) call(method, path, token string, body any) enResponse {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// do sends req and checks that the status is documented for its route in
// openapi.json.
func (e *enEnv) do(req *http.Request) enResponse {
	e.t.Helper()
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.checkDocumented(req.Method, req.URL.Path, res.StatusCode)
	return enResponse{status: res.StatusCode, header: res.Header, body: b}
}

// checkDocumented fails the test when the route of method and path answered
// a status its operation in openapi.json does not list.
func (e *enEnv) checkDocumented(method, path string, status int) {
	e.t.Helper()
	lookup := httptest.NewRequest(method, path, nil)
	_, pattern := e.server.mux.Handler(lookup)
	m, p, ok := strings.Cut(pattern, " ")
	if !ok || !strings.HasPrefix(p, "/v1/") {
		return
	}
	op, _ := docLookup(e.doc, "paths", p, strings.ToLower(m)).(map[string]any)
	responses, _ := op["responses"].(map[string]any)
	if _, ok := responses[itoa(int64(status))]; !ok {
		e.t.Errorf("%s answered %d, which openapi.json does not list for it", pattern, status)
	}
}

// docLookup walks a decoded JSON document by member names.
func docLookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
