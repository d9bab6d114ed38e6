package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/translog"
	"github.com/netid/netid/internal/wallet"
)

// What the resilience tests check in the store after a crash or an outage:
// nothing the clients saw committed is lost, nothing is half-written, and
// the transparency log still proves what it published before.

// resEnrolled is an enrolment the client saw complete: the server answered
// the last step and the wallet verified the certificate.
type resEnrolled struct {
	person  resPerson
	account *wallet.Account
}

// resQuerier is what the checks need of a database: *sql.DB on SQLite, a
// pgx-backed *sql.DB on PostgreSQL. Queries use $n placeholders, which
// both accept.
type resQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// openResSQLite opens the data dir's SQLite database as the server does
// (WAL, full sync, foreign keys), so that opening it after a kill runs
// SQLite's own recovery of the write-ahead log.
func openResSQLite(t *testing.T, dataDir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(dataDir, "netid.db"), 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// checkSQLiteIntegrity runs SQLite's own checks of the file and its
// foreign keys.
func checkSQLiteIntegrity(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	var verdict string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&verdict); err != nil || verdict != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, %v; want ok", verdict, err)
	}
	rows, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatalf("PRAGMA foreign_key_check: %v", err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("PRAGMA foreign_key_check reports dangling references")
	}
}

// checkResidents checks every enrolment the clients saw complete (its
// resident, internet number and certificate, byte for byte) and that no
// account is half-enrolled: every resident has its internet number, a
// certificate and an identity anchor, every number and certificate
// belongs to a resident, and every completed enrolment has its resident.
// It returns the number of residents.
func checkResidents(t *testing.T, db resQuerier, seen []resEnrolled) int {
	t.Helper()
	ctx := context.Background()
	for _, e := range seen {
		number := e.account.InternetNumber
		var residentID, owner string
		if err := db.QueryRowContext(ctx, `SELECT id FROM residents WHERE internet_number = $1`, number).Scan(&residentID); err != nil {
			t.Errorf("resident %s (passport %d), enrolled before the fault: %v", number, e.person.n, err)
			continue
		}
		if err := db.QueryRowContext(ctx, `SELECT resident_id FROM internet_numbers WHERE number = $1`, number).Scan(&owner); err != nil || owner != residentID {
			t.Errorf("internet number %s: owner %q, %v; want resident %s", number, owner, err, residentID)
		}
		blk, _ := pem.Decode([]byte(e.account.CertificatePEM))
		if blk == nil {
			t.Fatalf("the wallet of %s holds no PEM certificate", number)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM certificates WHERE internet_number = $1 AND der = $2`, number, blk.Bytes).Scan(&n); err != nil || n != 1 {
			t.Errorf("certificate of %s as the wallet holds it: %d stored, %v; want 1", number, n, err)
		}
	}
	for _, q := range []struct{ what, sql string }{
		{"residents without their internet number", `SELECT count(*) FROM residents r WHERE NOT EXISTS
			(SELECT 1 FROM internet_numbers n WHERE n.number = r.internet_number AND n.resident_id = r.id)`},
		{"residents without a certificate", `SELECT count(*) FROM residents r WHERE NOT EXISTS
			(SELECT 1 FROM certificates c WHERE c.internet_number = r.internet_number)`},
		{"residents without an identity anchor", `SELECT count(*) FROM residents r WHERE NOT EXISTS
			(SELECT 1 FROM identity_anchors a WHERE a.resident_id = r.id)`},
		{"internet numbers without their resident", `SELECT count(*) FROM internet_numbers n WHERE NOT EXISTS
			(SELECT 1 FROM residents r WHERE r.id = n.resident_id)`},
		{"certificates without a resident", `SELECT count(*) FROM certificates c WHERE NOT EXISTS
			(SELECT 1 FROM residents r WHERE r.internet_number = c.internet_number)`},
		{"completed enrolments without their resident", `SELECT count(*) FROM enrolments e WHERE e.state = 'completed' AND NOT EXISTS
			(SELECT 1 FROM residents r WHERE r.id = e.resident_id)`},
	} {
		var n int
		if err := db.QueryRowContext(ctx, q.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s: a half-written enrolment", n, q.what)
		}
	}
	var residents int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM residents`).Scan(&residents); err != nil {
		t.Fatal(err)
	}
	return residents
}

// checkEnrolmentLost checks the case a wallet reports as ErrEnrolmentLost:
// the server completed enrolment id but its answer never arrived. The
// resident must then exist whole (checkResidents covers the whole).
func checkEnrolmentLost(t *testing.T, db resQuerier, id string) {
	t.Helper()
	var n int
	err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM enrolments e JOIN residents r ON r.id = e.resident_id
		WHERE e.id = $1 AND e.state = 'completed'`, id).Scan(&n)
	if err != nil || n != 1 {
		t.Errorf("enrolment %s, which the server says is complete: %d completed with a resident, %v", id, n, err)
	}
}

// resGet fetches base+path with client and returns the body of a 200.
func resGet(client *http.Client, base, path string) ([]byte, error) {
	res, err := client.Get(base + path)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return b, nil
}

// resAuditor is an Auditor of the log of the server at base, trusting the
// keys it publishes.
func resAuditor(t *testing.T, client *http.Client, base, origin string) *translog.Auditor {
	t.Helper()
	b, err := resGet(client, base, "/translog/keys")
	if err != nil {
		t.Fatal(err)
	}
	var vs []note.Verifier
	for _, k := range strings.Fields(string(b)) {
		v, err := translog.ParseVerifierKey(k)
		if err != nil {
			t.Fatalf("ParseVerifierKey(%q): %v", k, err)
		}
		vs = append(vs, v)
	}
	st, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	a, err := translog.NewAuditor(st, origin, vs...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// latestCheckpoint fetches and verifies the server's latest checkpoint.
func latestCheckpoint(a *translog.Auditor, client *http.Client, base string) (translog.Checkpoint, error) {
	b, err := resGet(client, base, "/translog/checkpoint")
	if err != nil {
		return translog.Checkpoint{}, err
	}
	return a.VerifyCheckpoint(b)
}

// resProof fetches a proof from the log's routes.
func resProof(client *http.Client, base, path string) ([][]byte, error) {
	b, err := resGet(client, base, path)
	if err != nil {
		return nil, err
	}
	var p struct {
		Proof [][]byte `json:"proof"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return p.Proof, nil
}

// auditLog audits the whole log as a witness and every resident would:
// it waits for a checkpoint that covers every leaf in the store, verifies
// that it extends before (a checkpoint published before the fault; zero
// Size and nil Root for none), that every stored leaf is included at its
// index, and that every resident's chain is unbroken. It returns the
// checkpoint.
func auditLog(t *testing.T, db resQuerier, a *translog.Auditor, client *http.Client, base string, before translog.Checkpoint) translog.Checkpoint {
	t.Helper()
	ctx := context.Background()
	type leaf struct {
		index, seq uint64
		logID      string
		leaf       []byte
	}
	var leaves []leaf
	rows, err := db.QueryContext(ctx, `SELECT leaf_index, seq, log_id, leaf FROM translog_leaves ORDER BY leaf_index`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l leaf
		if err := rows.Scan(&l.index, &l.seq, &l.logID, &l.leaf); err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, l)
	}
	rows.Close()
	for i, l := range leaves {
		if l.index != uint64(i) {
			t.Fatalf("the log's leaves skip from %d to %d", i, l.index)
		}
	}
	// The publisher signs the grown tree on its own schedule; the bound
	// only stops a broken publisher from hanging the test.
	var cp translog.Checkpoint
	deadline := time.Now().Add(45 * time.Second)
	for {
		if cp, err = latestCheckpoint(a, client, base); err != nil {
			t.Fatalf("checkpoint after the fault: %v", err)
		}
		if cp.Size >= uint64(len(leaves)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if cp.Size != uint64(len(leaves)) {
		t.Fatalf("the latest checkpoint covers %d leaves, the store holds %d", cp.Size, len(leaves))
	}
	switch {
	case before.Size > cp.Size:
		t.Errorf("the log shrank from %d leaves (published before the fault) to %d", before.Size, cp.Size)
	case before.Root != nil && before.Size == cp.Size:
		if !bytes.Equal(before.Root, cp.Root) {
			t.Errorf("two checkpoints of %d leaves with different roots", cp.Size)
		}
	case before.Root != nil && before.Size > 0:
		p, err := resProof(client, base, fmt.Sprintf("/translog/consistency?old=%d&new=%d", before.Size, cp.Size))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.VerifyConsistency(before, cp, p); err != nil {
			t.Errorf("the checkpoint after the fault does not extend the one before: %v", err)
		}
	}
	chains := map[string][]translog.Record{}
	for _, l := range leaves {
		r := translog.Record{Index: l.index, Seq: l.seq, Leaf: l.leaf}
		p, err := resProof(client, base, fmt.Sprintf("/translog/inclusion?index=%d&size=%d", l.index, cp.Size))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.VerifyEntryInclusion(r, p, cp); err != nil {
			t.Errorf("leaf %d: %v", l.index, err)
		}
		chains[l.logID] = append(chains[l.logID], r)
	}
	for id, records := range chains {
		if _, err := a.VerifyResidentChain(records, translog.Head{}); err != nil {
			t.Errorf("the chain of log id %s: %v", id, err)
		}
	}
	return cp
}
