package resident_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/resident/residenttest"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// Deletion needs the number typed again and a fresh proof; then the
// certificates and tokens are revoked, the data key is gone, the sealed
// columns are empty, the number is retired and never drawn again, the
// account cannot sign in, and the log keeps entries that name no one. The
// same document enrols again, with a new number.
func TestDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		ctx := context.Background()
		p := e.EnrolPassport(t, "E90000001", 4242)
		shop := e.NewRP(t, "Shop")
		shopTok := shop.Login(p)
		token := login(t, e, p)
		ident, err := e.Service.Identity(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := e.Store.Resident(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}

		for name, body := range map[string]map[string]string{
			"no confirmation":  {"password": p.Password},
			"another number":   {"confirm": "ABCDE12345", "password": p.Password},
			"no proof":         {"confirm": string(p.InternetNumber)},
			"wrong password":   {"confirm": string(p.InternetNumber), "password": "not the password 42"},
			"both proofs":      {"confirm": string(p.InternetNumber), "password": p.Password, "presentation": "NETID1:AA"},
			"stale signature":  {"confirm": string(p.InternetNumber), "presentation": e.Presentation(t, p, "never issued, long enough")},
			"forged signature": {"confirm": string(p.InternetNumber), "presentation": "NETID1:AAAA"},
		} {
			t.Run(name, func(t *testing.T) {
				call(t, e, http.MethodDelete, "/v1/me", token, body).wantProblem(t, http.StatusForbidden, "confirmation-required")
			})
		}
		call(t, e, http.MethodGet, "/v1/me", token, nil).want(t, http.StatusOK)

		var gone struct {
			InternetNumber string `json:"internet_number"`
			Status         string `json:"status"`
		}
		call(t, e, http.MethodDelete, "/v1/me", token, map[string]string{
			"confirm": p.InternetNumber.Display(), "password": p.Password}).want(t, http.StatusOK).decode(t, &gone)
		if gone.Status != "deleted" || gone.InternetNumber != string(p.InternetNumber) {
			t.Errorf("DELETE /v1/me = %+v", gone)
		}

		call(t, e, http.MethodGet, "/v1/me", token, nil).wantProblem(t, http.StatusUnauthorized, "unauthenticated")
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"username": string(p.InternetNumber), "password": p.Password}).
			wantProblem(t, http.StatusUnauthorized, "bad-credentials")
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"username": p.Phone, "password": p.Password}).
			wantProblem(t, http.StatusUnauthorized, "bad-credentials")
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"presentation": e.Presentation(t, p, challenge(t, e))}).
			wantProblem(t, http.StatusUnauthorized, "certificate-revoked")
		if _, err := shop.Refresh(shopTok); err == nil {
			t.Error("the platform's refresh token survived the deletion")
		}

		rec, err := e.Store.Resident(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != enrol.StatusDeleted || len(rec.Identity)+len(rec.Phone)+len(rec.PhoneIndex)+len(rec.Template)+len(rec.DynamicSecret) != 0 {
			t.Errorf("resident record after deletion: %+v", rec)
		}
		if _, err := e.Envelope.Unlock(ctx, p.ID); !errors.Is(err, envelope.ErrShredded) {
			t.Errorf("data key after deletion: %v, want ErrShredded", err)
		}
		// A copy of the sealed identity (a backup) is unreadable.
		if _, err := e.Envelope.Open(ctx, p.ID, "identity", sealed.Identity); !errors.Is(err, envelope.ErrShredded) {
			t.Errorf("opening a copy of the sealed identity after deletion: %v, want ErrShredded", err)
		}
		n, err := e.Store.InternetNumber(ctx, string(p.InternetNumber))
		if err != nil || n.RetiredAt.IsZero() {
			t.Errorf("internet number after deletion: %+v, %v; want retired", n, err)
		}
		if err := e.Store.PutInternetNumber(ctx, enrol.InternetNumberRecord{Number: string(p.InternetNumber), ResidentID: "someone-else",
			AssignedAt: e.Clock.Now()}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("assigning the retired number again: %v, want ErrConflict", err)
		}
		certs, err := e.Store.CertificatesFor(ctx, string(p.InternetNumber))
		if err != nil || len(certs) != 1 || !certs[0].Revoked() {
			t.Errorf("certificates after deletion: %+v, %v", certs, err)
		}
		if cs, err := e.Store.RememberedConsentsOf(ctx, p.ID); err != nil || len(cs) != 0 {
			t.Errorf("consents after deletion: %+v, %v", cs, err)
		}
		if ds, err := e.Store.DisclosuresOf(ctx, p.ID, time.Time{}, 10); err != nil || len(ds) != 0 {
			t.Errorf("disclosures table after deletion: %d rows, %v", len(ds), err)
		}

		// The log keeps what happened, and nothing about who.
		lid, err := e.Log.LogID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := e.Log.Entries(ctx, lid, 0, translog.MaxListing)
		if err != nil {
			t.Fatal(err)
		}
		var log []translog.Entry
		for _, r := range recs {
			for _, s := range []string{string(p.InternetNumber), ident.Name, ident.DocumentNumber, p.Phone} {
				if bytes.Contains(r.Leaf, []byte(s)) {
					t.Errorf("leaf %d holds %q", r.Seq, s)
				}
			}
			l, _ := translog.DecodeLeaf(r.Leaf)
			log = append(log, l.Entry)
		}
		for _, want := range []struct {
			kind  translog.Kind
			event translog.Event
		}{
			{translog.KindCertificateRevoked, translog.EventRevokedCessationOfOperation},
			{translog.KindConsentWithdrawn, ""},
			{translog.KindAccountEvent, translog.EventDeleted},
		} {
			if !hasEntry(log, want.kind, want.event) {
				t.Errorf("the log has no %s %s", want.kind, want.event)
			}
		}
		if last := log[len(log)-1]; last.Event != translog.EventDeleted {
			t.Errorf("last entry %s %s, want the deletion", last.Kind, last.Event)
		}

		// The same passport enrols again, with a new number.
		if again := e.EnrolPassport(t, "E90000001", 4242); again.InternetNumber == p.InternetNumber || again.ID == p.ID {
			t.Errorf("enrolled again as %s (%s), the deleted account's number", again.InternetNumber, again.ID)
		}
	})
}

// Deletion confirmed by the wallet's signature instead of the password.
func TestDeleteWithWallet(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		p := e.EnrolAdult(t)
		token := walletLogin(t, e, p)
		call(t, e, http.MethodDelete, "/v1/me", token, map[string]string{
			"confirm": string(p.InternetNumber), "presentation": e.Presentation(t, p, challenge(t, e))}).want(t, http.StatusOK)
		call(t, e, http.MethodGet, "/v1/me", token, nil).wantProblem(t, http.StatusUnauthorized, "unauthenticated")
		if r, err := e.Store.Resident(context.Background(), p.ID); err != nil || r.Status != enrol.StatusDeleted {
			t.Errorf("after deletion: %+v, %v", r, err)
		}
	})
}
