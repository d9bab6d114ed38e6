package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/storetest"
)

// Hostile input against every JSON route of the API: each abuse is
// answered with the 4xx problem its kind calls for, never a 5xx, and
// leaves every table of the store as it was.

// rowCounts counts the rows of every table of the SQLite database at path.
func rowCounts(t *testing.T, path string) map[string]int { return storetest.SQLiteRowCounts(t, path) }

// sameCounts reports every table whose row count changed, except those in
// allowed.
func sameCounts(t *testing.T, what string, before, after map[string]int, allowed ...string) {
	t.Helper()
	for name, n := range after {
		if before[name] != n && !slices.Contains(allowed, name) {
			t.Errorf("%s: table %s went from %d to %d rows", what, name, before[name], n)
		}
	}
}

// envDatabase finds the SQLite file of e's store. enroltest.New opens it
// in its own t.TempDir(), a sibling of every later t.TempDir() of the
// same test; exactly one database must be there, or the test stops.
func envDatabase(t *testing.T) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(t.TempDir()), "*", "db", sqlite.FileName))
	if err != nil || len(matches) != 1 {
		t.Fatalf("the enrolment environment's database: found %v (%v), want exactly one", matches, err)
	}
	return matches[0]
}

// abuseRoute is a JSON route with what it takes to get past
// authentication to the body.
type abuseRoute struct {
	path string
	auth func(*http.Request)
	// empty: the route accepts no body or {} (a step without input).
	empty bool
}

// abuse is one kind of hostile body.
type abuse struct {
	name        string
	contentType string
	body        func() io.Reader
	status      int
	slug        string
	// notEmpty: only for routes that read a JSON object (an empty-input
	// step accepts an empty body and ignores the content type of none).
	notEmpty bool
}

func abuses(limit int64) []abuse {
	str := func(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }
	oversized := `{"a":"` + strings.Repeat("x", int(limit)) + `"}`
	return []abuse{
		{name: "oversized", contentType: "application/json", body: str(oversized), status: 413, slug: "body-too-large"},
		// A reader the client cannot measure goes chunked: the limit is
		// met while reading, not from Content-Length.
		{name: "oversized chunked", contentType: "application/json",
			body:   func() io.Reader { return io.MultiReader(strings.NewReader(oversized)) },
			status: 413, slug: "body-too-large"},
		{name: "malformed", contentType: "application/json", body: str(`{"evidence": `), status: 400, slug: "bad-request"},
		{name: "not an object", contentType: "application/json", body: str(`["a"]`), status: 400, slug: "bad-request"},
		{name: "unknown member", contentType: "application/json", body: str(`{"zz_unknown":1}`), status: 400, slug: "bad-request"},
		{name: "duplicate member", contentType: "application/json", body: str(`{"zz":1,"zz":2}`), status: 400, slug: "bad-request"},
		{name: "invalid UTF-8", contentType: "application/json", body: str("{\"\xff\xfe\":1}"), status: 400, slug: "bad-request"},
		{name: "trailing data", contentType: "application/json", body: str(`{} {}`), status: 400, slug: "bad-request"},
		{name: "deep nesting", contentType: "application/json",
			body: str(`{"a":` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `}`), status: 400, slug: "bad-request"},
		{name: "huge number", contentType: "application/json", body: str(`{"a":1e999999999}`), status: 400, slug: "bad-request"},
		{name: "NUL bytes", contentType: "application/json", body: str("{\"a\":\"\x00\"}\x00"), status: 400, slug: "bad-request"},
		{name: "text/plain", contentType: "text/plain", body: str(`{}`), status: 415, slug: "unsupported-media-type"},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: str(`a=1`), status: 415, slug: "unsupported-media-type"},
		{name: "latin1 charset", contentType: "application/json; charset=latin1", body: str(`{}`), status: 415, slug: "unsupported-media-type"},
		{name: "malformed content type", contentType: "application/json; ;;=", body: str(`{}`), status: 415, slug: "unsupported-media-type"},
		{name: "no content type", contentType: "", body: str(`{}`), status: 415, slug: "unsupported-media-type", notEmpty: true},
		{name: "empty body", contentType: "application/json", body: str(``), status: 400, slug: "bad-request", notEmpty: true},
	}
}

// TestAbuseWritesNothing sends every abuse to every JSON route, with
// valid credentials so that the body is what is judged: the answer is the
// abuse's 4xx problem (documented in openapi.json for the route, which
// e.do checks) and no table changes.
func TestAbuseWritesNothing(t *testing.T) {
	e := newEnEnv(t)
	ctx := context.Background()
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("A00000001", 35, 131), nil)))
	_, registrar, err := e.Service.CreateRegistrar(ctx, "Registrar office")
	if err != nil {
		t.Fatal(err)
	}
	party, secret, err := rp.NewService(e.Store).Create(ctx, rp.Registration{Name: "Abuse platform",
		RedirectURIs: []string{"https://platform.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(token string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	}
	routes := []abuseRoute{
		{path: "/v1/enrolments"},
		{path: "/v1/assisted-enrolments", auth: bearer(registrar)},
		{path: w.path("/phone"), auth: bearer(w.started.Token)},
		{path: w.path("/phone/verify"), auth: bearer(w.started.Token)},
		{path: w.path("/phone/skip"), auth: bearer(w.started.Token), empty: true},
		{path: w.path("/face/challenge"), auth: bearer(w.started.Token), empty: true},
		{path: w.path("/face"), auth: bearer(w.started.Token)},
		{path: w.path("/password"), auth: bearer(w.started.Token)},
		{path: w.path("/complete"), auth: bearer(w.started.Token)},
		{path: "/v1/guardian/approvals"},
		{path: "/v1/residents/upgrade/challenge"},
		{path: "/v1/residents/upgrade"},
		{path: "/v1/residents/certificate/challenge"},
		{path: "/v1/residents/certificate/renew"},
		{path: "/v1/presentations/verify", auth: func(r *http.Request) { r.SetBasicAuth(party.ClientID, secret) }},
	}
	db := envDatabase(t)
	before := rowCounts(t, db)
	version := w.version()
	for _, rt := range routes {
		for _, a := range abuses(DefaultConfig().MaxBodyBytes) {
			if rt.empty && a.notEmpty {
				continue
			}
			t.Run(strings.TrimPrefix(rt.path, "/v1/")+"/"+a.name, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodPost, e.http.URL+rt.path, a.body())
				if err != nil {
					t.Fatal(err)
				}
				if a.contentType != "" {
					req.Header.Set("Content-Type", a.contentType)
				}
				if rt.auth != nil {
					rt.auth(req)
				}
				p := e.do(req).want(t, a.status).problem(t)
				if p.Type != ProblemTypeBase+a.slug || p.Status != a.status || p.Detail == "" {
					t.Errorf("problem %+v, want type %s, status %d and a detail", p, a.slug, a.status)
				}
			})
		}
	}
	sameCounts(t, "after the abuse", before, rowCounts(t, db))
	if v := w.version(); v != version {
		t.Errorf("the open enrolment's version went from %d to %d", version, v)
	}
	if strings.Contains(e.logs.String(), w.started.Token) || strings.Contains(e.logs.String(), secret) {
		t.Error("a token or secret reached the logs")
	}
}

// TestAbuseBadCredentialsHeaders: malformed Authorization headers are
// 400 or 401 problems, never a 5xx, and write nothing.
func TestAbuseBadCredentialsHeaders(t *testing.T) {
	e := newEnEnv(t)
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("A00000002", 35, 132), nil)))
	db := envDatabase(t)
	before := rowCounts(t, db)
	tests := []struct {
		name, path, header string
		status             int
	}{
		{"bearer too long", w.path("/phone"), "Bearer " + strings.Repeat("a", 4096), 400},
		{"bearer with spaces", w.path("/phone"), "Bearer a b", 400},
		{"bearer not ASCII", w.path("/phone"), "Bearer 令牌", 400},
		{"other scheme", w.path("/phone"), "Basic dXNlcjpwYXNz", 401},
		{"empty bearer", w.path("/phone"), "Bearer ", 400},
		{"wrong token", w.path("/phone"), "Bearer " + strings.Repeat("x", 43), 404},
		{"registrar bearer too long", "/v1/assisted-enrolments", "Bearer " + strings.Repeat("a", 4096), 400},
		{"registrar unknown", "/v1/assisted-enrolments", "Bearer " + strings.Repeat("x", 43), 401},
		{"basic not base64", "/v1/presentations/verify", "Basic %%%", 401},
		{"basic unknown client", "/v1/presentations/verify", "Basic " + "dW5rbm93bjpzZWNyZXQ=", 401},
		{"basic huge", "/v1/presentations/verify", "Basic " + strings.Repeat("QUFB", 8000), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, e.http.URL+tt.path, strings.NewReader(`{"number":"13800138000"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", tt.header)
			e.do(req).want(t, tt.status).problem(t)
		})
	}
	sameCounts(t, "after the bad credentials", before, rowCounts(t, db))
}

// runServer serves e's API through Run, the real http.Server with its
// timeouts and header limit, and returns its address.
func runServer(t *testing.T, e *enEnv, to Timeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, ln, e.server, to, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ln.Addr().String()
}

// rawExchange writes req on a fresh connection and reads until the server
// closes it or answers; the deadline only keeps a server that never
// answers from hanging the test.
func rawExchange(t *testing.T, addr string, write func(net.Conn) error) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := write(c); err != nil {
		t.Logf("writing: %v (the server may have cut the request off)", err)
	}
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server neither answered nor closed the connection (read %q)", b)
	}
	return string(b)
}

// TestAbuseHugeHeadersAndSlowBodies: through the real server, headers
// beyond the limit are refused with 431 before any handler runs, and a
// body that trickles in slower than the read timeout is cut off with a
// 400 problem (or the connection closed): neither writes anything.
func TestAbuseHugeHeadersAndSlowBodies(t *testing.T) {
	e := newEnEnv(t)
	to := DefaultTimeouts()
	to.Read = 300 * time.Millisecond
	to.ReadHeader = 300 * time.Millisecond
	addr := runServer(t, e, to)
	db := envDatabase(t)
	before := rowCounts(t, db)

	t.Run("huge header", func(t *testing.T) {
		got := rawExchange(t, addr, func(c net.Conn) error {
			_, err := fmt.Fprintf(c, "POST /v1/enrolments HTTP/1.1\r\nHost: x\r\nX-Padding: %s\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
				strings.Repeat("a", 128<<10))
			return err
		})
		if !strings.HasPrefix(got, "HTTP/1.1 431 ") {
			t.Errorf("answer %.80q, want 431 Request Header Fields Too Large", got)
		}
	})
	t.Run("many headers", func(t *testing.T) {
		got := rawExchange(t, addr, func(c net.Conn) error {
			var b bytes.Buffer
			b.WriteString("GET /healthz HTTP/1.1\r\nHost: x\r\n")
			for i := range 10000 {
				fmt.Fprintf(&b, "X-H%d: v\r\n", i)
			}
			b.WriteString("\r\n")
			_, err := c.Write(b.Bytes())
			return err
		})
		if !strings.HasPrefix(got, "HTTP/1.1 431 ") {
			t.Errorf("answer %.80q, want 431", got)
		}
	})
	t.Run("slow body", func(t *testing.T) {
		body := `{"evidence":{"authority":{"doc_type":"resident-id-card"}}}`
		got := rawExchange(t, addr, func(c net.Conn) error {
			if _, err := fmt.Fprintf(c, "POST /v1/enrolments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				len(body), body[:10]); err != nil {
				return err
			}
			// The rest never comes: the read timeout must end the wait.
			return nil
		})
		t.Logf("answer to the trickled body: %.60q", got)
		if got != "" && !strings.HasPrefix(got, "HTTP/1.1 400 ") {
			t.Errorf("answer %.200q, want a 400 problem or a closed connection", got)
		}
		if got != "" && !strings.Contains(got, "application/problem+json") {
			t.Errorf("answer %.200q is not a problem", got)
		}
	})
	t.Run("slow headers", func(t *testing.T) {
		got := rawExchange(t, addr, func(c net.Conn) error {
			_, err := io.WriteString(c, "POST /v1/enrolments HTTP/1.1\r\nHost: x\r\n")
			return err
		})
		t.Logf("answer to the unfinished headers: %.60q", got)
		if got != "" && !strings.HasPrefix(got, "HTTP/1.1 4") {
			t.Errorf("answer %.80q, want nothing or a 4xx", got)
		}
	})
	sameCounts(t, "after the oversized and slow requests", before, rowCounts(t, db))
}

// TestAbusePasswordGuessing guesses a resident's password through the
// certificate-renewal challenge, which authenticates with it. NIST SP
// 800-63B section 5.2.2 asks for a limit on failed attempts per account:
// after the configured number (5 in 15 minutes here) every attempt, the
// right password included, is 429 with Retry-After, so a guesser learns
// nothing; only the attempt counters are written.
func TestAbusePasswordGuessing(t *testing.T) {
	e := newEnEnv(t)
	done := e.enrolAdult("G00000001", 141, "13800138141")
	db := envDatabase(t)
	before := rowCounts(t, db)
	guess := func(password string) enResponse {
		return e.call(http.MethodPost, "/v1/residents/certificate/challenge", "", map[string]any{
			"resident": map[string]any{"internet_number": done.InternetNumber, "password": password},
		})
	}
	limit := 5 // enroltest.DefaultConfig's LoginPerAccount
	for i := range limit {
		p := guess(fmt.Sprintf("wrong guess number %d", i)).want(t, http.StatusUnauthorized).problem(t)
		if p.Type != ProblemTypeBase+"bad-credentials" {
			t.Fatalf("guess %d: %+v, want bad-credentials", i, p)
		}
	}
	for _, pw := range []string{"one more wrong guess", enPassword} {
		res := guess(pw).want(t, http.StatusTooManyRequests)
		if p := res.problem(t); p.Type != ProblemTypeBase+"throttled" {
			t.Errorf("after %d failures: %+v, want throttled", limit, p)
		}
		ra, err := strconv.Atoi(res.header.Get("Retry-After"))
		if err != nil || ra <= 0 || ra > 15*60 {
			t.Errorf("Retry-After = %q, want 1 to 900 seconds", res.header.Get("Retry-After"))
		}
	}
	// The window ends: the right password works again.
	e.Clock.Advance(16 * time.Minute)
	guess(enPassword).want(t, http.StatusOK)
	sameCounts(t, "after the guessing", before, rowCounts(t, db), "throttle_counters")
}

// TestAbusePhoneCodeGuessing guesses the one-time code of the enrolment's
// phone step: each wrong code says how many attempts are left; once they
// are spent (phone.DefaultMaxAttempts) the code is dead, the right one
// included, and a new code can be had only after the resend interval
// (429 with Retry-After), so that a six-digit code cannot be brute-forced.
// The new code then works.
func TestAbusePhoneCodeGuessing(t *testing.T) {
	e := newEnEnv(t)
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("C00000001", 35, 151), nil)))
	number := "13800138151"
	w.post("/phone", map[string]any{"number": number}).want(t, http.StatusAccepted)
	right := e.SMS.Code(w.started.ID)
	verify := func(code string) Problem {
		t.Helper()
		return w.post("/phone/verify", map[string]any{"number": number, "code": code}).
			want(t, http.StatusUnprocessableEntity).problem(t)
	}
	wrongs := 0
	for i := 0; ; i++ {
		code := fmt.Sprintf("%06d", i)
		if code == right {
			continue
		}
		p := verify(code)
		wrongs++
		if p.Type != ProblemTypeBase+"wrong-code" {
			t.Fatalf("wrong code %d: %+v, want wrong-code", wrongs, p)
		}
		if strings.Contains(p.Detail, "no attempts are left") {
			break
		}
		if !strings.Contains(p.Detail, "attempt") || wrongs > phone.DefaultMaxAttempts {
			t.Fatalf("wrong code %d: %q; want the attempts left, and no more than %d", wrongs, p.Detail, phone.DefaultMaxAttempts)
		}
	}
	if p := verify(right); !strings.Contains(p.Detail, "no attempts are left") {
		t.Fatalf("the right code after %d wrong ones: %+v; want it refused, the code being spent", wrongs, p)
	}
	res := w.post("/phone", map[string]any{"number": number}).want(t, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("a new code at once: Retry-After %q, want a positive number of seconds", res.header.Get("Retry-After"))
	}
	e.Clock.Advance(phone.DefaultResendInterval + time.Second)
	w.post("/phone", map[string]any{"number": number}).want(t, http.StatusAccepted)
	w.post("/phone/verify", map[string]any{"number": number, "code": e.SMS.Code(w.started.ID)}).want(t, http.StatusOK)
}
