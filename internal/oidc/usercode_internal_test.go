package oidc

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/netid/netid/internal/rp"
)

func TestNormalCode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"K7QM-3XWD", "K7QM3XWD", true},
		{"k7qm 3xwd", "K7QM3XWD", true},
		{" K7QM\t3XWD ", "K7QM3XWD", true},
		{"K7QM--3XWD", "K7QM3XWD", true},
		{"K7QM-3XW", "", false},   // 7 symbols
		{"K7QM-3XWDA", "", false}, // 9
		{"K0QM-3XWD", "", false},  // 0 is not in the alphabet
		{"KIQM-3XWD", "", false},  // nor I
		{"K7QM_3XWD", "", false},
		{"Ｋ7QM-3XWD", "", false}, // fullwidth K
		{"", "", false},
		{strings.Repeat("-", 65) + "K7QM3XWD", "", false},
	}
	for _, tt := range tests {
		got, ok := normalCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestNewApprovalCode: codes parse as themselves, every symbol of the
// alphabet appears (5 bits each, no bias to check beyond that), and the
// display form is what normalCode reads back.
func TestNewApprovalCode(t *testing.T) {
	seen := map[rune]bool{}
	for range 400 {
		c, err := newApprovalCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := normalCode(displayCode(c)); !ok || n != c {
			t.Fatalf("normalCode(displayCode(%q)) = %q, %v", c, n, ok)
		}
		for _, r := range c {
			seen[r] = true
		}
	}
	if len(seen) != len(codeAlphabet) {
		t.Errorf("400 codes used %d symbols, want all %d", len(seen), len(codeAlphabet))
	}
	if c, err := newApprovalCode(bytes.NewReader(make([]byte, 5))); err != nil || c != "AAAAAAAA" {
		t.Errorf("newApprovalCode(zeros) = %q, %v; want AAAAAAAA", c, err)
	}
	if c, err := newApprovalCode(bytes.NewReader(bytes.Repeat([]byte{0xff}, 5))); err != nil || c != "99999999" {
		t.Errorf("newApprovalCode(ones) = %q, %v; want 99999999", c, err)
	}
	if _, err := newApprovalCode(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Error("newApprovalCode(short random) = nil error")
	}
}

// FuzzNormalCode: whatever comes from outside, normalCode either refuses
// it or returns 8 symbols of the alphabet that it reads back unchanged.
func FuzzNormalCode(f *testing.F) {
	for _, s := range []string{"K7QM-3XWD", "k7qm3xwd", "AAAA AAAA", "", "-", "K7QM-3XWDK7QM-3XWD", "\x00\xff", "ＫＫＫＫ-ＫＫＫＫ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := normalCode(s)
		if !ok {
			if n != "" {
				t.Fatalf("normalCode(%q) refused but returned %q", s, n)
			}
			return
		}
		if len(n) != codeLen || strings.Trim(n, codeAlphabet) != "" {
			t.Fatalf("normalCode(%q) = %q, not %d symbols of the alphabet", s, n, codeLen)
		}
		if again, ok := normalCode(displayCode(n)); !ok || again != n {
			t.Fatalf("normalCode(displayCode(%q)) = %q, %v", n, again, ok)
		}
	})
}

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name, body string
		wantErr    string
	}{
		{"approve", `{"decision":"approve","presentation":"NETID1:x","allow":["age_over_18"],"remember":true}`, ""},
		{"deny", `{"decision":"deny","presentation":"NETID1:x"}`, ""},
		{"unknown decision", `{"decision":"maybe","presentation":"NETID1:x"}`, "decision"},
		{"no presentation", `{"decision":"approve"}`, "presentation is required"},
		{"unknown member", `{"decision":"approve","presentation":"p","extra":1}`, `unknown member "extra"`},
		{"duplicate member", `{"decision":"deny","presentation":"p","decision":"approve"}`, `member "decision" appears twice`},
		{"unknown claim", `{"decision":"approve","presentation":"p","allow":["shoe_size"]}`, "not a claim"},
		{"trailing data", `{"decision":"approve","presentation":"p"} {}`, "after the JSON object"},
		{"not an object", `[]`, "must be a JSON object"},
		{"empty", ``, "is empty"},
	}
	for _, tt := range tests {
		ans, err := parseAnswer([]byte(tt.body))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: parseAnswer error = %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: parseAnswer error = %v, want one saying %q", tt.name, err, tt.wantErr)
		case tt.name == "approve" && (len(ans.Allow) != 1 || ans.Allow[0] != rp.ClaimAgeOver18 || !ans.Remember):
			t.Errorf("%s: parseAnswer = %+v", tt.name, ans)
		}
	}
}

// FuzzParseAnswer: an answer either is refused or has a known decision, a
// presentation and only known claims.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{`{"decision":"approve","presentation":"NETID1:x","allow":["age_over_18","name"]}`,
		`{"decision":"deny","presentation":"p","allow_plaintext":true,"allow_onward":true}`, `{}`, `null`, `{"allow":null}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ans, err := parseAnswer(b)
		if err != nil {
			return
		}
		if ans.Decision != decisionApprove && ans.Decision != decisionDeny || ans.Presentation == "" {
			t.Fatalf("parseAnswer(%q) accepted %+v", b, ans)
		}
		for _, c := range ans.Allow {
			if c.Class() == rp.ClassUnknown {
				t.Fatalf("parseAnswer(%q) accepted claim %q", b, c)
			}
		}
	})
}
