package resident

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/netid/netid/internal/resident/residentapi"
	"github.com/netid/netid/internal/translog"
)

// isBadRequest reports whether err is a 400 problem, as every refusal of
// the parsers must be.
func isBadRequest(err error) bool {
	var p *problem
	return errors.As(err, &p) && p.Status == http.StatusBadRequest
}

// FuzzParseDisclosureQuery: any query either parses into a filter within
// its bounds or is refused with a 400, never a panic.
func FuzzParseDisclosureQuery(f *testing.F) {
	for _, s := range []string{
		"", "platform=rp-0123&claim=age_over_18", "from=2025-09-01&to=2025-09-02", "from=2025-09-01T10:00:00Z",
		"before=2025-09-01T10:00:00.123456Z&limit=50", "limit=1000", "limit=1001", "limit=0", "limit=01",
		"claim=A", "platform=", "from=2025-13-01", "to=0001-01-01", "x=1", "claim=a&claim=b", "%zz",
		"from=2025-09-02&to=2025-09-01", "before=9999-12-31T23:59:59Z", "from=1969-12-31T23:59:59Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		d, err := ParseDisclosureQuery(q)
		if err != nil {
			if !isBadRequest(err) {
				t.Fatalf("ParseDisclosureQuery(%q) = %v, want a 400 problem", raw, err)
			}
			return
		}
		if d.Limit < 0 || d.Limit > MaxDisclosures {
			t.Fatalf("limit %d out of bounds", d.Limit)
		}
		if d.Platform != "" && !clientIDPattern.MatchString(d.Platform) || d.Claim != "" && !claimPattern.MatchString(d.Claim) {
			t.Fatalf("accepted platform %q, claim %q", d.Platform, d.Claim)
		}
		if !d.From.IsZero() && !d.To.IsZero() && !d.From.Before(d.To) {
			t.Fatalf("accepted from %v not before to %v", d.From, d.To)
		}
	})
}

// FuzzParseHistoryQuery: the same for the history's query.
func FuzzParseHistoryQuery(f *testing.F) {
	for _, s := range []string{"", "since_size=0", "since_size=42&after_seq=3&limit=10", "limit=1000", "limit=1001",
		"since_size=-1", "since_size=9223372036854775808", "after_seq=007", "page=2", "since_size=1&since_size=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		h, err := ParseHistoryQuery(q)
		if err != nil {
			if !isBadRequest(err) {
				t.Fatalf("ParseHistoryQuery(%q) = %v, want a 400 problem", raw, err)
			}
			return
		}
		if h.Limit < 0 || h.Limit > translog.MaxListing || h.SinceSize > 1<<63-1 || h.AfterSeq > 1<<63-1 {
			t.Fatalf("ParseHistoryQuery(%q) = %+v out of bounds", raw, h)
		}
		if h.HasSince != q.Has("since_size") {
			t.Fatalf("HasSince %v for %q", h.HasSince, raw)
		}
	})
}

// decodeJSON decodes b as decodeBody decodes a request's body into dst.
func decodeJSON(b []byte, dst any) error {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	return decodeBody(httptest.NewRecorder(), r, dst, false)
}

// FuzzDecodeJSON: the strict decoder of request bodies accepts only one
// valid UTF-8 object without unknown or repeated members, and refuses
// everything else with a 400.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"username":"ABCDE12345","password":"pw"}`, `{"presentation":"NETID1:AA"}`, `{}`, `[]`, `null`, ``,
		`{"username":"a","username":"b"}`, `{"username":"a"} {}`, `{"x":1}`, "{\"username\":\"\xff\"}",
		`{"username":{"a":1,"a":2}}`, `{"username":1}`, `{"password":"\u0000"}`, `{"username":"a",}`,
		`{"confirm":"x","password":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in residentapi.Login
		err := decodeJSON(b, &in)
		if err != nil {
			if !isBadRequest(err) {
				t.Fatalf("decodeJSON(%q) = %v, want a 400 problem", b, err)
			}
			return
		}
		if !utf8.Valid(b) {
			t.Fatalf("decodeJSON accepted invalid UTF-8 %q", b)
		}
		var generic map[string]json.RawMessage
		if err := json.Unmarshal(b, &generic); err != nil {
			t.Fatalf("decodeJSON accepted %q, which is not an object: %v", b, err)
		}
		for k := range generic {
			if k != "username" && k != "password" && k != "presentation" {
				t.Fatalf("decodeJSON accepted unknown member %q", k)
			}
		}
	})
}
