package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeProblem(t *testing.T) {
	problemJSON := http.Header{"Content-Type": {"application/problem+json"}}
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		want    Problem
		wantMsg string
	}{
		{
			name: "netid problem", status: 422, header: problemJSON,
			body: `{"type":"urn:netid:problem:weak-password","title":"Unprocessable Entity","status":422,"detail":"choose a longer password","instance":"/v1/enrolments/e1/password","request_id":"r1"}`,
			want: Problem{Type: "urn:netid:problem:weak-password", Title: "Unprocessable Entity", Status: 422,
				Detail: "choose a longer password", Instance: "/v1/enrolments/e1/password", RequestID: "r1"},
			wantMsg: "choose a longer password",
		},
		{
			name: "server error quotes the request id", status: 500, header: problemJSON,
			body:    `{"type":"urn:netid:problem:internal","title":"Internal Server Error","status":500,"detail":"an internal error occurred","request_id":"r2"}`,
			want:    Problem{Type: "urn:netid:problem:internal", Title: "Internal Server Error", Status: 500, Detail: "an internal error occurred", RequestID: "r2"},
			wantMsg: "an internal error occurred (request id r2)",
		},
		{
			name: "the HTTP status wins", status: 409, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			body:    `{"type":"urn:netid:problem:wrong-step","status":200,"detail":"the next step is \"face\""}`,
			want:    Problem{Type: "urn:netid:problem:wrong-step", Title: "Conflict", Status: 409, Detail: `the next step is "face"`},
			wantMsg: `the next step is "face"`,
		},
		{
			name: "a proxy's page", status: 502, header: http.Header{"Content-Type": {"text/html"}},
			body:    `<html><body>Bad Gateway</body></html>`,
			want:    Problem{Type: "about:blank", Title: "Bad Gateway", Status: 502},
			wantMsg: "Bad Gateway",
		},
		{
			name: "malformed problem", status: 400, header: problemJSON, body: `{"type": 7}`,
			want: Problem{Type: "about:blank", Title: "Bad Request", Status: 400}, wantMsg: "Bad Request",
		},
		{
			name: "retry after", status: 429, header: http.Header{"Content-Type": {"application/problem+json"}, "Retry-After": {"17"}},
			body:    `{"type":"urn:netid:problem:throttled","title":"Too Many Requests","status":429,"detail":"too many attempts"}`,
			want:    Problem{Type: "urn:netid:problem:throttled", Title: "Too Many Requests", Status: 429, Detail: "too many attempts", RetryAfter: 17 * time.Second},
			wantMsg: "too many attempts",
		},
		{
			name: "terminal escapes are dropped", status: 400, header: problemJSON,
			body:    `{"type":"urn:netid:problem:bad-request","title":"Bad Request","status":400,"detail":"bad\u001b[2J\u202e input\nhere"}`,
			want:    Problem{Type: "urn:netid:problem:bad-request", Title: "Bad Request", Status: 400, Detail: "bad[2J input here"},
			wantMsg: "bad[2J input here",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeProblem(tt.status, tt.header, []byte(tt.body))
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("decodeProblem() mismatch (-want +got):\n%s", diff)
			}
			if got.Error() != tt.wantMsg {
				t.Errorf("Error() = %q, want %q", got.Error(), tt.wantMsg)
			}
		})
	}
}

func TestCleanTextCutsLongText(t *testing.T) {
	long := strings.Repeat("网", 1000) // 3000 bytes
	got := cleanText(long)
	if len(got) > maxProblemText+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("cleanText(3000 bytes) = %d bytes, want at most %d ending in …", len(got), maxProblemText+len("…"))
	}
	if !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("cleanText cut inside a rune")
	}
}

// problemServer answers every request with the problem of its path's
// last element, as netid's httpapi renders them.
func problemServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slug := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		status := map[string]int{"not-found": 404, "enrolment-expired": 410, "wrong-code": 422, "throttled": 429}[slug]
		if status == 0 {
			status = 400
		}
		w.Header().Set("Content-Type", "application/problem+json")
		if slug == "throttled" {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"type": problemTypeBase + slug, "title": http.StatusText(status),
			"status": status, "detail": "detail of " + slug})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Every error answer of the API becomes a *Problem with the server's
// detail as its message.
func TestClientDecodesProblems(t *testing.T) {
	srv := problemServer(t)
	c, err := NewClient(srv.URL, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name       string
		call       func() error
		wantSlug   string
		wantStatus int
	}{
		{"status", func() error { _, err := c.EnrolmentStatus(ctx, "not-found", "tok"); return err }, "not-found", 404},
		{"verify phone", func() error {
			_, err := c.VerifyPhone(ctx, "e1", "tok", "+8613800138000", "123456")
			return err
		}, "verify", 400},
		{"approve", func() error { return c.ApproveMinor(ctx, MinorApprovalRequest{}) }, "approvals", 400},
		{"demo sms", func() error { _, err := c.DemoSMS(ctx, "+8613800138000"); return err }, "sms", 400},
		{"demo face", func() error { _, err := c.DemoFace(ctx, "throttled", 0); return err }, "face", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("error = %v (%T), want a *Problem", err, err)
			}
			if p.Slug() != tt.wantSlug || p.Status != tt.wantStatus {
				t.Errorf("problem = %s %d, want %s %d", p.Slug(), p.Status, tt.wantSlug, tt.wantStatus)
			}
			if want := "detail of " + tt.wantSlug; err.Error() != want {
				t.Errorf("message = %q, want %q", err.Error(), want)
			}
			if !IsProblem(err, tt.wantSlug) || IsProblem(err, "other") {
				t.Errorf("IsProblem does not match the slug")
			}
		})
	}
}

// A "busy" answer means the server did nothing: the client waits as told
// and retries, a few times at most.
func TestClientRetriesBusy(t *testing.T) {
	for _, tt := range []struct {
		name      string
		busyFor   int
		wantCalls int
		wantErr   bool
	}{
		{"recovers", 2, 3, false},
		{"gives up", 100, busyRetries + 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				if n <= tt.busyFor {
					w.Header().Set("Content-Type", "application/problem+json")
					w.Header().Set("Retry-After", "120")
					w.WriteHeader(503)
					w.Write([]byte(`{"type":"urn:netid:problem:busy","title":"Service Unavailable","status":503}`))
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"id":"e1","state":"password-set","next":"complete"}`))
			}))
			defer srv.Close()
			c, _ := NewClient(srv.URL, WithHTTPClient(srv.Client()))
			var waits []time.Duration
			c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			st, err := c.SetPassword(context.Background(), "e1", "tok", "pw")
			if (err != nil) != tt.wantErr {
				t.Fatalf("SetPassword() error = %v, want error %t", err, tt.wantErr)
			}
			if !tt.wantErr && st.Next != StepComplete {
				t.Errorf("Next = %q, want complete", st.Next)
			}
			if tt.wantErr && !IsProblem(err, ProblemBusy) {
				t.Errorf("error = %v, want the busy problem", err)
			}
			if calls != tt.wantCalls {
				t.Errorf("requests = %d, want %d", calls, tt.wantCalls)
			}
			for _, d := range waits {
				if d != maxBusyWait {
					t.Errorf("waited %v, want the cap %v", d, maxBusyWait)
				}
			}
		})
	}
}

// The client sends the token as a bearer token to the escaped path, and
// refuses answers that are not what the API promises.
func TestClientRequestsAndAnswers(t *testing.T) {
	var gotAuth, gotPath, gotCT string
	var gotBody map[string]any
	answer := func(w http.ResponseWriter, ct, body string) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(body))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath, gotCT = r.Header.Get("Authorization"), r.URL.EscapedPath(), r.Header.Get("Content-Type")
		gotBody = nil
		json.NewDecoder(r.Body).Decode(&gotBody)
		switch r.URL.Query().Get("case") {
		case "html":
			answer(w, "text/html", "<html></html>")
		case "huge":
			answer(w, "application/json", `{"to":"`+strings.Repeat("x", 2000)+`"}`)
		case "garbage":
			answer(w, "application/json", `{"to":`)
		case "redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		default:
			answer(w, "application/json", `{"to":"+86 138****8000","code_length":6,"unknown_member":1}`)
		}
	}))
	defer srv.Close()

	c, err := NewClient(srv.URL+"/", WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	sent, err := c.SendPhoneCode(context.Background(), "a/b", "tok", "+8613800138000", "en")
	if err != nil {
		t.Fatalf("SendPhoneCode() error = %v", err)
	}
	if diff := cmp.Diff(&PhoneCodeSent{To: "+86 138****8000", CodeLength: 6}, sent, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("answer mismatch (-want +got):\n%s", diff)
	}
	if gotAuth != "Bearer tok" || gotPath != "/v1/enrolments/a%2Fb/phone" || gotCT != "application/json" {
		t.Errorf("request: auth %q, path %q, content type %q", gotAuth, gotPath, gotCT)
	}
	if diff := cmp.Diff(map[string]any{"number": "+8613800138000", "locale": "en"}, gotBody); diff != "" {
		t.Errorf("request body mismatch (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ name, query string }{
		{"not JSON", "html"}, {"too large", "huge"}, {"malformed", "garbage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := NewClient(srv.URL, WithHTTPClient(srv.Client()), WithResponseLimits(1000, 1000))
			err := c.do(context.Background(), call{method: "POST", path: "/x", query: map[string][]string{"case": {tc.query}},
				in: struct{}{}, out: new(PhoneCodeSent), want: []int{http.StatusAccepted}})
			if !errors.Is(err, ErrResponse) {
				t.Errorf("error = %v, want ErrResponse", err)
			}
		})
	}
	t.Run("redirect", func(t *testing.T) {
		c, _ := NewClient(srv.URL)
		err := c.do(context.Background(), call{method: "POST", path: "/x", query: map[string][]string{"case": {"redirect"}},
			in: struct{}{}, out: new(PhoneCodeSent), want: []int{http.StatusAccepted}})
		var p *Problem
		if !errors.As(err, &p) || p.Status != http.StatusTemporaryRedirect {
			t.Errorf("error = %v, want a problem of status 307 (redirects are not followed)", err)
		}
	})
}

func TestNewClientServerURL(t *testing.T) {
	tests := []struct {
		in, want string
		insecure bool
		wantErr  bool
	}{
		{in: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080"},
		{in: "https://id.example.test/netid/", want: "https://id.example.test/netid"},
		{in: "http://localhost:8080", want: "http://localhost:8080"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: "http://id.example.test", want: "http://id.example.test", insecure: true},
		{in: "http://192.0.2.1:8080", want: "http://192.0.2.1:8080", insecure: true},
		{in: "ftp://id.example.test", wantErr: true},
		{in: "id.example.test:8080", wantErr: true},
		{in: "https://user:pw@id.example.test", wantErr: true},
		{in: "https://id.example.test/?x=1", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := NewClient(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if c.Server() != tt.want || c.Insecure() != tt.insecure {
				t.Errorf("Server() = %q, Insecure() = %t; want %q, %t", c.Server(), c.Insecure(), tt.want, tt.insecure)
			}
		})
	}
}
