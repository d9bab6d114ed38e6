package biometric

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// testEngine is the server side of the remote protocol, built on this
// package's own matcher and extractor: the "external biometric engine" of
// the remote tests, reached through a real HTTP round trip.
type testEngine struct {
	matcher   Matcher
	extractor Extractor
	token     string
	calls     atomic.Int32
}

func newTestEngine(t testing.TB, token string) (*testEngine, *httptest.Server) {
	t.Helper()
	ex := NewAppearanceExtractor()
	m, err := NewCosineMatcher(ex, AppearanceThreshold)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEngine{matcher: m, extractor: ex, token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/match", e.match)
	mux.HandleFunc("POST /v1/extract", e.extract)
	srv := httptest.NewServer(e.auth(mux))
	t.Cleanup(srv.Close)
	return e, srv
}

func (e *testEngine) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+e.token {
			writeTestProblem(w, http.StatusUnauthorized, "urn:example:unauthorized", "missing or wrong bearer token")
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			writeTestProblem(w, http.StatusUnsupportedMediaType, "urn:example:media-type", "want application/json")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 32<<20)
		next.ServeHTTP(w, r)
	})
}

func (e *testEngine) match(w http.ResponseWriter, r *http.Request) {
	var req MatchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeTestProblem(w, http.StatusBadRequest, ProblemBadSample, "request is not valid JSON")
		return
	}
	live, ref := Capture{Image: req.Probe.Image, Format: req.Probe.Format}, Reference{Image: req.Reference.Image, Format: req.Reference.Format}
	var err error
	if live.Embedding, err = wireTemplate(req.Probe.Template); err == nil {
		ref.Template, err = wireTemplate(req.Reference.Template)
	}
	var res Result
	if err == nil {
		res, err = e.matcher.Match(r.Context(), live, ref)
	}
	if err != nil {
		e.fail(w, err)
		return
	}
	writeTestJSON(w, MatchResponse{Score: &res.Score, Threshold: &res.Threshold, Engine: "test-engine/" + res.Engine})
}

func (e *testEngine) extract(w http.ResponseWriter, r *http.Request) {
	var req ExtractRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeTestProblem(w, http.StatusBadRequest, ProblemBadSample, "request is not valid JSON")
		return
	}
	t, err := e.extractor.Extract(r.Context(), req.Sample.Image, req.Sample.Format)
	if err != nil {
		e.fail(w, err)
		return
	}
	b, err := t.MarshalBinary()
	if err != nil {
		e.fail(w, err)
		return
	}
	writeTestJSON(w, ExtractResponse{Template: b, Engine: "test-engine"})
}

func wireTemplate(b []byte) (*Template, error) {
	if b == nil {
		return nil, nil
	}
	var t Template
	if err := t.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &t, nil
}

func (e *testEngine) fail(w http.ResponseWriter, err error) {
	if typ := ProblemFor(err); typ != "" {
		writeTestProblem(w, http.StatusUnprocessableEntity, typ, err.Error())
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeTestProblem(w, http.StatusServiceUnavailable, "urn:example:cancelled", "request cancelled")
		return
	}
	writeTestProblem(w, http.StatusInternalServerError, "urn:example:internal", "internal error")
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeTestProblem(w http.ResponseWriter, status int, typ, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(RemoteProblem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail})
}
