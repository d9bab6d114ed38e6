package phone

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// gatewayServer answers with the responses in turn (the last one repeats)
// and records the requests.
type gatewayServer struct {
	*httptest.Server
	mu        sync.Mutex
	requests  []*http.Request
	bodies    []string
	responses []gatewayResponse
}

type gatewayResponse struct {
	status      int
	contentType string
	retryAfter  string
	body        string
}

func newGatewayServer(t *testing.T, responses ...gatewayResponse) *gatewayServer {
	t.Helper()
	s := &gatewayServer{responses: responses}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		i := min(len(s.requests), len(s.responses)-1)
		s.requests = append(s.requests, r)
		s.bodies = append(s.bodies, string(body))
		resp := s.responses[i]
		s.mu.Unlock()
		if resp.contentType != "" {
			w.Header().Set("Content-Type", resp.contentType)
		}
		if resp.status >= 300 && resp.status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		if resp.retryAfter != "" {
			w.Header().Set("Retry-After", resp.retryAfter)
		}
		w.WriteHeader(resp.status)
		io.WriteString(w, resp.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *gatewayServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func testMessage(t *testing.T) Message {
	return Message{
		ID: "0123456789abcdef0123456789abcdef", To: mustNumber(t, "13800138000"),
		Text: "【netid】您的验证码是 654321，10 分钟内有效。请勿告诉他人。", Purpose: "enrol",
		BindingID: "enr-1", Code: "654321",
	}
}

func TestHTTPGatewaySend(t *testing.T) {
	srv := newGatewayServer(t, gatewayResponse{status: http.StatusAccepted, body: `{"id":"x"}`})
	g, err := NewHTTPGateway(srv.URL+"/sms", "s3cret-token", WithAttempts(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage(t)
	if err := g.Send(context.Background(), m); err != nil {
		t.Fatalf("Send() = %v, want nil", err)
	}
	if got := srv.count(); got != 1 {
		t.Fatalf("%d requests, want 1", got)
	}
	r := srv.requests[0]
	gotHeaders := map[string]string{
		"method":          r.Method,
		"path":            r.URL.Path,
		"Authorization":   r.Header.Get("Authorization"),
		"Content-Type":    r.Header.Get("Content-Type"),
		"Idempotency-Key": r.Header.Get("Idempotency-Key"),
	}
	wantHeaders := map[string]string{
		"method":          "POST",
		"path":            "/sms",
		"Authorization":   "Bearer s3cret-token",
		"Content-Type":    "application/json",
		"Idempotency-Key": `"0123456789abcdef0123456789abcdef"`,
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(srv.bodies[0]), &body); err != nil {
		t.Fatalf("body %q: %v", srv.bodies[0], err)
	}
	wantBody := map[string]any{"to": "+8613800138000", "text": m.Text, "purpose": "enrol"}
	if diff := cmp.Diff(wantBody, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestHTTPGatewayErrors(t *testing.T) {
	problem := `{"type":"https://gw.example/problems/bad-number","title":"Bad number","status":400,"detail":"+86 138 0013 8000 is not reachable"}`
	tests := []struct {
		name         string
		responses    []gatewayResponse
		wantRequests int
		want         *GatewayError // nil: success
	}{
		{
			name:         "problem, not retried",
			responses:    []gatewayResponse{{400, "application/problem+json", "", problem}},
			wantRequests: 1,
			want:         &GatewayError{Status: 400, Type: "https://gw.example/problems/bad-number", Title: "Bad number", Detail: "# is not reachable"},
		},
		{
			name:         "plain JSON with problem members",
			responses:    []gatewayResponse{{422, "application/json; charset=utf-8", "", `{"title":"Rejected","detail":"code 654321 blocked"}`}},
			wantRequests: 1,
			want:         &GatewayError{Status: 422, Title: "Rejected", Detail: "code # blocked"},
		},
		{
			name:         "unauthorized, empty body",
			responses:    []gatewayResponse{{401, "", "", ""}},
			wantRequests: 1,
			want:         &GatewayError{Status: 401, Title: "Unauthorized"},
		},
		{
			name:         "broken JSON",
			responses:    []gatewayResponse{{400, "application/problem+json", "", `{"title": "x`}},
			wantRequests: 1,
			want:         &GatewayError{Status: 400, Detail: "unparsable JSON error body"},
		},
		{
			name:         "HTML body ignored",
			responses:    []gatewayResponse{{403, "text/html", "", "<h1>Forbidden</h1>"}},
			wantRequests: 1,
			want:         &GatewayError{Status: 403, Detail: "<h1>Forbidden</h1>"},
		},
		{
			name:         "unavailable twice",
			responses:    []gatewayResponse{{503, "text/plain", "", "maintenance"}},
			wantRequests: 2,
			want:         &GatewayError{Status: 503, Detail: "maintenance"},
		},
		{
			name:         "unavailable, then accepted",
			responses:    []gatewayResponse{{503, "", "", ""}, {200, "", "", ""}},
			wantRequests: 2,
		},
		{
			name:         "rate limited with Retry-After",
			responses:    []gatewayResponse{{429, "application/problem+json", "30", `{"title":"Slow down"}`}},
			wantRequests: 2,
			want:         &GatewayError{Status: 429, Title: "Slow down", RetryAfter: 30 * time.Second},
		},
		{
			name:         "redirect not followed",
			responses:    []gatewayResponse{{302, "text/plain", "", "moved"}, {200, "", "", ""}},
			wantRequests: 1,
			want:         &GatewayError{Status: 302, Detail: "moved"},
		},
		{
			name:         "not modified is an error",
			responses:    []gatewayResponse{{304, "", "", ""}},
			wantRequests: 1,
			want:         &GatewayError{Status: 304, Title: "Not Modified"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newGatewayServer(t, tt.responses...)
			g, err := NewHTTPGateway(srv.URL, "tok", WithAttempts(2, 0))
			if err != nil {
				t.Fatal(err)
			}
			err = g.Send(context.Background(), testMessage(t))
			if got := srv.count(); got != tt.wantRequests {
				t.Errorf("%d requests, want %d", got, tt.wantRequests)
			}
			if tt.want == nil {
				if err != nil {
					t.Errorf("Send() = %v, want nil", err)
				}
				return
			}
			var gerr *GatewayError
			if !errors.As(err, &gerr) || !errors.Is(err, ErrGateway) {
				t.Fatalf("Send() = %v, want a GatewayError", err)
			}
			if diff := cmp.Diff(tt.want, gerr, cmp.AllowUnexported(GatewayError{})); diff != "" {
				t.Errorf("GatewayError (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "0013") || strings.Contains(err.Error(), "654321") {
				t.Errorf("error %q repeats the number or the code", err)
			}
		})
	}
}

// TestHTTPGatewayRetrySameKey checks that a retry carries the same
// Idempotency-Key, so that the gateway can drop the duplicate.
func TestHTTPGatewayRetrySameKey(t *testing.T) {
	srv := newGatewayServer(t, gatewayResponse{status: 502}, gatewayResponse{status: 502}, gatewayResponse{status: 200})
	g, err := NewHTTPGateway(srv.URL, "tok", WithAttempts(3, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Send(context.Background(), testMessage(t)); err != nil {
		t.Fatalf("Send() = %v, want nil", err)
	}
	if srv.count() != 3 {
		t.Fatalf("%d requests, want 3", srv.count())
	}
	for i, r := range srv.requests {
		if got := r.Header.Get("Idempotency-Key"); got != srv.requests[0].Header.Get("Idempotency-Key") || got == "" {
			t.Errorf("request %d Idempotency-Key = %q, want the first request's", i, got)
		}
		if srv.bodies[i] != srv.bodies[0] {
			t.Errorf("request %d body differs from the first", i)
		}
	}
}

func TestHTTPGatewayResponseLimit(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	srv := newGatewayServer(t, gatewayResponse{status: 400, contentType: "application/problem+json", body: `{"title":"` + huge + `"}`})
	g, err := NewHTTPGateway(srv.URL, "tok", WithMaxResponseBytes(1024))
	if err != nil {
		t.Fatal(err)
	}
	err = g.Send(context.Background(), testMessage(t))
	var gerr *GatewayError
	if !errors.As(err, &gerr) {
		t.Fatalf("Send() = %v, want a GatewayError", err)
	}
	// Cut at 1 KiB, the JSON no longer parses.
	if gerr.Detail != "unparsable JSON error body" || gerr.Status != 400 {
		t.Errorf("GatewayError = %+v, want status 400 with an unparsable body", gerr)
	}
}

func TestHTTPGatewayTransportError(t *testing.T) {
	srv := newGatewayServer(t, gatewayResponse{status: 200})
	url := srv.URL
	srv.Close()
	g, err := NewHTTPGateway(url, "tok", WithAttempts(2, 0))
	if err != nil {
		t.Fatal(err)
	}
	err = g.Send(context.Background(), testMessage(t))
	var gerr *GatewayError
	if !errors.As(err, &gerr) || gerr.Status != 0 || !gerr.Temporary() {
		t.Fatalf("Send() to a closed server = %v, want a temporary GatewayError without status", err)
	}
	if strings.Contains(err.Error(), "tok") {
		t.Errorf("error %q contains the token", err)
	}
}

func TestHTTPGatewayContextCancelledBetweenAttempts(t *testing.T) {
	srv := newGatewayServer(t, gatewayResponse{status: 503})
	g, err := NewHTTPGateway(srv.URL, "tok", WithAttempts(3, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Send(ctx, testMessage(t)) }()
	// Wait for the first attempt, then cancel during the hour-long pause.
	for srv.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrGateway) {
		t.Errorf("Send() = %v, want context.Canceled and the last GatewayError", err)
	}
	if got := srv.count(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestNewHTTPGatewayValidation(t *testing.T) {
	tests := []struct {
		name, url, token string
		opts             []GatewayOption
		wantErr          string // "" for success
	}{
		{"https", "https://sms.example/v1/send", "tok", nil, ""},
		{"http loopback v4", "http://127.0.0.1:8080/send", "tok", nil, ""},
		{"http loopback v6", "http://[::1]:8080/send", "tok", nil, ""},
		{"http localhost", "http://localhost/send", "tok", nil, ""},
		{"http remote", "http://sms.example/send", "tok", nil, "must be https"},
		{"ftp", "ftp://sms.example/", "tok", nil, `scheme "ftp"`},
		{"no host", "https:///send", "tok", nil, "no host"},
		{"credentials in URL", "https://u:p@sms.example/", "tok", nil, "must not carry credentials"},
		{"unparsable", "https://sms.example/%zz", "tok", nil, "gateway URL"},
		{"empty token", "https://sms.example/", "", nil, "token is empty"},
		{"token with newline", "https://sms.example/", "a\nb", nil, "control characters"},
		{"token with space", "https://sms.example/", "a b", nil, "spaces"},
		{"attempts", "https://sms.example/", "tok", []GatewayOption{WithAttempts(0, 0)}, "attempts 0"},
		{"negative delay", "https://sms.example/", "tok", []GatewayOption{WithAttempts(2, -time.Second)}, "retry delay"},
		{"timeout", "https://sms.example/", "tok", []GatewayOption{WithGatewayTimeout(0)}, "timeout 0s"},
		{"response limit", "https://sms.example/", "tok", []GatewayOption{WithMaxResponseBytes(0)}, "response limit 0"},
		{"nil client", "https://sms.example/", "tok", []GatewayOption{WithHTTPClient(nil)}, "nil HTTP client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHTTPGateway(tt.url, tt.token, tt.opts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("NewHTTPGateway(%q) = %v, want nil", tt.url, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("NewHTTPGateway(%q) = %v, want an error containing %q", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestWithHTTPClientNotModified(t *testing.T) {
	c := &http.Client{}
	g, err := NewHTTPGateway("https://sms.example/", "tok", WithHTTPClient(c), WithGatewayTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout != 0 {
		t.Errorf("caller's client Timeout = %v, want it untouched", c.Timeout)
	}
	if g.client.Timeout != 3*time.Second {
		t.Errorf("gateway client Timeout = %v, want 3s", g.client.Timeout)
	}
}

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok", "ok"},
		{"error 404 here", "error 404 here"},
		{"code 123456 wrong", "code # wrong"},
		{"+86 138 0013 8000 unreachable", "# unreachable"},
		{"call (010) 6552-9988.", "call (#."},
		{"1234", "1234"},
		{"12 34 5", "#"},
		{"１２３４５６", "#"},
		{"a\x00b\nc", "a b c"},
		{"bad \xff utf8", "bad   utf8"},
		{strings.Repeat("a", 300), strings.Repeat("a", maxScrubbed)},
	}
	for _, tt := range tests {
		if got := scrub(tt.in); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzGatewayResponse(f *testing.F) {
	f.Add(200, "", "", []byte(""))
	f.Add(400, "application/problem+json", "", []byte(`{"type":"about:blank","title":"Bad","detail":"+86 138 0013 8000"}`))
	f.Add(503, "text/plain; charset=utf-8", "120", []byte("down for 12345 seconds"))
	f.Add(429, "application/json", "-1", []byte(`{"title":123}`))
	f.Add(500, "application/problem+json", "", []byte(`{"title":"\u0000\u202e\ud800"}`))
	f.Add(301, "text/html", "x", []byte("\xff\xfe"))
	f.Add(0, ";;;", "99999999999", []byte(`null`))
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter string, body []byte) {
		e := parseGatewayResponse(status, contentType, retryAfter, body)
		if status >= 200 && status <= 299 {
			if e != nil {
				t.Fatalf("status %d gave an error %v", status, e)
			}
			return
		}
		if e == nil {
			t.Fatalf("status %d gave no error", status)
		}
		if e.Status != status || !errors.Is(e, ErrGateway) || e.Error() == "" {
			t.Fatalf("bad error %#v for status %d", e, status)
		}
		if e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Fatalf("RetryAfter %v out of range", e.RetryAfter)
		}
		for _, s := range []string{e.Type, e.Title, e.Detail} {
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxScrubbed {
				t.Fatalf("field %q is not short valid UTF-8", s)
			}
			run := 0
			for _, r := range s {
				if unicode.IsControl(r) {
					t.Fatalf("field %q contains a control character", s)
				}
				if unicode.IsDigit(r) {
					run++
				} else {
					run = 0
				}
				if run >= 5 {
					t.Fatalf("field %q keeps a run of 5 digits", s)
				}
			}
		}
	})
}
