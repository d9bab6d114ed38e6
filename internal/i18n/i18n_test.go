package i18n

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	const cookie = "__Host-netid-lang"
	tests := []struct {
		name         string
		query        string
		form         url.Values
		cookie       string
		accept       string
		want         Lang
		wantExplicit bool
	}{
		{name: "nothing", want: EN},
		{name: "accept zh-CN", accept: "zh-CN", want: ZH},
		{name: "accept zh", accept: "zh", want: ZH},
		{name: "accept zh-Hans", accept: "zh-Hans", want: ZH},
		{name: "accept zh-Hans-CN", accept: "zh-Hans-CN,zh;q=0.9", want: ZH},
		{name: "accept lower case zh-cn", accept: "zh-cn", want: ZH},
		{name: "accept en-US", accept: "en-US,en;q=0.9", want: EN},
		{name: "accept unsupported only", accept: "fr-FR, de;q=0.8", want: EN},
		{name: "accept unsupported then zh", accept: "fr, zh;q=0.5", want: ZH},
		{name: "q-values prefer zh", accept: "en;q=0.1, zh-CN;q=0.9", want: ZH},
		{name: "q-values prefer en", accept: "zh-CN;q=0.2, en;q=0.8", want: EN},
		{name: "q=0 refuses zh", accept: "zh-CN;q=0, en", want: EN},
		{name: "q=0 only", accept: "zh-CN;q=0", want: EN},
		{name: "wildcard", accept: "*", want: EN},
		{name: "malformed", accept: "zh-CN;q=abc,,;;", want: EN},
		{name: "too long", accept: "zh-CN," + strings.Repeat("x-abc,", 200), want: EN},
		{name: "query zh-CN", query: "lang=zh-CN", want: ZH, wantExplicit: true},
		{name: "query case", query: "lang=ZH-cn", want: ZH, wantExplicit: true},
		{name: "query en beats accept", query: "lang=en", accept: "zh-CN", want: EN, wantExplicit: true},
		{name: "query beats cookie", query: "lang=en", cookie: "zh-CN", want: EN, wantExplicit: true},
		{name: "invalid query ignored", query: "lang=zh", accept: "en", want: EN},
		{name: "invalid query falls to accept", query: "lang=fr", accept: "zh-CN", want: ZH},
		{name: "form field", form: url.Values{"lang": {"zh-CN"}}, want: ZH, wantExplicit: true},
		{name: "invalid form field", form: url.Values{"lang": {"<x>"}}, accept: "zh", want: ZH},
		{name: "cookie beats accept", cookie: "zh-CN", accept: "en", want: ZH},
		{name: "cookie en", cookie: "en", accept: "zh-CN", want: EN},
		{name: "invalid cookie ignored", cookie: "klingon", accept: "zh-CN", want: ZH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/login?"+tt.query, nil)
			if tt.form != nil {
				r.PostForm = tt.form
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: cookie, Value: tt.cookie})
			}
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			got, explicit := Choose(r, cookie)
			if got != tt.want || explicit != tt.wantExplicit {
				t.Errorf("Choose = %q, %v; want %q, %v", got, explicit, tt.want, tt.wantExplicit)
			}
		})
	}
}

func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{"", "zh-CN", "en;q=0.1, zh-CN;q=0.9", "zh-CN;q=0", "*", "fr,,;q=", "zh-Hant-TW", "x-" + strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got := FromAcceptLanguage(h); !slices.Contains(Langs, got) {
			t.Fatalf("FromAcceptLanguage(%q) = %q, not a supported language", h, got)
		}
		if got, ok := Parse(h); ok && !slices.Contains(Langs, got) {
			t.Fatalf("Parse(%q) = %q", h, got)
		}
	})
}

func TestCatalogue(t *testing.T) {
	c := Catalogue{"plain": "Hello", "fmt": "%d attempts left", "markup": "<b>%s</b>"}
	tests := []struct{ got, want string }{
		{c.Text("plain"), "Hello"},
		{c.Text("fmt", 3), "3 attempts left"},
		{c.Text("missing"), "[missing]"},
		{string(c.HTML("markup", "<script>")), "<b>&lt;script&gt;</b>"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestCatalogueCheck(t *testing.T) {
	ref := Catalogue{"a": "%d of %s", "b": "plain", "c": "%[2]s %[1]d"}
	tests := []struct {
		name string
		c    Catalogue
		want int
	}{
		{"complete, arguments reordered", Catalogue{"a": "%[2]s 的 %[1]d", "b": "平", "c": "%[1]d %[2]s"}, 0},
		{"missing and empty", Catalogue{"a": "%d of %s", "b": "  "}, 2},
		{"verb dropped", Catalogue{"a": "%d", "b": "x", "c": "%[2]s %[1]d"}, 1},
		{"extra key", Catalogue{"a": "%d of %s", "b": "x", "c": "%[2]s %[1]d", "d": "?"}, 1},
	}
	for _, tt := range tests {
		if got := tt.c.Check(ref); len(got) != tt.want {
			t.Errorf("%s: Check() = %q, want %d problems", tt.name, got, tt.want)
		}
	}
}
