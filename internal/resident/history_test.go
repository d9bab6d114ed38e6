package resident_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/netid/netid/internal/resident/residenttest"
	"github.com/netid/netid/internal/translog"
)

type historyBody struct {
	Origin     string `json:"origin"`
	LogID      string `json:"log_id"`
	Checkpoint string `json:"checkpoint"`
	TreeSize   uint64 `json:"tree_size"`
	Entries    []struct {
		Index          uint64   `json:"index"`
		Seq            uint64   `json:"seq"`
		Leaf           []byte   `json:"leaf"`
		LeafHash       []byte   `json:"leaf_hash"`
		Withheld       bool     `json:"withheld"`
		InclusionProof [][]byte `json:"inclusion_proof"`
		Guardian       string   `json:"guardian"`
		Entry          *struct {
			Kind     string   `json:"kind"`
			Event    string   `json:"event"`
			ClientID string   `json:"client_id"`
			Claims   []string `json:"claims"`
			Ref      string   `json:"ref"`
		} `json:"entry"`
	} `json:"entries"`
	Consistency *struct {
		FromSize uint64   `json:"from_size"`
		ToSize   uint64   `json:"to_size"`
		Proof    [][]byte `json:"proof"`
	} `json:"consistency"`
	More bool `json:"more"`
}

// verify checks h as a wallet does: the checkpoint's signature, every
// entry's inclusion in its tree, the resident's chain; it returns the
// checkpoint.
func (h historyBody) verify(t *testing.T, a *translog.Auditor) translog.Checkpoint {
	t.Helper()
	cp, err := a.VerifyCheckpoint([]byte(h.Checkpoint))
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if cp.Size != h.TreeSize {
		t.Errorf("tree_size %d, checkpoint %d", h.TreeSize, cp.Size)
	}
	var recs []translog.Record
	for _, e := range h.Entries {
		r := translog.Record{Index: e.Index, Seq: e.Seq, Leaf: e.Leaf, LeafHash: e.LeafHash}
		if err := a.VerifyEntryInclusion(r, e.InclusionProof, cp); err != nil {
			t.Errorf("entry %d: %v", e.Seq, err)
		}
		recs = append(recs, r)
	}
	if _, err := a.VerifyResidentChain(recs, translog.Head{}); err != nil {
		t.Errorf("chain: %v", err)
	}
	return cp
}

// The history lists the resident's entries (enrolment, certificate,
// consent, disclosure), each proven against the signed checkpoint it
// comes with, pages by after_seq, and proves consistency with an earlier
// checkpoint; no entry holds the resident's name or number.
func TestHistory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		ctx := context.Background()
		p := e.EnrolAdult(t)
		e.EnrolAdult(t) // someone else's entries in the same log
		token := login(t, e, p)
		audit, err := e.Log.Auditor()
		if err != nil {
			t.Fatal(err)
		}
		var before historyBody
		call(t, e, http.MethodGet, "/v1/me/history", token, nil).want(t, http.StatusOK).decode(t, &before)
		old := before.verify(t, audit)
		kinds := func(h historyBody) string {
			var ks []string
			for _, en := range h.Entries {
				ks = append(ks, en.Entry.Kind+"/"+en.Entry.Event)
			}
			return strings.Join(ks, " ")
		}
		if got := kinds(before); got != "certificate-issued/ account-event/enrolled" {
			t.Errorf("history after enrolment: %s", got)
		}

		e.NewRP(t, "Shop").Login(p)
		var after historyBody
		call(t, e, http.MethodGet, fmt.Sprintf("/v1/me/history?since_size=%d", old.Size), token, nil).want(t, http.StatusOK).decode(t, &after)
		cp := after.verify(t, audit)
		if got := kinds(after); got != "certificate-issued/ account-event/enrolled consent-granted/ disclosure/authorization_code" {
			t.Errorf("history after a login: %s", got)
		}
		if after.Consistency == nil || after.Consistency.FromSize != old.Size || after.Consistency.ToSize != cp.Size {
			t.Fatalf("consistency = %+v, want from %d to %d", after.Consistency, old.Size, cp.Size)
		}
		if err := audit.VerifyConsistency(old, cp, after.Consistency.Proof); err != nil {
			t.Errorf("consistency proof: %v", err)
		}

		var page1, page2 historyBody
		call(t, e, http.MethodGet, "/v1/me/history?limit=3", token, nil).want(t, http.StatusOK).decode(t, &page1)
		if len(page1.Entries) != 3 || !page1.More {
			t.Fatalf("page 1: %d entries, more %v", len(page1.Entries), page1.More)
		}
		call(t, e, http.MethodGet, "/v1/me/history?limit=3&after_seq=3", token, nil).want(t, http.StatusOK).decode(t, &page2)
		if len(page2.Entries) != 1 || page2.More || page2.Entries[0].Seq != 4 {
			t.Errorf("page 2: %+v", page2.Entries)
		}

		raw, _ := json.Marshal(after)
		ident, err := e.Service.Identity(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{string(p.InternetNumber), ident.Name, ident.DocumentNumber, p.Phone} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("the history holds %q", secret)
			}
		}
		// A wallet that saw a later tree than the service now shows
		// gets no consistency proof, and sees the shrink itself.
		var ahead historyBody
		call(t, e, http.MethodGet, fmt.Sprintf("/v1/me/history?since_size=%d", cp.Size+10), token, nil).want(t, http.StatusOK).decode(t, &ahead)
		if ahead.Consistency != nil {
			t.Errorf("consistency from a size beyond the tree: %+v", ahead.Consistency)
		}
		for _, bad := range []string{"since_size=-1", "limit=1001", "after_seq=x", "page=2", "limit=0"} {
			call(t, e, http.MethodGet, "/v1/me/history?"+bad, token, nil).wantProblem(t, http.StatusBadRequest, "bad-request")
		}
	})
}

// The export is one JSON attachment with everything, and is logged.
func TestExport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		p := e.EnrolAdult(t)
		shop := e.NewRP(t, "Shop")
		shop.Login(p)
		token := login(t, e, p)
		r := call(t, e, http.MethodGet, "/v1/me/export", token, nil).want(t, http.StatusOK)
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="netid-export-`+string(p.InternetNumber)) {
			t.Errorf("Content-Disposition %q", cd)
		}
		var x struct {
			Format string `json:"format"`
			Data   struct {
				Account struct {
					InternetNumber string `json:"internet_number"`
				} `json:"account"`
				Identity struct {
					Name string `json:"name"`
				} `json:"identity"`
				Phone string `json:"phone"`
			} `json:"data"`
			Disclosures  []json.RawMessage `json:"disclosures"`
			Consents     []json.RawMessage `json:"consents"`
			Certificates []json.RawMessage `json:"certificates"`
			History      historyBody       `json:"history"`
		}
		r.decode(t, &x)
		if x.Format != "netid-export/1" || x.Data.Account.InternetNumber != string(p.InternetNumber) || x.Data.Identity.Name == "" ||
			x.Data.Phone != p.Phone || len(x.Disclosures) != 1 || len(x.Consents) != 1 || len(x.Certificates) != 1 || len(x.History.Entries) != 4 {
			t.Errorf("export = %s", r.body)
		}
		audit, err := e.Log.Auditor()
		if err != nil {
			t.Fatal(err)
		}
		x.History.verify(t, audit)
		if !hasEntry(logEntries(t, e, p.ID), translog.KindAccountEvent, translog.EventDataExported) {
			t.Error("no data-exported entry")
		}
		call(t, e, http.MethodGet, "/v1/me/export?format=csv", token, nil).wantProblem(t, http.StatusBadRequest, "bad-request")
	})
}
