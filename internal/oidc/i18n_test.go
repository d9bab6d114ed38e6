package oidc

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/netid/netid/internal/i18n/i18ntest"
	"github.com/netid/netid/internal/rp"
)

func TestCataloguesComplete(t *testing.T) {
	i18ntest.CheckCatalogues(t, catalogues, catalogueEN)
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
	i18ntest.CheckTemplateKeys(t, catalogues, 20)
}

// TestHandlerMessagesInCatalogue finds every English message the
// handlers of this package pass to the pages (p.fail, renderLogin,
// renderStepUp, continueStepUp) and checks that localize finds it.
func TestHandlerMessagesInCatalogue(t *testing.T) {
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
	i18ntest.InspectCalls(t, func(call *ast.CallExpr) {
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "fail" || sel.Sel.Name == "renderLogin" ||
			sel.Sel.Name == "renderStepUp" || sel.Sel.Name == "continueStepUp") && len(call.Args) > 0 {
			lit(call.Args[len(call.Args)-1])
		}
	})
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
