package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/store"
)

func newTestServer(t *testing.T, logs io.Writer, opts ...Option) *Server {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	log := slog.New(LogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 64
	s := New(cfg, log, opts...)
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			WriteError(w, r, log, err)
			return
		}
		_, _ = w.Write(b)
	}))
	s.Handle("GET /panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	s.Handle("GET /missing", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, log, store.ErrNotFound)
	}))
	s.Handle("GET /secret-failure", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, log, errors.New("db password hunter2 rejected"))
	}))
	return s
}

func decodeProblem(t *testing.T, res *http.Response) Problem {
	t.Helper()
	if got := res.Header.Get("Content-Type"); got != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", got)
	}
	var p Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatalf("decoding problem: %v", err)
	}
	return p
}

func TestProblems(t *testing.T) {
	srv := httptest.NewServer(newTestServer(t, nil))
	defer srv.Close()

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantType   string
		wantDetail string
	}{
		{"unknown route", "GET", "/no/such/thing", "", 404, "urn:netid:problem:not-found", "no route for /no/such/thing"},
		{"wrong method", "DELETE", "/healthz", "", 405, "urn:netid:problem:method-not-allowed", "method DELETE is not allowed here"},
		{"declared oversized body", "POST", "/echo", strings.Repeat("x", 65), 413, "urn:netid:problem:body-too-large", "exceeds the limit of 64 bytes"},
		{"panic", "GET", "/panic", "", 500, "urn:netid:problem:internal", "quote the request id"},
		{"domain not found", "GET", "/missing", "", 404, "urn:netid:problem:not-found", "does not exist"},
		{"internal error hides cause", "GET", "/secret-failure", "", 500, "urn:netid:problem:internal", "quote the request id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			p := decodeProblem(t, res)
			if p.Type != tt.wantType || p.Status != tt.wantStatus {
				t.Errorf("problem = %+v, want type %s status %d", p, tt.wantType, tt.wantStatus)
			}
			if !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.wantDetail)
			}
			if strings.Contains(p.Detail, "hunter2") {
				t.Errorf("detail leaks the internal cause: %q", p.Detail)
			}
			if p.RequestID == "" || p.RequestID != res.Header.Get("X-Request-Id") {
				t.Errorf("request_id = %q, header = %q, want equal and non-empty", p.RequestID, res.Header.Get("X-Request-Id"))
			}
		})
	}
}

// A body sent without Content-Length (chunked) is cut off while reading.
func TestBodyLimitStreaming(t *testing.T) {
	srv := httptest.NewServer(newTestServer(t, nil))
	defer srv.Close()
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(bytes.Repeat([]byte("y"), 1000))
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", srv.URL+"/echo", pr)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("status = %d, want 413", res.StatusCode)
	}
	if p := decodeProblem(t, res); p.Type != "urn:netid:problem:body-too-large" {
		t.Errorf("type = %q, want body-too-large", p.Type)
	}
}

func TestReadyz(t *testing.T) {
	var storeErr error
	s := newTestServer(t, nil,
		WithReadyCheck(ReadyCheck{Name: "store", Check: func(context.Context) error { return storeErr }}),
		WithReadyCheck(ReadyCheck{Name: "keys", Check: func(context.Context) error { return nil }}),
	)
	get := func() *http.Response {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Result()
	}
	if res := get(); res.StatusCode != 200 {
		t.Fatalf("ready: status = %d, want 200", res.StatusCode)
	}
	storeErr = errors.New("connection refused")
	res := get()
	if res.StatusCode != 503 {
		t.Fatalf("store down: status = %d, want 503", res.StatusCode)
	}
	p := decodeProblem(t, res)
	if want := "store: connection refused"; !strings.Contains(p.Detail, want) {
		t.Errorf("detail = %q, want it to name %q", p.Detail, want)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	s := newTestServer(t, nil)
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != 200 {
			t.Fatalf("healthz status = %d", rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/nope/123", nil))
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`netid_http_requests_total{code="200",method="GET",route="GET /healthz"} 3`,
		`netid_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`netid_http_request_duration_seconds_bucket{method="GET",route="GET /healthz",le="+Inf"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "/nope/123") {
		t.Error("metrics carry a raw path: label cardinality is unbounded")
	}
}

func TestRequestIDInLogs(t *testing.T) {
	var logs bytes.Buffer
	s := newTestServer(t, &logs)
	tests := []struct {
		name, sent string
		wantEcho   bool
	}{
		{"sane id kept", "abc-123_X.y", true},
		{"injection refused", "abc\"} {\"admin\":true", false},
		{"too long refused", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			req := httptest.NewRequest("GET", "/healthz?code=SECRET", nil)
			req.Header.Set("X-Request-Id", tt.sent)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if (got == tt.sent) != tt.wantEcho || got == "" {
				t.Fatalf("X-Request-Id = %q, sent %q, want echo %v", got, tt.sent, tt.wantEcho)
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("log line is not one JSON object: %v: %s", err, logs.String())
			}
			if line["request_id"] != got {
				t.Errorf("log request_id = %v, want %q", line["request_id"], got)
			}
			if strings.Contains(logs.String(), "SECRET") {
				t.Error("the access log carries the query string")
			}
		})
	}
}

// Run finishes in-flight requests when its context ends (SIGTERM in serve).
func TestRunGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, ln, h, DefaultTimeouts(), slog.New(slog.DiscardHandler)) }()

	type result struct {
		body string
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			resc <- result{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		resc <- result{string(b), err}
	}()
	<-started
	cancel() // as SIGTERM does
	// New connections are refused once shutdown began.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	r := <-resc
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: body %q, err %v; want it to finish", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}
