package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/translog"
)

const testOrigin = "id.example.test/translog"

// translogEnv is a real log on SQLite behind the routes of MountTranslog.
type translogEnv struct {
	t     *testing.T
	log   *translog.Log
	suite suite.Suite
	srv   *httptest.Server
	n     int
}

func newTranslogEnv(t *testing.T) *translogEnv {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keystore.OpenDir(filepath.Join(t.TempDir(), "keys"), st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := translog.New(testOrigin, translog.Deps{Store: s, Tx: s, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv.MountTranslog(l)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &translogEnv{t: t, log: l, suite: st, srv: hs}
}

// appendN appends n disclosure entries of resident "r-1".
func (e *translogEnv) appendN(n int) {
	e.t.Helper()
	for range n {
		e.n++
		_, err := e.log.Append(context.Background(), "r-1", translog.Entry{
			ID: fmt.Sprintf("d-%d", e.n), Kind: translog.KindDisclosure, Time: time.Unix(1_750_000_000+int64(e.n), 0),
			ClientID: "rp-01", Level: translog.LevelLow, Event: translog.EventAuthorizationCode,
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *translogEnv) get(path string) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, body
}

// auditor builds an Auditor from /translog/keys, as a witness does.
func (e *translogEnv) auditor() *translog.Auditor {
	e.t.Helper()
	resp, body := e.get("/translog/keys")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		e.t.Fatalf("GET /translog/keys = %d %s, want 200 text/plain; charset=utf-8", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var vs []note.Verifier
	for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		v, err := translog.ParseVerifierKey(line)
		if err != nil {
			e.t.Fatalf("ParseVerifierKey(%q) error = %v", line, err)
		}
		vs = append(vs, v)
	}
	a, err := translog.NewAuditor(e.suite, testOrigin, vs...)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// checkpoint signs a checkpoint and fetches and verifies it over HTTP.
func (e *translogEnv) checkpoint(a *translog.Auditor) translog.Checkpoint {
	e.t.Helper()
	if _, err := e.log.Checkpoint(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	resp, body := e.get("/translog/checkpoint")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		e.t.Fatalf("GET /translog/checkpoint = %d %s, want 200 text/plain; charset=utf-8", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cp, err := a.VerifyCheckpoint(body)
	if err != nil {
		e.t.Fatalf("VerifyCheckpoint() error = %v", err)
	}
	return cp
}

func (e *translogEnv) proof(path string) [][]byte {
	e.t.Helper()
	resp, body := e.get(path)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s = %d %s, want 200", path, resp.StatusCode, body)
	}
	var pr ProofResponse
	if err := json.Unmarshal(body, &pr); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	return pr.Proof
}

// TestTranslogRoutes follows a witness: keys, a checkpoint, more entries,
// a second checkpoint, the consistency proof between them, and the
// inclusion proof of a resident's entry.
func TestTranslogRoutes(t *testing.T) {
	e := newTranslogEnv(t)
	ctx := context.Background()

	if resp, body := e.get("/translog/checkpoint"); resp.StatusCode != http.StatusNotFound ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET /translog/checkpoint before any = %d %s, want a 404 problem", resp.StatusCode, body)
	}

	a := e.auditor()
	e.appendN(3)
	older := e.checkpoint(a)
	if older.Size != 3 {
		t.Fatalf("first checkpoint size = %d, want 3", older.Size)
	}
	e.appendN(4)
	newer := e.checkpoint(a)
	if newer.Size != 7 {
		t.Fatalf("second checkpoint size = %d, want 7", newer.Size)
	}

	p := e.proof(fmt.Sprintf("/translog/consistency?old=%d&new=%d", older.Size, newer.Size))
	if err := a.VerifyConsistency(older, newer, p); err != nil {
		t.Errorf("VerifyConsistency() error = %v, want nil", err)
	}
	// A proof for other sizes does not pass for these.
	wrong := e.proof(fmt.Sprintf("/translog/consistency?old=%d&new=%d", 2, newer.Size))
	if err := a.VerifyConsistency(older, newer, wrong); err == nil {
		t.Errorf("VerifyConsistency() with the proof from 2 = nil, want an error")
	}

	id, err := e.log.LogID(ctx, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := e.log.Entries(ctx, id, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 {
		t.Fatalf("Entries() = %d records, want 7", len(recs))
	}
	for _, r := range []translog.Record{recs[0], recs[4], recs[6]} {
		p := e.proof(fmt.Sprintf("/translog/inclusion?index=%d&size=%d", r.Index, newer.Size))
		if err := a.VerifyEntryInclusion(r, p, newer); err != nil {
			t.Errorf("VerifyEntryInclusion(leaf %d) error = %v, want nil", r.Index, err)
		}
	}
	// Leaf 1 in the older tree, proved against the older checkpoint.
	p = e.proof(fmt.Sprintf("/translog/inclusion?index=%d&size=%d", recs[1].Index, older.Size))
	if err := a.VerifyEntryInclusion(recs[1], p, older); err != nil {
		t.Errorf("VerifyEntryInclusion(leaf 1 in 3) error = %v, want nil", err)
	}
}

// TestTranslogBadParameters: every bad query is a 400 problem, never a
// 500.
func TestTranslogBadParameters(t *testing.T) {
	e := newTranslogEnv(t)
	e.appendN(5)
	if _, err := e.log.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query    string
		wantType string
	}{
		{"/translog/consistency", "bad-parameter"},
		{"/translog/consistency?old=1", "bad-parameter"},
		{"/translog/consistency?old=&new=3", "bad-parameter"},
		{"/translog/consistency?old=-1&new=3", "bad-parameter"},
		{"/translog/consistency?old=%2B1&new=3", "bad-parameter"},
		{"/translog/consistency?old=01&new=3", "bad-parameter"},
		{"/translog/consistency?old=1&new=3&new=4", "bad-parameter"},
		{"/translog/consistency?old=1&new=0x3", "bad-parameter"},
		{"/translog/consistency?old=1&new=9223372036854775808", "bad-parameter"},
		{"/translog/consistency?old=1&new=99999999999999999999999", "bad-parameter"},
		{"/translog/consistency?old=1&new=6", "out-of-range"},
		{"/translog/consistency?old=4&new=3", "out-of-range"},
		{"/translog/consistency?old=1&new=9223372036854775807", "out-of-range"},
		{"/translog/inclusion?index=1", "bad-parameter"},
		{"/translog/inclusion?index=a&size=3", "bad-parameter"},
		{"/translog/inclusion?index=1.0&size=3", "bad-parameter"},
		{"/translog/inclusion?index=3&size=3", "out-of-range"},
		{"/translog/inclusion?index=0&size=0", "out-of-range"},
		{"/translog/inclusion?index=0&size=6", "out-of-range"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, body := e.get(tt.query)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d (%s), want 400", resp.StatusCode, body)
			}
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if got, want := p.Type, ProblemTypeBase+tt.wantType; got != want {
				t.Errorf("problem type = %q, want %q", got, want)
			}
		})
	}
	// The edges that are valid: empty proofs.
	for _, q := range []string{"/translog/consistency?old=0&new=5", "/translog/consistency?old=5&new=5"} {
		if p := e.proof(q); len(p) != 0 {
			t.Errorf("GET %s = %d hashes, want none", q, len(p))
		}
	}
}

// FuzzTreeParam: the query parser accepts exactly canonical decimals below
// 2^63, and never panics.
func FuzzTreeParam(f *testing.F) {
	for _, s := range []string{"0", "1", "01", "", "-1", "+1", "9223372036854775807", "9223372036854775808",
		"18446744073709551616", "1e3", " 1", "１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := treeParam(url.Values{"x": {s}}, "x")
		if err != nil {
			return
		}
		if got := fmt.Sprint(n); got != s {
			t.Errorf("treeParam(%q) = %d, which prints as %q: not canonical", s, n, got)
		}
		if n > maxTreeParam {
			t.Errorf("treeParam(%q) = %d, want below 2^63", s, n)
		}
	})
}
