package admin_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/throttle"
	"github.com/netid/netid/internal/translog"
)

// engines are the store engines every end-to-end test runs on. PostgreSQL
// comes from pgtest, which skips outside CI when no server is configured
// and fails in CI.
var engines = []string{"sqlite", "postgres"}

// env is the admin API served over HTTP by the real middleware, on a real
// store with real enrolment, CA and transparency log (enroltest).
type env struct {
	t      *testing.T
	e      *enroltest.Env
	svc    *admin.Service
	rps    *rp.Service
	server *httptest.Server
	// token is a valid admin token named "alice".
	token string

	mu     sync.Mutex
	people int
}

// failureLimit is the API's throttle in tests: small, so that a test
// reaches it.
var failureLimit = throttle.Limit{Scope: "admin-auth", Max: 3, Window: time.Hour}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	e := enroltest.New(t, enroltest.WithEngine(engine))
	quiet := slog.New(slog.DiscardHandler)
	rps := rp.NewService(e.Store, rp.WithClock(e.Clock.Now))
	// The service's clock is the env's plus a millisecond per reading, so
	// that the audit trail of a test, ordered by time, is in the order of
	// its actions.
	var ticks atomic.Int64
	now := func() time.Time { return e.Clock.Now().Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
	svc, err := admin.New(admin.Deps{Store: e.Store, Stats: e.Store, RPs: rps, CA: e.CA, Certificates: e.Store,
		Residents: e.Store, Identities: e.Service, Log: e.Log}, admin.Config{},
		admin.WithClock(now), admin.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	api, err := admin.NewAPI(svc, e.Store, e.Keys, admin.WithFailureLimit(failureLimit),
		admin.WithAPIClock(e.Clock.Now), admin.WithAPILogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Config{MaxBodyBytes: 64 << 10, ReadyTimeout: time.Second}, quiet)
	for pattern, h := range api.Routes() {
		srv.Handle(pattern, h)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	_, token, err := svc.CreateToken(context.Background(), operator, "alice")
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, e: e, svc: svc, rps: rps, server: ts, token: token}
}

// operator is the actor of the commands tests run directly.
var operator = admin.Actor{Name: "local:test", Channel: admin.ChannelCommand}

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes a problem+json body, failing the test if it is not one.
func (r response) problem(t *testing.T) httpapi.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	if p.Status != r.status {
		t.Errorf("problem status %d, HTTP status %d", p.Status, r.status)
	}
	return p
}

// decode decodes a JSON body into v, failing the test on another status
// than want.
func (r response) decode(t *testing.T, want int, v any) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
}

// do sends a request with the token (empty: no Authorization header) and
// the body as JSON (a string is sent as is).
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.server.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// call is do with the valid token.
func (e *env) call(method, path string, body any) response {
	e.t.Helper()
	return e.do(method, path, e.token, body)
}

// audit returns the whole audit trail.
func (e *env) audit() []admin.AuditRecord {
	e.t.Helper()
	recs, err := e.svc.Audit(context.Background(), time.Time{}, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// lastAudit returns the newest audit record.
func (e *env) lastAudit() admin.AuditRecord {
	e.t.Helper()
	recs := e.audit()
	if len(recs) == 0 {
		e.t.Fatal("the audit trail is empty")
	}
	return recs[len(recs)-1]
}

// wantAudit checks the newest audit record.
func (e *env) wantAudit(admin_ string, action admin.Action, target string, outcome admin.Outcome) {
	e.t.Helper()
	r := e.lastAudit()
	if r.Admin != admin_ || r.Action != action || r.Target != target || r.Outcome != outcome {
		e.t.Errorf("last audit record = %s %s %s %s (%s), want %s %s %s %s",
			r.Admin, r.Action, r.Target, r.Outcome, r.Detail, admin_, action, target, outcome)
	}
}

// treeSize is the size of the transparency log.
func (e *env) treeSize() uint64 {
	e.t.Helper()
	st, err := e.e.Store.TranslogState(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st.Size
}

// logged returns the entry with id from the transparency log.
func (e *env) logged(id string) (translog.Entry, bool) {
	e.t.Helper()
	l, err := e.e.Store.TranslogLeafByEntryID(context.Background(), id)
	if err != nil {
		return translog.Entry{}, false
	}
	leaf, err := translog.DecodeLeaf(l.Leaf)
	if err != nil {
		e.t.Fatal(err)
	}
	return leaf.Entry, true
}

// resident is an enrolled resident.
type resident struct {
	id, number, serial, name string
}

// enrol enrols a resident through the real service: a resident ID card the
// simulated authority knows, a phone code, a live face, a password, and
// completion with a device key, which issues the certificate.
func (e *env) enrol(name string) resident {
	t := e.t
	t.Helper()
	ctx := context.Background()
	e.mu.Lock()
	e.people++
	seq := e.people
	e.mu.Unlock()
	card := e.e.RegisterIDCard(name, e.e.BirthForAge(30+seq), "F", seq)
	st, err := e.e.Service.Start(ctx, enrol.StartRequest{Evidence: enrol.Evidence{Authority: card.Evidence()}, ClientAddr: "192.0.2.1"})
	if err != nil {
		t.Fatalf("enrol %s: Start() error = %v", name, err)
	}
	mobile := fmt.Sprintf("+86138%08d", seq)
	if _, err := e.e.Service.SendPhoneCode(ctx, st.ID, st.Token, mobile); err != nil {
		t.Fatalf("enrol %s: SendPhoneCode() error = %v", name, err)
	}
	if err := e.e.Service.VerifyPhone(ctx, st.ID, st.Token, mobile, e.e.SMS.Code(st.ID)); err != nil {
		t.Fatalf("enrol %s: VerifyPhone() error = %v", name, err)
	}
	challenge, err := e.e.Service.FaceChallenge(ctx, st.ID, st.Token)
	if err != nil {
		t.Fatal(err)
	}
	capture := e.e.Attest(enroltest.LiveCapture(t, uint64(100+seq), 1), challenge, 0.99)
	if _, err := e.e.Service.SubmitFace(ctx, st.ID, st.Token, capture, false); err != nil {
		t.Fatalf("enrol %s: SubmitFace() error = %v", name, err)
	}
	if err := e.e.Service.SetPassword(ctx, st.ID, st.Token, fmt.Sprintf("violet-harbour-lantern-%d", seq)); err != nil {
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
	done, err := e.e.Service.Complete(ctx, st.ID, st.Token, csr)
	if err != nil {
		t.Fatalf("enrol %s: Complete() error = %v", name, err)
	}
	return resident{id: done.ResidentID, number: string(done.InternetNumber), serial: done.Serial, name: name}
}

// forEachEngine runs fn on every engine, each with a fresh env.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { fn(t, newEnv(t, engine)) })
	}
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readResponse reads res whole.
func readResponse(t *testing.T, res *http.Response) response {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}
