package admin_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/translog"
)

// TestAPILawfulAccess: a lawful access is logged in the resident's
// transparency log at once, with the authority, the legal basis, the case,
// the claims disclosed and the notice date; the identity is returned; the
// action is audited. Missing or malformed fields are refused, all named,
// with nothing logged.
func TestAPILawfulAccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		carol := e.enrol("Carol")
		size := e.treeSize()
		good := map[string]string{"internet_number": carol.number, "authority": "MPS-BJ-01",
			"legal_basis": "PRC-CPL-Art.54", "ref": "CASE-2025-0042", "notice_delay": "720h"}
		with := func(k, v string) map[string]string {
			m := map[string]string{}
			for kk, vv := range good {
				m[kk] = vv
			}
			m[k] = v
			return m
		}
		refusals := []struct {
			name   string
			body   any
			status int
			detail []string
		}{
			{"nothing", map[string]string{"notice_delay": "0s"}, 400, []string{"internet number is required", "authority is required", "legal basis is required", "case reference is required"}},
			{"no authority", with("authority", ""), 400, []string{"authority is required"}},
			{"no legal basis", with("legal_basis", ""), 400, []string{"legal basis is required"}},
			{"prose as legal basis", with("legal_basis", "because we asked"), 400, []string{"legal basis is not valid"}},
			{"no notice delay", with("notice_delay", ""), 400, []string{"notice_delay is required"}},
			{"bad notice delay", with("notice_delay", "a month"), 400, []string{"notice_delay"}},
			{"negative notice delay", with("notice_delay", "-1h"), 400, []string{"negative"}},
			{"notice delay over a year", with("notice_delay", "9000h"), 400, []string{"longer than"}},
			{"bad number", with("internet_number", "12345"), 400, []string{"internet number"}},
			{"unknown member", `{"internet_number":"x","name":"y"}`, 400, []string{`"name"`}},
		}
		for _, tt := range refusals {
			r := e.call(http.MethodPost, "/admin/v1/lawful-access", tt.body)
			p := r.problem(t)
			if r.status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, r.status, p.Detail, tt.status)
			}
			for _, want := range tt.detail {
				if !strings.Contains(p.Detail, want) {
					t.Errorf("%s: detail %q lacks %q", tt.name, p.Detail, want)
				}
			}
			if strings.Contains(strings.ToUpper(string(r.body)), "CAROL") {
				t.Errorf("%s: the refusal discloses the identity", tt.name)
			}
		}
		if e.treeSize() != size {
			t.Fatalf("the log grew by %d on refusals, want 0", e.treeSize()-size)
		}
		if r := e.lastAudit(); r.Action != admin.ActionLawfulAccess || r.Outcome != admin.OutcomeInvalid {
			t.Errorf("last audit record = %+v, want a refused lawful access", r)
		}

		var got admin.LawfulAccessView
		e.call(http.MethodPost, "/admin/v1/lawful-access", good).decode(t, http.StatusOK, &got)
		if !strings.EqualFold(got.Identity.Name, "Carol") || got.InternetNumber != carol.number || got.Identity.BirthDate == "" || got.Identity.DocumentNumber == "" {
			t.Errorf("lawful access = %+v, want Carol's identity", got)
		}
		if d := got.NoticeDelayedUntil.Sub(got.Time); d != 720*time.Hour {
			t.Errorf("notice delayed by %v, want 720h", d)
		}
		entry, ok := e.logged(got.EntryID)
		if !ok || entry.Kind != translog.KindLawfulAccess || entry.Authority != "MPS-BJ-01" || entry.LegalBasis != "PRC-CPL-Art.54" ||
			entry.Ref != "CASE-2025-0042" || !entry.NoticeDelayedUntil.Equal(got.NoticeDelayedUntil) ||
			!slices.Equal(entry.Claims, []string{"birthdate", "document_number", "gender", "name", "nationality"}) {
			t.Errorf("log entry = %+v, %v", entry, ok)
		}
		if e.treeSize() != size+1 {
			t.Errorf("the log grew by %d, want 1", e.treeSize()-size)
		}
		// The entry is in Carol's own chain.
		logID, err := e.e.Log.LogID(context.Background(), carol.id)
		if err != nil {
			t.Fatal(err)
		}
		if leaf, err := e.e.Store.TranslogLeafByEntryID(context.Background(), got.EntryID); err != nil || leaf.LogID != logID {
			t.Errorf("entry's log id = %v (%v), want Carol's", leaf.LogID, err)
		}
		rec := e.lastAudit()
		if rec.Action != admin.ActionLawfulAccess || rec.Outcome != admin.OutcomeOK || rec.Target != carol.number ||
			!strings.Contains(rec.Detail, "MPS-BJ-01") || !strings.Contains(rec.Detail, got.EntryID) || strings.Contains(strings.ToUpper(rec.Detail), "CAROL") {
			t.Errorf("audit record = %+v, want the access with authority and entry, without the identity", rec)
		}

		// A well-formed number nobody holds: 404, nothing logged.
		other, err := credential.NewInternetNumber(strings.NewReader(strings.Repeat("x", 64)))
		if err != nil {
			t.Fatal(err)
		}
		size = e.treeSize()
		r := e.call(http.MethodPost, "/admin/v1/lawful-access", with("internet_number", string(other)))
		if p := r.problem(t); r.status != http.StatusNotFound || e.treeSize() != size {
			t.Errorf("unknown number = %d %s, log +%d; want 404 and nothing logged", r.status, p.Detail, e.treeSize()-size)
		}
	})
}

// TestLawfulAccessNoticeBound: the log's own bound on the notice delay,
// when configured shorter than the format's, refuses a longer delay, and
// nothing is logged or disclosed.
func TestLawfulAccessNoticeBound(t *testing.T) {
	e := newEnv(t, "sqlite")
	dave := e.enrol("Dave")
	short, err := translog.New("id.example.test/translog", translog.Deps{Store: e.e.Store, Tx: e.e.Store, Keys: e.e.Keys},
		translog.WithMaxNoticeDelay(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := admin.New(admin.Deps{Store: e.e.Store, Stats: e.e.Store, RPs: e.rps, CA: e.e.CA, Certificates: e.e.Store,
		Residents: e.e.Store, Identities: e.e.Service, Log: short}, admin.Config{}, admin.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	size := e.treeSize()
	res, err := svc.LawfulAccess(context.Background(), operator, admin.LawfulAccessRequest{InternetNumber: dave.number,
		Authority: "MPS", LegalBasis: "Art.1", Ref: "C1", NoticeDelay: 48 * time.Hour})
	if !errors.Is(err, translog.ErrInvalidEntry) || res.Identity.Name != "" || e.treeSize() != size {
		t.Errorf("LawfulAccess(48h over a 24h bound) = %+v, %v, log +%d; want ErrInvalidEntry, nothing disclosed or logged",
			res, err, e.treeSize()-size)
	}
	if _, err := svc.LawfulAccess(context.Background(), operator, admin.LawfulAccessRequest{InternetNumber: dave.number,
		Authority: "MPS", LegalBasis: "Art.1", Ref: "C1"}); err != nil {
		t.Errorf("LawfulAccess(no delay) = %v, want nil", err)
	}
}
