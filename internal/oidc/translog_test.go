package oidc_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/translog"
)

const testLogOrigin = "id.example.test/translog"

// flakyRecorder records through inner, then fails the first run with an
// error the engine retries, so that the token transaction runs twice.
type flakyRecorder struct {
	inner     oidc.DisclosureRecorder
	retryable error

	mu    sync.Mutex
	calls int
}

func (f *flakyRecorder) RecordDisclosure(ctx context.Context, d oidc.Disclosure) error {
	if err := f.inner.RecordDisclosure(ctx, d); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 1 {
		return f.retryable
	}
	return nil
}

// retryableError returns an error of the engine's own driver that the
// store retries: SQLITE_BUSY from a second writer, or a PostgreSQL
// serialization failure.
func retryableError(t *testing.T, engine string) error {
	t.Helper()
	if engine == "postgres" {
		return &pgconn.PgError{Code: "40001", Message: "could not serialize access (test)"}
	}
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", sqlite.DSN(path, 0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	first, second := open(), open()
	tx, err := first.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tx2, err := second.BeginTx(context.Background(), nil)
	if err == nil {
		tx2.Rollback()
		t.Fatal("second BEGIN IMMEDIATE succeeded while the first held the write lock, want SQLITE_BUSY")
	}
	return err
}

// withRecorder returns an env like e whose provider records disclosures
// through rec, on its own server and issuer. Residents are enrolled
// through e.
func (e *env) withRecorder(rec oidc.DisclosureRecorder) *env {
	t := e.t
	t.Helper()
	var handler http.Handler
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	issuer := "http://" + server.Listener.Addr().String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	prov, err := oidc.NewProvider(oidc.Config{Issuer: issuer, ClientCacheTTL: -1}, oidc.Deps{
		Store: e.store, RPs: e.store, Keys: e.keys, Residents: e.enrol, Disclosures: rec, Suite: e.keys.Suite(), CA: e.ca,
	}, oidc.WithClock(e.clock.Now), oidc.WithLogger(quiet),
		oidc.WithClientAddr(func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.DefaultConfig(), quiet)
	for pattern, h := range prov.Routes() {
		srv.Handle(pattern, h)
	}
	handler = srv
	server.Start()
	t.Cleanup(server.Close)
	return &env{t: t, clock: e.clock, store: e.store, keys: e.keys, enrol: e.enrol, rps: e.rps,
		provider: prov, server: server, issuer: issuer, codes: map[string]string{}}
}

// TestTranslogDisclosure logs a resident in at an RP with the
// transparency-log recorder: the token transaction is made to run twice,
// and the disclosure is in the resident's log once, matching the
// disclosures table, with an inclusion proof that verifies against a
// fresh checkpoint. Recording it again is a conflict and appends nothing.
func TestTranslogDisclosure(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			base := newEnv(t, engine)
			l, err := translog.New(testLogOrigin, translog.Deps{Store: base.store, Tx: base.store, Keys: base.keys},
				translog.WithClock(base.clock.Now))
			if err != nil {
				t.Fatal(err)
			}
			rec := oidc.TranslogRecorder{Table: base.store, Log: l}
			flaky := &flakyRecorder{inner: rec, retryable: retryableError(t, engine)}
			e := base.withRecorder(flaky)

			who := base.enrolResident("李华", 30)
			r := e.newRP(rp.Registration{Sector: "shop.example",
				ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age check"}}})
			newBrowser(t).login(r, who, []string{"age_over_18"}, allowAll)
			flaky.mu.Lock()
			calls := flaky.calls
			flaky.mu.Unlock()
			if calls != 2 {
				t.Fatalf("recorder ran %d times, want 2 (the first run made to fail with a retryable error)", calls)
			}

			ds, err := e.store.DisclosuresOf(ctx, who.id, time.Time{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 {
				t.Fatalf("disclosures table has %d rows, want 1", len(ds))
			}
			id, err := l.LogID(ctx, who.id)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := l.Entries(ctx, id, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("resident's log has %d entries, want 1", len(recs))
			}
			leaf, err := translog.DecodeLeaf(recs[0].Leaf)
			if err != nil {
				t.Fatal(err)
			}
			want := translog.Entry{ID: ds[0].ID, Kind: translog.KindDisclosure, Time: ds[0].At, ClientID: r.reg.ClientID,
				Claims: []string{"age_over_18"}, Level: translog.LevelLow, Event: translog.EventAuthorizationCode,
				Ref: ds[0].GrantID}
			if diff := cmp.Diff(want, leaf.Entry); diff != "" {
				t.Errorf("logged entry mismatch (-want +got):\n%s", diff)
			}
			if leaf.Seq != 1 || leaf.LogID != id {
				t.Errorf("leaf seq %d log id %s, want 1 and %s", leaf.Seq, leaf.LogID, id)
			}

			signed, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			a, err := l.Auditor()
			if err != nil {
				t.Fatal(err)
			}
			cp, err := a.VerifyCheckpoint(signed.Note)
			if err != nil {
				t.Fatalf("VerifyCheckpoint() error = %v", err)
			}
			p, err := l.InclusionProof(ctx, recs[0].Index, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.VerifyEntryInclusion(recs[0], p, cp); err != nil {
				t.Errorf("VerifyEntryInclusion() error = %v, want nil", err)
			}
			if _, err := a.VerifyResidentChain(recs, translog.Head{}); err != nil {
				t.Errorf("VerifyResidentChain() error = %v, want nil", err)
			}

			// The same disclosure again, as a rerun that found it
			// committed would: a conflict, and the log does not grow.
			err = e.store.InTx(ctx, func(ctx context.Context) error { return rec.RecordDisclosure(ctx, ds[0]) })
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("RecordDisclosure(recorded) error = %v, want store.ErrConflict", err)
			}
			again, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if again.Size != cp.Size {
				t.Errorf("tree size after recording again = %d, want %d", again.Size, cp.Size)
			}
		})
	}
}

// TestDisclosureEntry maps each disclosure kind and refuses what the log
// cannot hold.
func TestDisclosureEntry(t *testing.T) {
	at := time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)
	d := oidc.Disclosure{ID: "disc-1", ResidentID: "r1", ClientID: "rp-01", GrantID: "g-1", At: at,
		ACR: "substantial", Claims: []rp.Claim{rp.ClaimName, rp.ClaimAgeOver18}}
	tests := []struct {
		kind      oidc.DisclosureKind
		wantEvent translog.Event
		wantErr   bool
	}{
		{oidc.DisclosureCode, translog.EventAuthorizationCode, false},
		{oidc.DisclosureDevice, translog.EventDeviceCode, false},
		{oidc.DisclosureRefresh, translog.EventRefreshToken, false},
		{"client_credentials", "", true},
	}
	for _, tt := range tests {
		d.Kind = tt.kind
		got, err := oidc.DisclosureEntry(d)
		if tt.wantErr {
			if !errors.Is(err, translog.ErrInvalidEntry) {
				t.Errorf("DisclosureEntry(kind %s) error = %v, want ErrInvalidEntry", tt.kind, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("DisclosureEntry(kind %s) error = %v", tt.kind, err)
		}
		want := translog.Entry{ID: "disc-1", Kind: translog.KindDisclosure, Time: at, ClientID: "rp-01",
			Claims: []string{"age_over_18", "name"}, Level: translog.LevelSubstantial, Event: tt.wantEvent, Ref: "g-1"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DisclosureEntry(kind %s) mismatch (-want +got):\n%s", tt.kind, diff)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("DisclosureEntry(kind %s).Validate() = %v, want nil", tt.kind, err)
		}
	}
	if got, err := oidc.DisclosureEntry(oidc.Disclosure{ID: "d", Kind: oidc.DisclosureCode}); err != nil || got.Claims != nil {
		t.Errorf("DisclosureEntry(no claims) = %v, %v; want nil claims, no error", got.Claims, err)
	}
}
