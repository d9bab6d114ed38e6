package portal

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// luminance is the WCAG 2.x relative luminance of a #rrggbb colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	if len(hex) != 6 {
		t.Fatalf("colour %q is not #rgb or #rrggbb", hex)
	}
	ch := func(s string) float64 {
		v, err := strconv.ParseUint(s, 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(hex[0:2]) + 0.7152*ch(hex[2:4]) + 0.0722*ch(hex[4:6])
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestStyleContrast checks every pair of text colour and background the
// stylesheet makes against WCAG's 4.5:1 for text (and 3:1 for the focus
// outline against the page), and that the stylesheet uses no colour this
// test does not know, so that a new one cannot slip in unchecked.
func TestStyleContrast(t *testing.T) {
	const (
		text, page, link, visited = "#1a1a1a", "#fff", "#0b4f9c", "#5a2a82"
		ok, bad, danger           = "#146c2e", "#a10f0f", "#a10f0f"
		alertBG, noticeBG         = "#fdf0f0", "#eef7f0"
		focus, border, inputEdge  = "#b35900", "#767676", "#595959"
	)
	texts := []struct{ what, fg, bg string }{
		{"body text", text, page},
		{"link", link, page},
		{"visited link", visited, page},
		{"button text", "#fff", link},
		{"danger button text", "#fff", danger},
		{"secondary button text", link, page},
		{"alert text", text, alertBG},
		{"link in an alert", link, alertBG},
		{"notice text", text, noticeBG},
		{"link in a notice", link, noticeBG},
		{"verified", ok, page},
		{"not verified", bad, page},
		{"input text", text, page},
	}
	for _, c := range texts {
		if r := contrast(t, c.fg, c.bg); r < 4.5 {
			t.Errorf("%s: %s on %s contrasts %.2f:1, want at least 4.5:1", c.what, c.fg, c.bg, r)
		}
	}
	for _, c := range []struct{ what, fg, bg string }{
		{"focus outline", focus, page}, {"table border", border, page}, {"input border", inputEdge, page},
		{"alert edge", bad, alertBG}, {"notice edge", ok, noticeBG},
	} {
		if r := contrast(t, c.fg, c.bg); r < 3 {
			t.Errorf("%s: %s on %s contrasts %.2f:1, want at least 3:1 (non-text)", c.what, c.fg, c.bg, r)
		}
	}
	known := map[string]bool{}
	for _, c := range []string{text, page, link, visited, ok, bad, danger, alertBG, noticeBG, focus, border, inputEdge} {
		known[c] = true
	}
	for _, c := range regexp.MustCompile(`#[0-9a-fA-F]{3,6}\b`).FindAllString(string(style), -1) {
		if !known[strings.ToLower(c)] {
			t.Errorf("style.css uses %s, which TestStyleContrast does not check", c)
		}
	}
}

// TestStyleHash checks that the policy allows the stylesheet as it is
// inlined: a browser refuses a style whose hash is not listed.
func TestStyleHash(t *testing.T) {
	if !strings.Contains(contentSecurityPolicy, "style-src "+styleCSP+";") || !strings.HasPrefix(styleCSP, "'sha256-") {
		t.Fatalf("CSP %q does not allow the stylesheet %s", contentSecurityPolicy, styleCSP)
	}
	for _, no := range []string{"unsafe-inline", "script-src", "*"} {
		if strings.Contains(contentSecurityPolicy, no) {
			t.Errorf("CSP %q contains %q", contentSecurityPolicy, no)
		}
	}
}
