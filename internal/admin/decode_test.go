package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/httpapi/problem"
)

// decodeBody decodes body as decodeRequest decodes a request's body into
// v.
func decodeBody(body []byte, v any) *problem.Problem {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	err := decodeRequest(r, v)
	p, ok := err.(*problem.Problem)
	if err != nil && !ok {
		panic(fmt.Sprintf("decodeRequest(%q) = %#v, not a *problem.Problem", body, err))
	}
	return p
}

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{"registration", `{"name":"Shop","redirect_uris":["https://s.example/cb"],"approved_claims":[{"claim":"name","purpose":"p"}]}`, ""},
		{"whitespace around", " \n{\"name\":\"x\"}\n ", ""},
		{"empty object", `{}`, ""},
		{"empty", ``, "empty"},
		{"array", `[]`, "JSON object"},
		{"null", `null`, "JSON object"},
		{"unknown member", `{"nom":"x"}`, `unknown member "nom"`},
		{"nested unknown member", `{"approved_claims":[{"claim":"name","why":"p"}]}`, `"why"`},
		{"duplicate", `{"name":"x","name":"x"}`, `"name" appears twice`},
		{"duplicate in array element", `{"approved_claims":[{"claim":"a"},{"claim":"b","claim":"c"}]}`, "in approved_claims[]"},
		{"same key in two objects", `{"approved_claims":[{"claim":"a"},{"claim":"b"}]}`, ""},
		{"trailing object", `{"name":"x"}{}`, "after the JSON object"},
		{"trailing garbage", `{"name":"x"} x`, "after the JSON object"},
		{"truncated", `{"name":"x"`, "ends too early"},
		{"wrong type", `{"name":["x"]}`, "name: want a string, not array"},
		{"bad UTF-8", "{\"name\":\"\xc3\x28\"}", "UTF-8"},
		{"too deep", `{"approved_claims":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "nests deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req registrationRequest
			p := decodeBody([]byte(tt.body), &req)
			switch {
			case tt.wantErr == "" && p != nil:
				t.Errorf("decodeBody() = %v, want nil", p)
			case tt.wantErr != "" && (p == nil || !strings.Contains(p.Detail, tt.wantErr)):
				t.Errorf("decodeBody() = %v, want a problem containing %q", p, tt.wantErr)
			}
			if p != nil && p.Status != 400 {
				t.Errorf("status %d, want 400", p.Status)
			}
		})
	}
}

// FuzzDecodeBody: whatever the body, decoding ends in nil or a 400 without
// panicking, and what is accepted is accepted again after a round trip
// through encoding/json.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"Shop","redirect_uris":["https://s.example/cb"],"min_acr":"low"}`,
		`{"name":"x","name":"y"}`, `{"approved_claims":[{"claim":"name","purpose":"p","claim":"x"}]}`,
		`{"internet_number":"ABCDE-FGHJK","authority":"MPS","legal_basis":"Art.1","ref":"C","notice_delay":"720h"}`,
		`[]`, `{}`, ``, `{"a":`, "{\"\xff\":1}", `{"version":1e400}`, `{"name":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var reg registrationRequest
		if p := decodeBody(body, &reg); p != nil {
			if p.Status != 400 {
				t.Fatalf("status %d, want 400", p.Status)
			}
			return
		}
		again, err := json.Marshal(reg)
		if err != nil {
			t.Fatal(err)
		}
		var reg2 registrationRequest
		if p := decodeBody(again, &reg2); p != nil {
			t.Fatalf("re-encoded %s refused: %v", again, p)
		}
		var la lawfulAccessRequest
		_ = decodeBody(body, &la)
	})
}

func TestDayRange(t *testing.T) {
	now := time.Date(2025, 7, 15, 23, 59, 0, 0, time.UTC)
	d := func(s string) time.Time { x, _ := time.Parse(time.DateOnly, s); return x }
	tests := []struct {
		from, to         string
		wantFrom, wantTo string
		wantErr          bool
	}{
		{"", "", "2025-07-09", "2025-07-15", false},
		{"", "2025-07-01", "2025-06-25", "2025-07-01", false},
		{"2025-07-15", "", "2025-07-15", "2025-07-15", false},
		{"2024-07-15", "2025-07-15", "2024-07-15", "2025-07-15", false}, // 366 days
		{"2024-07-14", "2025-07-15", "", "", true},                      // 367
		{"2025-07-16", "2025-07-15", "", "", true},
		{"2025-7-1", "", "", "", true},
		{"", "yesterday", "", "", true},
	}
	for _, tt := range tests {
		from, to, err := DayRange(tt.from, tt.to, now)
		if (err != nil) != tt.wantErr {
			t.Errorf("DayRange(%q, %q) error = %v, want error %v", tt.from, tt.to, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && (!from.Equal(d(tt.wantFrom)) || !to.Equal(d(tt.wantTo))) {
			t.Errorf("DayRange(%q, %q) = %v, %v; want %s, %s", tt.from, tt.to, from, to, tt.wantFrom, tt.wantTo)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"two\nlines\r\x1b[31m", 100, "two lines  [31m"},
		{"中文中文", 7, "中文…"},
		{"abcdef", 3, "abc…"},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
