package document

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testRecords returns the records of a small simulated authority.
func testRecords(t testing.TB) *AuthorityRecords {
	return &AuthorityRecords{
		Authority: "sim-mps",
		Records: []AuthorityRecord{
			{DocType: ResidentIDCard, Number: specimenIDNumber, Name: "张三", BirthDate: Date{1949, 12, 31}, Sex: "F", Status: StatusValid, Expiry: Date{2030, 1, 1}},
			{DocType: ResidentIDCard, Number: idNumber(t, "44030520000229123"), Name: "李四", BirthDate: Date{2000, 2, 29}, Sex: "M", Status: StatusRevoked},
			{DocType: ResidentIDCard, Number: idNumber(t, "33010219800101001"), Name: "王五", BirthDate: Date{1980, 1, 1}, Sex: "M", Status: StatusValid, Expiry: Date{2020, 1, 1}},
			{DocType: ResidentIDCard, Number: idNumber(t, "33010219800101003"), Name: "赵六", BirthDate: Date{1980, 1, 1}, Sex: "M", Status: StatusExpired},
			{DocType: ForeignPermanentResidentCard, Number: idNumber(t, "91184019800704001"), Name: "John  smith", BirthDate: Date{1980, 7, 4}, Sex: "M", Status: StatusValid},
			{DocType: TaiwanTravelPermit, Number: "05616820", Name: "陈七", BirthDate: Date{1970, 5, 6}, Sex: "F", Status: StatusValid},
		},
	}
}

func newTestSim(t testing.TB, opts ...SimulatedOption) *SimulatedAuthority {
	t.Helper()
	opts = append([]SimulatedOption{WithSimulatedClock(func() time.Time { return testNow })}, opts...)
	s, err := NewSimulatedAuthority(testRecords(t), opts...)
	if err != nil {
		t.Fatalf("NewSimulatedAuthority: %v", err)
	}
	return s
}

// authorityCases are the verdicts both the simulated authority and the HTTP
// adapter in front of it must give.
func authorityCases(t testing.TB) []struct {
	name  string
	query AuthorityQuery
	want  AuthorityResult
} {
	return []struct {
		name  string
		query AuthorityQuery
		want  AuthorityResult
	}{
		{"valid", AuthorityQuery{ResidentIDCard, specimenIDNumber, "张三", Date{1949, 12, 31}},
			AuthorityResult{Status: StatusValid, Authority: "sim-mps", BirthDate: Date{1949, 12, 31}, Sex: "F", Expiry: Date{2030, 1, 1}}},
		{"valid, lower-case x and spaces", AuthorityQuery{ResidentIDCard, " 11010519491231002x ", " 张三 ", Date{1949, 12, 31}},
			AuthorityResult{Status: StatusValid, Authority: "sim-mps", BirthDate: Date{1949, 12, 31}, Sex: "F", Expiry: Date{2030, 1, 1}}},
		{"valid, Latin name in another case", AuthorityQuery{ForeignPermanentResidentCard, idNumber(t, "91184019800704001"), "JOHN SMITH", Date{1980, 7, 4}},
			AuthorityResult{Status: StatusValid, Authority: "sim-mps", BirthDate: Date{1980, 7, 4}, Sex: "M"}},
		{"wrong name", AuthorityQuery{ResidentIDCard, specimenIDNumber, "张四", Date{1949, 12, 31}},
			AuthorityResult{Status: StatusMismatch, Authority: "sim-mps"}},
		{"wrong birth date", AuthorityQuery{ResidentIDCard, specimenIDNumber, "张三", Date{1949, 12, 30}},
			AuthorityResult{Status: StatusMismatch, Authority: "sim-mps"}},
		{"unknown number", AuthorityQuery{ResidentIDCard, idNumber(t, "11010519491231003"), "张三", Date{1949, 12, 31}},
			AuthorityResult{Status: StatusNotFound, Authority: "sim-mps"}},
		{"same number, other type", AuthorityQuery{HKMacaoTravelPermit, "H05616820", "陈七", Date{1970, 5, 6}},
			AuthorityResult{Status: StatusNotFound, Authority: "sim-mps"}},
		{"reported lost", AuthorityQuery{ResidentIDCard, idNumber(t, "44030520000229123"), "李四", Date{2000, 2, 29}},
			AuthorityResult{Status: StatusRevoked, Authority: "sim-mps"}},
		{"expiry date passed", AuthorityQuery{ResidentIDCard, idNumber(t, "33010219800101001"), "王五", Date{1980, 1, 1}},
			AuthorityResult{Status: StatusExpired, Authority: "sim-mps", Expiry: Date{2020, 1, 1}}},
		{"recorded as expired", AuthorityQuery{ResidentIDCard, idNumber(t, "33010219800101003"), "赵六", Date{1980, 1, 1}},
			AuthorityResult{Status: StatusExpired, Authority: "sim-mps"}},
		{"travel permit", AuthorityQuery{TaiwanTravelPermit, "05616820", "陈七", Date{1970, 5, 6}},
			AuthorityResult{Status: StatusValid, Authority: "sim-mps", BirthDate: Date{1970, 5, 6}, Sex: "F"}},
	}
}

var ignoreVerificationID = cmpopts.IgnoreFields(AuthorityResult{}, "VerificationID")

func TestSimulatedAuthorityVerify(t *testing.T) {
	sim := newTestSim(t)
	seen := map[string]bool{}
	for _, tt := range authorityCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sim.Verify(context.Background(), tt.query)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreVerificationID); diff != "" {
				t.Errorf("Verify mismatch (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(got.VerificationID, "sim-") || seen[got.VerificationID] {
				t.Errorf("got verification id %q, want a fresh sim- identifier", got.VerificationID)
			}
			seen[got.VerificationID] = true
		})
	}
}

// TestHTTPAuthorityAgainstSimulated runs the HTTP adapter against the
// simulated authority over a real HTTP round trip.
func TestHTTPAuthorityAgainstSimulated(t *testing.T) {
	srv := httptest.NewServer(newTestSim(t, WithRequiredToken("s3cret")))
	defer srv.Close()
	var logs bytes.Buffer
	a, err := NewHTTPAuthority(srv.URL+"/", WithBearerToken("s3cret"), WithHTTPClient(srv.Client()),
		WithClock(func() time.Time { return testNow }), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatalf("NewHTTPAuthority: %v", err)
	}
	for _, tt := range authorityCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Verify(context.Background(), tt.query)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreVerificationID); diff != "" {
				t.Errorf("Verify mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// The logs hold outcomes, never the personal data of the queries.
	for _, secret := range []string{"张三", "1101051949", "1949-12-31", "SMITH", "s3cret"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "status=valid") {
		t.Errorf("logs do not record the outcome:\n%s", logs.String())
	}
}

func TestHTTPAuthorityErrors(t *testing.T) {
	valid := AuthorityQuery{ResidentIDCard, specimenIDNumber, "张三", Date{1949, 12, 31}}
	sim := newTestSim(t, WithRequiredToken("s3cret"))
	release := make(chan struct{})
	var servers []*httptest.Server
	defer func() {
		close(release)
		for _, srv := range servers {
			srv.Close()
		}
	}()
	tests := []struct {
		name     string
		handler  http.Handler
		token    string
		opts     []HTTPOption
		sentinel error
		message  string
	}{
		{"wrong token", sim, "wrong", nil, ErrAuthorityRejected,
			"document authority rejected the request: HTTP 401: missing or wrong bearer token"},
		{"no token", sim, "", nil, ErrAuthorityRejected, "HTTP 401"},
		{"server error with problem", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"type":"https://authority.example/maintenance","title":"Down for maintenance","status":503,"detail":"number 11010519491231002X"}`)
		}), "", nil, ErrAuthorityUnavailable,
			"document authority unavailable: HTTP 503 (https://authority.example/maintenance): Down for maintenance"},
		{"rate limited, plain text", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}), "", nil, ErrAuthorityUnavailable, "document authority unavailable: HTTP 429: Too Many Requests"},
		{"redirect not followed", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				t.Errorf("the adapter followed a redirect")
			}
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}), "", nil, ErrAuthorityProtocol, "HTTP 307"},
		{"not JSON", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html>hello</html>")
		}), "", nil, ErrAuthorityProtocol, "want application/json"},
		{"oversized answer", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"valid","authority":"`+strings.Repeat("a", 200)+`"}`)
		}), "", []HTTPOption{WithMaxResponseBytes(100)}, ErrAuthorityProtocol, "answer larger than 100 bytes"},
		{"unknown status", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"probably","authority":"x","verification_id":"y"}`)
		}), "", nil, ErrAuthorityProtocol, `status "probably" is not one of`},
		{"valid with another birth date", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"valid","authority":"x","verification_id":"y","birth_date":"1950-01-01","sex":"F"}`)
		}), "", nil, ErrAuthorityProtocol, "confirms another birth date"},
		{"timeout", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Hold the answer until the test ends; the adapter must give up
			// first. (The server does not notice the client leaving while
			// the request body is unread, so r.Context() would not do.)
			<-release
		}), "", []HTTPOption{WithTimeout(50 * time.Millisecond)}, ErrAuthorityUnavailable, "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			// Closed after the held handler is released.
			servers = append(servers, srv)
			opts := append([]HTTPOption{WithHTTPClient(srv.Client()), WithBearerToken(tt.token), WithClock(func() time.Time { return testNow })}, tt.opts...)
			a, err := NewHTTPAuthority(srv.URL, opts...)
			if err != nil {
				t.Fatalf("NewHTTPAuthority: %v", err)
			}
			_, err = a.Verify(context.Background(), valid)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("Verify error = %v, want %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("Verify error = %q, want it to contain %q", err, tt.message)
			}
			if strings.Contains(err.Error(), "11010519491231002X") {
				t.Errorf("Verify error %q repeats the problem detail", err)
			}
		})
	}
}

func TestHTTPAuthorityRefusesBadQueries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a bad query reached the authority")
	}))
	defer srv.Close()
	a, err := NewHTTPAuthority(srv.URL, WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		q        AuthorityQuery
		sentinel error
	}{
		{"bad number", AuthorityQuery{ResidentIDCard, "110105194912310021", "张三", Date{1949, 12, 31}}, ErrCheckDigit},
		{"unknown type", AuthorityQuery{"visa", "X", "张三", Date{1949, 12, 31}}, ErrDocType},
		{"no name", AuthorityQuery{ResidentIDCard, specimenIDNumber, "  ", Date{1949, 12, 31}}, ErrFormat},
		{"long name", AuthorityQuery{ResidentIDCard, specimenIDNumber, strings.Repeat("名", 100), Date{1949, 12, 31}}, ErrFormat},
		{"no birth date", AuthorityQuery{ResidentIDCard, specimenIDNumber, "张三", Date{}}, ErrDate},
	}
	for _, tt := range tests {
		if _, err := a.Verify(context.Background(), tt.q); !errors.Is(err, tt.sentinel) {
			t.Errorf("%s: Verify error = %v, want %v", tt.name, err, tt.sentinel)
		}
	}
}

func TestNewHTTPAuthority(t *testing.T) {
	for _, u := range []string{"https://authority.example", "https://authority.example/base/", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"} {
		if _, err := NewHTTPAuthority(u); err != nil {
			t.Errorf("NewHTTPAuthority(%q): %v", u, err)
		}
	}
	for _, u := range []string{"http://authority.example", "ftp://authority.example", "https://", "https://user:pw@authority.example", "https://authority.example/?q=1", "::"} {
		if _, err := NewHTTPAuthority(u); err == nil {
			t.Errorf("NewHTTPAuthority(%q) succeeded, want an error", u)
		}
	}
	if _, err := NewHTTPAuthority("https://authority.example", WithTimeout(0)); err == nil {
		t.Errorf("NewHTTPAuthority with a zero timeout succeeded, want an error")
	}
	a, err := NewHTTPAuthority("https://authority.example/base/")
	if err != nil {
		t.Fatal(err)
	}
	if a.endpoint != "https://authority.example/base/v1/verify" {
		t.Errorf("got endpoint %q, want https://authority.example/base/v1/verify", a.endpoint)
	}
}

func TestSimulatedAuthorityHTTPProtocol(t *testing.T) {
	srv := httptest.NewServer(newTestSim(t))
	defer srv.Close()
	tests := []struct {
		name, method, path, contentType, body string
		want                                  int
	}{
		{"ok", http.MethodPost, VerifyPath, "application/json", `{"doc_type":"resident-id-card","number":"11010519491231002X","name":"张三","birth_date":"1949-12-31"}`, http.StatusOK},
		{"wrong path", http.MethodPost, "/v2/verify", "application/json", `{}`, http.StatusNotFound},
		{"GET", http.MethodGet, VerifyPath, "", "", http.StatusMethodNotAllowed},
		{"form", http.MethodPost, VerifyPath, "application/x-www-form-urlencoded", "a=b", http.StatusUnsupportedMediaType},
		{"unknown field", http.MethodPost, VerifyPath, "application/json", `{"doc_type":"resident-id-card","portrait":"..."}`, http.StatusBadRequest},
		{"invalid number", http.MethodPost, VerifyPath, "application/json", `{"doc_type":"resident-id-card","number":"1","name":"张三","birth_date":"1949-12-31"}`, http.StatusBadRequest},
		{"bad date", http.MethodPost, VerifyPath, "application/json", `{"doc_type":"resident-id-card","number":"11010519491231002X","name":"张三","birth_date":"1949-02-30"}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("got HTTP %d, want %d", resp.StatusCode, tt.want)
			}
			wantType := "application/json"
			if tt.want != http.StatusOK {
				wantType = "application/problem+json"
			}
			if got := resp.Header.Get("Content-Type"); got != wantType {
				t.Errorf("got Content-Type %q, want %q", got, wantType)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{" 张三 ", "张三"},
		{"John   Smith", "JOHN SMITH"},
		{"买买提\u30fb艾力", "买买提·艾力"},
		{"买买提\u2022艾力", "买买提·艾力"},
		{"买买提·艾力", "买买提·艾力"},
		{"\t\n", ""},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.in); got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAuthorityQueryLogValue(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("verify", "query", AuthorityQuery{ResidentIDCard, specimenIDNumber, "张三", Date{1949, 12, 31}})
	if s := buf.String(); strings.Contains(s, "张三") || strings.Contains(s, "1101") || !strings.Contains(s, "resident-id-card") {
		t.Errorf("logged query = %s, want the document type only", s)
	}
}
