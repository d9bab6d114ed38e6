package biometric

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestRemote(t testing.TB, url string, opts ...RemoteOption) *Remote {
	t.Helper()
	r, err := NewRemote(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRemoteRoundTrip runs the protocol end to end: the remote adapter
// against an engine built on the built-in matcher, over real HTTP.
func TestRemoteRoundTrip(t *testing.T) {
	_, srv := newTestEngine(t, "s3cret")
	r := newTestRemote(t, srv.URL+"/", WithBearerToken("s3cret"))
	ctx := context.Background()

	stored, err := r.Extract(ctx, portrait(t, 5), FormatJPEG)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if stored.Extractor != AppearanceName {
		t.Errorf("extracted template: got %v, want extractor %s", stored, AppearanceName)
	}
	tests := []struct {
		name      string
		live      Capture
		ref       Reference
		wantMatch bool
	}{
		{"capture against its portrait", Capture{Image: captureOf(t, 5, 0)}, Reference{Image: portrait(t, 5), Format: FormatJPEG}, true},
		{"capture against another portrait", Capture{Image: captureOf(t, 6, 0)}, Reference{Image: portrait(t, 5)}, false},
		{"capture against the stored template", Capture{Image: captureOf(t, 5, 1), Format: FormatJPEG}, Reference{Template: &stored}, true},
		{"other capture against the stored template", Capture{Image: captureOf(t, 7, 1)}, Reference{Template: &stored}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Match(ctx, tt.live, tt.ref)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if res.Match != tt.wantMatch || res.Match != (res.Score >= res.Threshold) {
				t.Errorf("got %+v, want Match %t", res, tt.wantMatch)
			}
			if res.Threshold != AppearanceThreshold || !strings.HasPrefix(res.Engine, "test-engine/") {
				t.Errorf("got threshold %v from %q, want %v from the test engine", res.Threshold, res.Engine, AppearanceThreshold)
			}
		})
	}
}

func TestRemoteLocalThreshold(t *testing.T) {
	_, srv := newTestEngine(t, "t")
	r := newTestRemote(t, srv.URL, WithBearerToken("t"), WithRemoteThreshold(0.9999999))
	res, err := r.Match(context.Background(), Capture{Image: captureOf(t, 5, 0)}, Reference{Image: portrait(t, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Threshold != 0.9999999 || res.Match {
		t.Errorf("got %+v, want threshold 0.9999999 and no match", res)
	}
}

func TestRemoteErrors(t *testing.T) {
	engine, srv := newTestEngine(t, "right")
	ctx := context.Background()
	good := Capture{Image: captureOf(t, 1, 0)}
	ref := Reference{Image: portrait(t, 1)}
	jp2 := []byte("\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 ")
	tests := []struct {
		name      string
		token     string
		live      Capture
		ref       Reference
		wantIs    []error
		wantText  string
		wantCalls int // requests the engine must have seen
	}{
		{"wrong token", "wrong", good, ref, []error{ErrRemote}, "401 Unauthorized: missing or wrong bearer token", 1},
		{"JPEG 2000 reference", "right", good, Reference{Image: jp2}, []error{ErrRemote, ErrUnsupportedFormat}, "(urn:netid:biometric:unsupported-format)", 1},
		{"corrupt capture", "right", Capture{Image: []byte{0xFF, 0xD8, 0xFF, 0, 0, 0}}, ref, []error{ErrRemote, ErrBadSample}, "422", 1},
		{"template from another extractor", "right", good, Reference{Template: &Template{Extractor: "other/1", Vector: []float32{1}}}, []error{ErrRemote, ErrIncompatibleTemplates}, "", 1},
		// Caught before any request: nothing unusable leaves the process.
		{"no capture", "right", Capture{}, ref, []error{ErrBadSample}, "", 0},
		{"not an image", "right", Capture{Image: []byte("text")}, ref, []error{ErrBadSample}, "", 0},
		{"invalid template", "right", good, Reference{Template: &Template{Extractor: "x"}}, []error{ErrBadTemplate}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine.calls.Store(0)
			r := newTestRemote(t, srv.URL, WithBearerToken(tt.token))
			_, err := r.Match(ctx, tt.live, tt.ref)
			for _, want := range tt.wantIs {
				if !errors.Is(err, want) {
					t.Errorf("got %v, want it to match %v", err, want)
				}
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got %q, want it to contain %q", err, tt.wantText)
			}
			if got := int(engine.calls.Load()); got != tt.wantCalls {
				t.Errorf("engine requests: got %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestRemoteBadResponses checks the adapter against engines that break the
// protocol.
func TestRemoteBadResponses(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		ctype    string
		body     string
		wantText string
	}{
		{"not JSON", 200, "application/json", "<html>", "match response"},
		{"wrong media type", 200, "text/html", `{"score":1,"threshold":0.5,"engine":"e"}`, "text/html"},
		{"no score", 200, "application/json", `{"threshold":0.5,"engine":"e"}`, "lacks score"},
		{"no engine", 200, "application/json", `{"score":1,"threshold":0.5}`, "name the engine"},
		{"too large", 200, "application/json", `{"engine":"` + strings.Repeat("e", 2000) + `"}`, "larger than 1024"},
		{"plain 500", 500, "text/plain", "boom", "answered 500"},
		{"redirect not followed", http.StatusTemporaryRedirect, "text/plain", "", "answered 307"},
		{"problem with control characters", 503, "application/problem+json", `{"title":"Down\u001b[31m","detail":"` + strings.Repeat("x", 300) + `"}`, "answered 503 Down[31m: xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/match" {
					t.Errorf("request to %s, want /v1/match only", r.URL.Path)
				}
				w.Header().Set("Content-Type", tt.ctype)
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			r := newTestRemote(t, srv.URL, WithMaxResponseBytes(1024))
			_, err := r.Match(context.Background(), Capture{Image: captureOf(t, 1, 0)}, Reference{Image: portrait(t, 1)})
			if !errors.Is(err, ErrRemote) {
				t.Fatalf("got %v, want %v", err, ErrRemote)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got %q, want it to contain %q", err, tt.wantText)
			}
			if strings.ContainsRune(err.Error(), 0x1b) || len(err.Error()) > 400 {
				t.Errorf("error not sanitised: %q", err)
			}
		})
	}
}

func TestRemoteTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	r := newTestRemote(t, srv.URL, WithRemoteTimeout(20*time.Millisecond))
	_, err := r.Match(context.Background(), Capture{Image: captureOf(t, 1, 0)}, Reference{Image: portrait(t, 1)})
	if !errors.Is(err, ErrRemote) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want %v wrapping %v", err, ErrRemote, context.DeadlineExceeded)
	}
}

func TestNewRemoteValidates(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		opts    []RemoteOption
		wantErr string
	}{
		{"https", "https://engine.example/face", nil, ""},
		{"http to loopback", "http://127.0.0.1:8080", nil, ""},
		{"http to localhost", "http://localhost:8080", nil, ""},
		{"http elsewhere, allowed", "http://engine.internal", []RemoteOption{WithPlainHTTP()}, ""},
		{"http elsewhere", "http://engine.internal", nil, "want https"},
		{"relative", "/v1", nil, "absolute URL"},
		{"credentials", "https://user:pw@engine.example", nil, "without credentials"},
		{"query", "https://engine.example/?a=b", nil, "query"},
		{"bad timeout", "https://engine.example", []RemoteOption{WithRemoteTimeout(0)}, "timeout"},
		{"bad limit", "https://engine.example", []RemoteOption{WithMaxResponseBytes(-1)}, "size limit"},
		{"token with newline", "https://engine.example", []RemoteOption{WithBearerToken("a\r\nX: y")}, "line break"},
		{"nil client", "https://engine.example", []RemoteOption{WithHTTPClient(nil)}, "nil HTTP client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRemote(tt.url, tt.opts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzRemoteResponse(f *testing.F) {
	f.Add([]byte(`{"score":0.97,"threshold":0.93,"engine":"vendor/4"}`), true)
	f.Add([]byte(`{"score":-1e308,"threshold":1e308,"engine":"\u0000e"}`), true)
	f.Add([]byte(`{"score":null,"threshold":0.5,"engine":"e"}`), true)
	f.Add([]byte(`{"template":"TklEVAEBeAABP4AAAA==","engine":"e"}`), false)
	f.Add([]byte(`{"template":"TklEVAEBeAABf8AAAA==","engine":"e"}`), false)
	f.Add([]byte(`{"type":"urn:netid:biometric:bad-sample","title":"Unprocessable","status":422,"detail":"no face"}`), true)
	f.Add([]byte(`[]`), false)
	f.Fuzz(func(t *testing.T, body []byte, match bool) {
		if p, err := parseProblem(body); err == nil {
			for _, s := range []string{p.Type, p.Title, p.Detail} {
				if len(s) > maxEngineText+3 || strings.ContainsAny(s, "\x00\x1b\r\n") {
					t.Fatalf("problem text not sanitised: %q", s)
				}
			}
		}
		if match {
			res, err := parseMatchResponse(body)
			if err != nil {
				if !errors.Is(err, ErrRemote) {
					t.Fatalf("error %v does not wrap ErrRemote", err)
				}
				return
			}
			if res.Match != (res.Score >= res.Threshold) || res.Engine == "" || len(res.Engine) > maxEngineText+3 {
				t.Fatalf("inconsistent result %+v", res)
			}
			return
		}
		tpl, err := parseExtractResponse(body)
		if err != nil {
			if !errors.Is(err, ErrRemote) {
				t.Fatalf("error %v does not wrap ErrRemote", err)
			}
			return
		}
		if err := tpl.Validate(); err != nil {
			t.Fatalf("accepted an invalid template: %v", err)
		}
	})
}
