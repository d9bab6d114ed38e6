package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// funcFlow is a Flow whose flows are fn; the runner's accounting is under
// test, not a server.
type funcFlow struct {
	fn      func(ctx context.Context, seq int) error
	prepErr error
}

func (f funcFlow) Name() string { return "func" }

func (f funcFlow) Worker(context.Context, int, int) (func(context.Context, int) error, error) {
	return f.fn, f.prepErr
}

func TestRunCountsFlowsAndErrors(t *testing.T) {
	var ran atomic.Int64
	f := funcFlow{fn: func(_ context.Context, seq int) error {
		ran.Add(1)
		switch seq % 4 {
		case 1:
			return &StepError{Step: "token", Kind: "HTTP 400 invalid_grant", Detail: "seq " + fmt.Sprint(seq)}
		case 2:
			return stepErr("authorize", context.DeadlineExceeded)
		}
		return nil
	}}
	res, err := Run(context.Background(), "http://127.0.0.1:1", f, RunConfig{Count: 40, Duration: time.Minute, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 40 || res.Started != 40 || res.Succeeded != 20 || res.Failed != 20 || res.Stopped != "count" {
		t.Errorf("ran %d, result %+v; want 40 started, 20 succeeded, stopped by count", ran.Load(), res)
	}
	want := map[string]int{"token: HTTP 400 invalid_grant": 10, "authorize: timeout": 10}
	if fmt.Sprint(res.Errors) != fmt.Sprint(want) {
		t.Errorf("errors %v, want %v", res.Errors, want)
	}
	var text, js bytes.Buffer
	if err := res.WriteText(&text); err != nil || !strings.Contains(text.String(), "p99") || !strings.Contains(text.String(), "token: HTTP 400 invalid_grant") {
		t.Errorf("WriteText() = %q, %v", text.String(), err)
	}
	if err := res.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"p99"`) {
		t.Errorf("WriteJSON() = %q, %v", js.String(), err)
	}
}

func TestRunStopsAtDurationAndInterruption(t *testing.T) {
	slow := funcFlow{fn: func(ctx context.Context, _ int) error {
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	}}
	res, err := Run(context.Background(), "", slow, RunConfig{Count: MaxCount, Duration: 100 * time.Millisecond, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "duration" || res.Started >= MaxCount || res.Started == 0 {
		t.Errorf("result %+v, want a run stopped by its duration", res)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	stopAt := funcFlow{fn: func(context.Context, int) error {
		if n.Add(1) == 5 {
			cancel()
		}
		return nil
	}}
	res, err = Run(ctx, "", stopAt, RunConfig{Count: 1000, Duration: time.Minute, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "interrupted" || res.Started >= 1000 {
		t.Errorf("result %+v, want an interrupted run", res)
	}
}

func TestRunRefusals(t *testing.T) {
	ok := funcFlow{fn: func(context.Context, int) error { return nil }}
	for _, c := range []RunConfig{
		{Count: 0, Duration: time.Second, Concurrency: 1},
		{Count: MaxCount + 1, Duration: time.Second, Concurrency: 1},
		{Count: 1, Duration: 0, Concurrency: 1},
		{Count: 1, Duration: MaxDuration + time.Second, Concurrency: 1},
		{Count: 1, Duration: time.Second, Concurrency: 0},
		{Count: 1, Duration: time.Second, Concurrency: MaxConcurrency + 1},
		{Count: 1, Duration: time.Second, Concurrency: 1, Rate: -1},
		{Count: 1, Duration: time.Second, Concurrency: 1, Rate: MaxRate + 1},
	} {
		if _, err := Run(context.Background(), "", ok, c); err == nil {
			t.Errorf("Run(%+v) = nil error, want a refusal", c)
		}
	}
	failing := funcFlow{prepErr: errors.New("no session")}
	if _, err := Run(context.Background(), "", failing, RunConfig{Count: 1, Duration: time.Second, Concurrency: 2}); err == nil || !strings.Contains(err.Error(), "no session") {
		t.Errorf("Run(worker preparation fails) = %v, want that error", err)
	}
}

func TestSummarise(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarise(ds)
	want := Latency{Mean: 50.5, P50: 50, P95: 95, P99: 99, Max: 100}
	if got != want {
		t.Errorf("summarise(1..100 ms) = %+v, want %+v", got, want)
	}
	if got := summarise(nil); got != (Latency{}) {
		t.Errorf("summarise(nil) = %+v, want zero", got)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.9.8.7:1/", true},
		{"https://[::1]:8443", true},
		{"http://localhost:8080", true},
		{"http://LOCALHOST", true},
		{"http://[::ffff:127.0.0.1]:80", true},
		{"http://10.0.0.1:8080", false},
		{"http://example.org", false},
		{"http://localhost.example.org", false},
		{"http://127.0.0.1.nip.io", false},
		{"ftp://127.0.0.1", false},
		{"http://user:pw@127.0.0.1", false},
		{"http://127.0.0.1/?q=1", false},
		{"127.0.0.1:8080", false},
	} {
		_, err := CheckLoopback(c.url)
		if (err == nil) != c.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", c.url, err, c.ok)
		}
	}
}

// The client never connects off loopback, whatever a server redirects to.
func TestClientRefusesOtherHosts(t *testing.T) {
	hc := newHTTPClient(nil, 1, false)
	_, err := hc.Get("http://192.0.2.1:9/")
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Get(192.0.2.1) = %v, want ErrNotLoopback", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.RemoteAddr))
	}))
	defer srv.Close()
	// Spread source addresses reach the server from 127.1.x.y.
	u, err := CheckLoopback(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	addrs := newSourceAddrs(u)
	first, second := addrs.addr(), addrs.addr()
	if first.IP.String() != "127.1.0.1" || second.IP.String() != "127.1.0.2" {
		t.Fatalf("source addresses %v, %v", first, second)
	}
	res, err := newHTTPClient(second, 1, false).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	if !strings.HasPrefix(b.String(), "127.1.0.2:") {
		t.Errorf("server saw %q, want 127.1.0.2", b.String())
	}
}

func TestReadNumbers(t *testing.T) {
	got, err := ReadNumbers(strings.NewReader("# seeded\nAAA\n\n BBB \nCCC\n"), 2)
	if err != nil || fmt.Sprint(got) != "[AAA BBB]" {
		t.Errorf("ReadNumbers() = %v, %v, want [AAA BBB]", got, err)
	}
	if _, err := ReadNumbers(strings.NewReader("\n# none\n"), 10); err == nil {
		t.Error("ReadNumbers(no numbers) = nil error")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -42000: "-42,000"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestProgressLines(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, 100, "seeding")
	for i := 1; i <= 100; i++ {
		p.Set(i)
	}
	p.Finish()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 10 || !strings.Contains(lines[9], "100%") || !strings.Contains(lines[9], "100/100") {
		t.Errorf("progress on a non-terminal: %d lines, last %q; want 10 ending at 100%%", len(lines), lines[len(lines)-1])
	}
}

// FuzzPageForm: whatever a page holds, the form reader never panics and
// returns fields only from the page.
func FuzzPageForm(f *testing.F) {
	f.Add([]byte(`<input type="hidden" name="id" value="abc"><input type="hidden" name="csrf" value="x&amp;y">`))
	f.Add([]byte(`name="id" value=""`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, page []byte) {
		form, err := pageForm("page", &answer{status: 200, body: page})
		if err == nil && (form.Get("id") == "" || form.Get("csrf") == "") {
			t.Errorf("pageForm(%q) = %v without an id and csrf", page, form)
		}
	})
}

// FuzzJWTClaims: malformed tokens are errors, never panics.
func FuzzJWTClaims(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJ4Iiwibm9uY2UiOiJuIiwic3ViIjoicyJ9.c2ln")
	f.Add("a.b")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		if c, err := jwtClaims(tok); err == nil && strings.Count(tok, ".") != 2 {
			t.Errorf("jwtClaims(%q) = %+v without three parts", tok, c)
		}
	})
}

// FuzzReadNumbers: any file reads without panicking, within the bound.
func FuzzReadNumbers(f *testing.F) {
	f.Add([]byte("AAA\nBBB\n"), 1)
	f.Add([]byte("#\n\n"), 5)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 1 || max > 1000 {
			return
		}
		got, err := ReadNumbers(bytes.NewReader(data), max)
		if err == nil && (len(got) == 0 || len(got) > max) {
			t.Errorf("ReadNumbers() = %d numbers, want 1 to %d", len(got), max)
		}
	})
}
