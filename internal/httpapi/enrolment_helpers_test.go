package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/rp"
)

// enPassword passes the password policy.
const enPassword = "correct horse battery staple 42"

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

// enEnv is the enrolment API and the presentation route over real
// dependencies (enroltest.Env), served by an httptest.Server, with the
// Service and the server logging to logs.
type enEnv struct {
	*enroltest.Env
	t      *testing.T
	server *Server
	http   *httptest.Server
	logs   *enLogs
	doc    map[string]any
	// card is the resident identity card the simulated authority knows,
	// of an adult.
	card enroltest.IDCard
}

// newEnEnv builds an enEnv; with no options, the intl suite on SQLite with
// enroltest.DefaultConfig.
func newEnEnv(t *testing.T, opts ...enroltest.Option) *enEnv {
	t.Helper()
	logs := &enLogs{}
	log := slog.New(LogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e := &enEnv{t: t, logs: logs, Env: enroltest.New(t, append(opts, enroltest.WithLogger(log))...)}
	e.card = e.RegisterIDCard("测试大人", e.BirthForAge(40), "M", 1)
	e.server = New(DefaultConfig(), log)
	e.server.MountEnrolment(EnrolmentAPI{Enrol: e.Service, CA: e.CA})
	// The presentation route too, so that the mux holds every route
	// openapi.json documents (no relying party is registered here;
	// presentation_test.go covers the verification itself).
	e.server.MountPresentations(PresentationAPI{Suite: e.Suite, CA: e.CA, Certificates: e.Store,
		RPs: rp.NewService(e.Store), Subjects: testSubjects{}, Now: e.Clock.Now})
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
