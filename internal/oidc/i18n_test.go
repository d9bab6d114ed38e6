package oidc

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/rp"
)

func TestChooseLang(t *testing.T) {
	const cookie = "__Host-netid-lang"
	tests := []struct {
		name         string
		query        string
		form         url.Values
		cookie       string
		accept       string
		want         pageLang
		wantExplicit bool
	}{
		{name: "nothing", want: langEN},
		{name: "accept zh-CN", accept: "zh-CN", want: langZH},
		{name: "accept zh", accept: "zh", want: langZH},
		{name: "accept zh-Hans", accept: "zh-Hans", want: langZH},
		{name: "accept zh-Hans-CN", accept: "zh-Hans-CN,zh;q=0.9", want: langZH},
		{name: "accept lower case zh-cn", accept: "zh-cn", want: langZH},
		{name: "accept en-US", accept: "en-US,en;q=0.9", want: langEN},
		{name: "accept unsupported only", accept: "fr-FR, de;q=0.8", want: langEN},
		{name: "accept unsupported then zh", accept: "fr, zh;q=0.5", want: langZH},
		{name: "q-values prefer zh", accept: "en;q=0.1, zh-CN;q=0.9", want: langZH},
		{name: "q-values prefer en", accept: "zh-CN;q=0.2, en;q=0.8", want: langEN},
		{name: "q=0 refuses zh", accept: "zh-CN;q=0, en", want: langEN},
		{name: "q=0 only", accept: "zh-CN;q=0", want: langEN},
		{name: "wildcard", accept: "*", want: langEN},
		{name: "malformed", accept: "zh-CN;q=abc,,;;", want: langEN},
		{name: "too long", accept: "zh-CN," + strings.Repeat("x-abc,", 200), want: langEN},
		{name: "query zh-CN", query: "lang=zh-CN", want: langZH, wantExplicit: true},
		{name: "query case", query: "lang=ZH-cn", want: langZH, wantExplicit: true},
		{name: "query en beats accept", query: "lang=en", accept: "zh-CN", want: langEN, wantExplicit: true},
		{name: "query beats cookie", query: "lang=en", cookie: "zh-CN", want: langEN, wantExplicit: true},
		{name: "invalid query ignored", query: "lang=zh", accept: "en", want: langEN},
		{name: "invalid query falls to accept", query: "lang=fr", accept: "zh-CN", want: langZH},
		{name: "form field", form: url.Values{"lang": {"zh-CN"}}, want: langZH, wantExplicit: true},
		{name: "invalid form field", form: url.Values{"lang": {"<x>"}}, accept: "zh", want: langZH},
		{name: "cookie beats accept", cookie: "zh-CN", accept: "en", want: langZH},
		{name: "cookie en", cookie: "en", accept: "zh-CN", want: langEN},
		{name: "invalid cookie ignored", cookie: "klingon", accept: "zh-CN", want: langZH},
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
			got, explicit := chooseLang(r, cookie)
			if got != tt.want || explicit != tt.wantExplicit {
				t.Errorf("chooseLang = %q, %v; want %q, %v", got, explicit, tt.want, tt.wantExplicit)
			}
		})
	}
}

func FuzzAcceptLang(f *testing.F) {
	for _, s := range []string{"", "zh-CN", "en;q=0.1, zh-CN;q=0.9", "zh-CN;q=0", "*", "fr,,;q=", "zh-Hant-TW", "x-" + strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got := acceptLang(h); !slices.Contains(langs, got) {
			t.Fatalf("acceptLang(%q) = %q, not a supported language", h, got)
		}
		if got, ok := parseLang(h); ok && !slices.Contains(langs, got) {
			t.Fatalf("parseLang(%q) = %q", h, got)
		}
	})
}

var formatVerb = regexp.MustCompile(`%(\[[0-9]+\])?[a-z]`)

// verbs lists a format's verbs with the argument each one takes.
func verbs(s string) []string {
	var out []string
	next := 1
	for _, m := range formatVerb.FindAllStringSubmatch(s, -1) {
		n := next
		if m[1] != "" {
			n, _ = strconv.Atoi(strings.Trim(m[1], "[]"))
		}
		next = n + 1
		out = append(out, strconv.Itoa(n)+m[0][len(m[0])-1:])
	}
	slices.Sort(out)
	return out
}

func TestCataloguesComplete(t *testing.T) {
	for _, l := range langs {
		cat, ok := catalogues[l]
		if !ok {
			t.Fatalf("no catalogue for %q", l)
		}
		for key, en := range catalogueEN {
			s, ok := cat[key]
			if !ok || strings.TrimSpace(s) == "" {
				t.Errorf("%s: missing translation of %q", l, key)
				continue
			}
			if diff := cmp.Diff(verbs(en), verbs(s)); diff != "" {
				t.Errorf("%s %q: format verbs differ from English (-en +%s):\n%s", l, key, l, diff)
			}
		}
		for key := range cat {
			if _, ok := catalogueEN[key]; !ok {
				t.Errorf("%s: key %q is not in the English catalogue", l, key)
			}
		}
	}
	seen := map[string]string{}
	for key, s := range catalogueEN {
		if other, dup := seen[s]; dup {
			t.Errorf("English of %q and %q is the same %q: localize could not tell them apart", key, other, s)
		}
		seen[s] = key
	}
	for _, c := range []rp.Claim{rp.ClaimInternetNumber, rp.ClaimName, rp.ClaimBirthdate, rp.ClaimGender,
		rp.ClaimNationality, rp.ClaimDocumentNumber, rp.ClaimAgeOver14, rp.ClaimAgeOver16, rp.ClaimAgeOver18,
		rp.ClaimAgeOver60} {
		if claimLabels[c] == "" {
			t.Errorf("claim %q has no label", c)
		}
	}
}

// TestTemplateKeysExist reads the message keys the templates use.
func TestTemplateKeysExist(t *testing.T) {
	use := regexp.MustCompile(`\.[TH] "([^"]+)"`)
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v, %d files", err, len(files))
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, l := range langs {
				if _, ok := catalogues[l][m[1]]; !ok {
					t.Errorf("%s uses %q, missing in %s", f, m[1], l)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("found %d message uses in the templates, want at least 20", n)
	}
}

// TestHandlerMessagesInCatalogue finds every English message the
// handlers of this package pass to the pages (p.fail, renderLogin,
// renderStepUp, continueStepUp) and checks that localize finds it.
func TestHandlerMessagesInCatalogue(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	lit := func(e ast.Expr) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
				msgs = append(msgs, s)
			}
		case *ast.CallExpr: // fmt.Sprintf("... %d ...", n)
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(e.Args) == 2 {
				if b, ok := e.Args[0].(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(b.Value)
					msgs = append(msgs, strings.Replace(s, "%d", "42", 1))
				}
			}
		}
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "fail" || sel.Sel.Name == "renderLogin" ||
					sel.Sel.Name == "renderStepUp" || sel.Sel.Name == "continueStepUp") && len(call.Args) > 0 {
					lit(call.Args[len(call.Args)-1])
				}
			}
			return true
		})
	}
	if len(msgs) < 15 {
		t.Fatalf("found %d handler messages, want at least 15: %q", len(msgs), msgs)
	}
	zh := newTranslator(langZH)
	for _, m := range msgs {
		if m == "" {
			continue
		}
		got, ok := zh.localize(m)
		if !ok || got == m {
			t.Errorf("handler message %q has no translation", m)
		}
	}
}

func TestLocalizeNumberFormat(t *testing.T) {
	tests := []struct {
		in, want string
		wantOK   bool
	}{
		{"Too many attempts. Try again in 30 seconds.", "尝试次数过多，请在 30 秒后重试。", true},
		{"Too many attempts. Try again in  seconds.", "Too many attempts. Try again in  seconds.", false},
		{"Too many attempts. Try again in 3x seconds.", "Too many attempts. Try again in 3x seconds.", false},
		{"The form could not be read.", "无法读取表单。", true},
		{"not a message", "not a message", false},
	}
	zh := newTranslator(langZH)
	for _, tt := range tests {
		got, ok := zh.localize(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("localize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
