package portal

import (
	"fmt"
	"go/ast"
	"go/token"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/i18n"
	"github.com/netid/netid/internal/i18n/i18ntest"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/translog"
)

func TestSwitchHref(t *testing.T) {
	tests := []struct {
		method, target string
		lang           Lang
		want           string
	}{
		{"GET", "/account", LangZH, "?lang=zh-CN"},
		{"GET", "/account/disclosures?platform=rp-1&claim=name&lang=en", LangZH, "?claim=name&lang=zh-CN&platform=rp-1"},
		{"POST", "/account/login?x=1", LangEN, "?lang=en"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		if got := switchHref(r, tt.lang); got != tt.want {
			t.Errorf("switchHref(%s %s, %s) = %q, want %q", tt.method, tt.target, tt.lang, got, tt.want)
		}
	}
}

func TestCataloguesComplete(t *testing.T) {
	i18ntest.CheckCatalogues(t, catalogues, catalogueEN)
}

// TestEnumsTranslated checks that every value of the closed sets the
// pages show through Enum has its message: a new status or event would
// otherwise show untranslated.
func TestEnumsTranslated(t *testing.T) {
	want := map[string][]any{
		"status":       {enrol.StatusActive, enrol.StatusPendingGuardian, enrol.StatusDeleted},
		"pathway":      {enrol.PathwayChip, enrol.PathwayAuthority, enrol.PathwayAssisted},
		"level":        {enrol.AssuranceLow, enrol.AssuranceSubstantial, enrol.AssuranceHigh},
		"method":       {enrol.MethodPassword, enrol.MethodDynamicCode, enrol.MethodWallet, enrol.MethodAccount},
		"method_about": {enrol.MethodPassword, enrol.MethodDynamicCode, enrol.MethodWallet, enrol.MethodAccount},
		"relationship": {enrol.RelationshipParent, enrol.RelationshipLegalGuardian},
		"evidence": {enrol.GuardianEvidenceHouseholdRegister, enrol.GuardianEvidenceBirthCertificate,
			enrol.GuardianEvidenceCourtOrder, enrol.GuardianEvidenceOther},
		"kind": {oidc.DisclosureCode, oidc.DisclosureRefresh, translog.KindDisclosure, translog.KindConsentGranted,
			translog.KindConsentWithdrawn, translog.KindCertificateIssued, translog.KindCertificateRevoked,
			translog.KindAccountEvent, translog.KindLawfulAccess},
		"cert":   {"valid", "expired", "revoked"},
		"reason": {},
		"event": {translog.EventAuthorizationCode, translog.EventRefreshToken, translog.EventEnrolled,
			translog.EventGuardianApproved, translog.EventEvidenceUpgraded, translog.EventPasswordChanged,
			translog.EventPhoneChanged, translog.EventDeviceAdded, translog.EventDeviceRemoved, translog.EventDataExported,
			translog.EventSuspended, translog.EventReinstated, translog.EventDeleted, translog.EventMethodLocked,
			translog.EventMethodUnlocked, translog.EventGuardianViewed, translog.EventGuardianActed,
			translog.EventRevokedUnspecified, translog.EventRevokedKeyCompromise, translog.EventRevokedAffiliationChanged,
			translog.EventRevokedSuperseded, translog.EventRevokedCessationOfOperation, translog.EventRevokedPrivilegeWithdrawn},
		"sex": {"F", "M"},
	}
	for _, r := range []credential.RevocationReason{credential.ReasonUnspecified, credential.ReasonKeyCompromise,
		credential.ReasonAffiliationChanged, credential.ReasonSuperseded, credential.ReasonCessationOfOperation,
		credential.ReasonPrivilegeWithdrawn} {
		want["reason"] = append(want["reason"], r)
	}
	for _, c := range rp.Claims() {
		want["claim"] = append(want["claim"], c)
	}
	for prefix, values := range want {
		for _, v := range values {
			for _, l := range i18n.Langs {
				d := pageData{tr: newTranslator(l)}
				key := prefix + "." + fmt.Sprint(v)
				if _, ok := catalogues[l][key]; !ok {
					t.Errorf("%s: no message %q (Enum shows %q)", l, key, d.Enum(prefix, v))
				}
			}
		}
	}
}

// TestTemplateKeysExist reads the message keys the templates use ($.T,
// $.H, .T, .H with a literal key) and checks both catalogues have them.
func TestTemplateKeysExist(t *testing.T) {
	i18ntest.CheckTemplateKeys(t, catalogues, 100)
}

// TestHandlerKeysExist finds every message key the handlers pass (m("key",
// ...), the navigation, the flashes) and checks both catalogues have it.
func TestHandlerKeysExist(t *testing.T) {
	var keys []string
	i18ntest.InspectCalls(t, func(call *ast.CallExpr) {
		if len(call.Args) == 0 {
			return
		}
		var fn string
		switch f := call.Fun.(type) {
		case *ast.Ident:
			fn = f.Name
		case *ast.SelectorExpr:
			fn = f.Sel.Name
		}
		if fn != "m" && fn != "text" {
			return
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, _ := strconv.Unquote(lit.Value)
			keys = append(keys, s)
		}
	})
	for _, n := range navigation {
		keys = append(keys, n.Key)
	}
	for k := range flashes {
		keys = append(keys, k)
	}
	if len(keys) < 40 {
		t.Fatalf("found %d handler keys, want at least 40: %q", len(keys), keys)
	}
	for _, k := range keys {
		for _, l := range i18n.Langs {
			if _, ok := catalogues[l][k]; !ok {
				t.Errorf("handler key %q missing in %s", k, l)
			}
		}
	}
}
