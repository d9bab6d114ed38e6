package resident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/resident/residenttest"
	"github.com/netid/netid/internal/translog"
)

// engines are the storage engines every HTTP test runs on.
var engines = []string{"sqlite", "postgres"}

// forEachEngine runs fn as a subtest on a fresh service of each engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *residenttest.Env)) {
	t.Helper()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { fn(t, residenttest.New(t, enroltest.WithEngine(engine))) })
	}
}

// response is what a call got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes a problem body.
func (r response) problem(t *testing.T) (slug, detail string) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.body)
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != r.status {
		t.Errorf("problem status %d, response %d", p.Status, r.status)
	}
	return strings.TrimPrefix(p.Type, "urn:netid:problem:"), p.Detail
}

// decode decodes a JSON body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// call sends one request to the service with token as bearer (none when
// empty) and body as JSON (none when nil; raw bytes as they are).
func call(t *testing.T, e *residenttest.Env, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" && strings.HasPrefix(path, "/v1/me") {
		t.Errorf("%s %s: Cache-Control %q, want no-store", method, path, cc)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// want fails t unless r has status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// wantProblem fails t unless r is a problem of status and slug.
func (r response) wantProblem(t *testing.T, status int, slug string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if got, detail := r.problem(t); got != slug {
		t.Fatalf("problem %q (%s), want %q", got, detail, slug)
	}
}

// login signs p in with the password and returns the session token.
func login(t *testing.T, e *residenttest.Env, p residenttest.Person) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{
		"username": string(p.InternetNumber), "password": p.Password}).want(t, http.StatusCreated).decode(t, &s)
	if s.Token == "" {
		t.Fatal("sign-in answered no token")
	}
	return s.Token
}

// walletLogin signs p in with the wallet and returns the session token.
func walletLogin(t *testing.T, e *residenttest.Env, p residenttest.Person) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
		Level string `json:"level"`
	}
	call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{
		"presentation": e.Presentation(t, p, challenge(t, e))}).want(t, http.StatusCreated).decode(t, &s)
	if s.Level != "substantial" {
		t.Errorf("wallet sign-in level %q, want substantial", s.Level)
	}
	return s.Token
}

// challenge fetches a sign-in challenge.
func challenge(t *testing.T, e *residenttest.Env) string {
	t.Helper()
	var c struct {
		Challenge string `json:"challenge"`
		Audience  string `json:"audience"`
	}
	call(t, e, http.MethodGet, "/v1/me/challenge", "", nil).want(t, http.StatusOK).decode(t, &c)
	if c.Challenge == "" || c.Audience != "netid:resident" {
		t.Fatalf("challenge %+v", c)
	}
	return c.Challenge
}

// logEntries returns every entry of resident id's log, straight from the
// log (not through the API).
func logEntries(t *testing.T, e *residenttest.Env, id string) []translog.Entry {
	t.Helper()
	ctx := context.Background()
	lid, err := e.Log.LogID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := e.Log.Entries(ctx, lid, 0, translog.MaxListing)
	if err != nil {
		t.Fatal(err)
	}
	var out []translog.Entry
	for _, r := range recs {
		l, err := translog.DecodeLeaf(r.Leaf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Entry)
	}
	return out
}

// hasEntry reports whether es holds an entry of kind and event (any event
// when empty).
func hasEntry(es []translog.Entry, kind translog.Kind, event translog.Event) bool {
	for _, e := range es {
		if e.Kind == kind && (event == "" || e.Event == event) {
			return true
		}
	}
	return false
}
