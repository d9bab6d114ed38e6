package portal

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/account"},
		{"/account", "/account"},
		{"/account/consents", "/account/consents"},
		{"/account/disclosures?platform=rp-1&claim=name", "/account/disclosures?platform=rp-1&claim=name"},
		{"/account?minor=r1", "/account?minor=r1"},
		{"https://evil.example/account", "/account"},
		{"//evil.example/account", "/account"},
		{"/accountant", "/account"},
		{"/account/../admin", "/account"},
		{"/account/login", "/account"},
		{"/account/logout", "/account"},
		{"/account\\..\\x", "/account"},
		{"/account/\r\nLocation: x", "/account"},
		{"/account/" + strings.Repeat("a", 600), "/account"},
		{"/", "/account"},
		{"javascript:alert(1)", "/account"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/account", "/account/x?y=1", "//x", "/account/../x", "/account%2f..%2fx", "https://x/account", "/account\t/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/account") || strings.HasPrefix(got, "//") {
			t.Fatalf("safeNext(%q) = %q: not a path of the portal", next, got)
		}
		if strings.Contains(u.Path, "..") && got != "/account" {
			t.Fatalf("safeNext(%q) = %q keeps a dot-dot segment", next, got)
		}
	})
}

func TestParseFilter(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	p := &Portal{cfg: Config{Location: shanghai}}
	tests := []struct {
		query   string
		from    time.Time
		to      time.Time
		before  time.Time
		wantBad string
	}{
		{query: ""},
		{query: "from=2026-01-02&to=2026-01-02", from: time.Date(2026, 1, 2, 0, 0, 0, 0, shanghai), to: time.Date(2026, 1, 3, 0, 0, 0, 0, shanghai)},
		{query: "before=1700000000000000", before: time.UnixMicro(1700000000000000).UTC()},
		{query: "from=2026-1-2", wantBad: "disclosures.bad_date"},
		{query: "to=tomorrow", wantBad: "disclosures.bad_date"},
		{query: "from=1999-12-31", wantBad: "disclosures.bad_date"},
		{query: "from=2026-01-03&to=2026-01-02", wantBad: "disclosures.bad_range"},
		{query: "claim=shoe_size", wantBad: "disclosures.bad_claim"},
		{query: "platform=" + strings.Repeat("x", 129), wantBad: "disclosures.bad_platform"},
		{query: "before=-5", wantBad: "disclosures.bad_cursor"},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		f, bad := p.parseFilter(q)
		switch {
		case tt.wantBad != "":
			if bad == nil || bad.Key != tt.wantBad {
				t.Errorf("parseFilter(%q) = %+v, want %s", tt.query, bad, tt.wantBad)
			}
		case bad != nil:
			t.Errorf("parseFilter(%q): %s", tt.query, bad.Key)
		case !f.From.Equal(tt.from) || !f.To.Equal(tt.to) || !f.Before.Equal(tt.before):
			t.Errorf("parseFilter(%q) = from %v to %v before %v; want %v %v %v", tt.query, f.From, f.To, f.Before, tt.from, tt.to, tt.before)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"from=2026-01-02&to=2026-01-03", "claim=name&platform=rp-1", "before=1", "to=9999-12-31", "from=0000-01-01", "before=99999999999999999999"} {
		f.Add(s)
	}
	p := &Portal{cfg: Config{Location: time.UTC}}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, bad := p.parseFilter(q)
		if bad != nil {
			if _, ok := catalogueEN[bad.Key]; !ok {
				t.Fatalf("parseFilter(%q): unknown message %q", raw, bad.Key)
			}
			return
		}
		if !fl.From.IsZero() && !fl.To.IsZero() && !fl.From.Before(fl.To) {
			t.Fatalf("parseFilter(%q) accepted from %v after to %v", raw, fl.From, fl.To)
		}
		if fl.Limit != disclosuresPageSize {
			t.Fatalf("parseFilter(%q): limit %d", raw, fl.Limit)
		}
	})
}

func FuzzAfterParam(f *testing.F) {
	for _, s := range []string{"", "0", "1", "007", "-1", "18446744073709551615", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := afterParam(url.Values{"after_seq": {v}})
		if err == nil && v != "" && n > 1<<63-1 {
			t.Fatalf("afterParam(%q) = %d beyond 2^63", v, n)
		}
	})
}

func TestFormatSerial(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", "abcd": "abcd", "abcde": "a bcde", "123456789": "1 2345 6789"} {
		if got := formatSerial(in); got != want {
			t.Errorf("formatSerial(%q) = %q, want %q", in, got, want)
		}
	}
}
