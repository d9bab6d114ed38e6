// Package i18ntest holds the checks that every set of netid's
// server-rendered pages (the OpenID provider's, the resident portal's)
// runs on its own catalogues, templates and handlers from its tests. It
// is a normal package, not a _test file, so that those packages share one
// copy; no production code imports it.
package i18ntest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/netid/netid/internal/i18n"
)

// CheckCatalogues fails t when a supported language has no catalogue, and
// for each way one falls short of the reference catalogue ref
// (i18n.Catalogue.Check).
func CheckCatalogues(t testing.TB, catalogues map[i18n.Lang]map[string]string, ref map[string]string) {
	t.Helper()
	for _, l := range i18n.Langs {
		cat, ok := catalogues[l]
		if !ok {
			t.Fatalf("no catalogue for %q", l)
		}
		for _, problem := range i18n.Catalogue(cat).Check(ref) {
			t.Errorf("%s: %s", l, problem)
		}
	}
}

// templateKey is a template's use of a message with a literal key: $.T,
// $.H, .T or .H "key".
var templateKey = regexp.MustCompile(`\.[TH] "([^"]+)"`)

// CheckTemplateKeys reads the message keys the templates in the current
// directory's templates/*.html use and fails t for each one missing in a
// language's catalogue, and when it finds fewer than atLeast uses (the
// pattern no longer matching how the templates call messages).
func CheckTemplateKeys(t testing.TB, catalogues map[i18n.Lang]map[string]string, atLeast int) {
	t.Helper()
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
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, l := range i18n.Langs {
				if _, ok := catalogues[l][m[1]]; !ok {
					t.Errorf("%s uses %q, missing in %s", f, m[1], l)
				}
			}
		}
	}
	if n < atLeast {
		t.Errorf("found %d message uses in the templates, want at least %d", n, atLeast)
	}
}

// InspectCalls parses the Go files of the package in the current
// directory, its tests left out, and calls fn on every call expression in
// them: how a test finds the messages the handlers pass to the pages.
func InspectCalls(t testing.TB, fn func(*ast.CallExpr)) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
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
				fn(call)
			}
			return true
		})
	}
}
