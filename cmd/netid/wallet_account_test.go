package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/translog"
)

// A resident enrolled with serve --demo logs in at the demo platform (a
// disclosure, a consent), then netid wallet history --verify checks the
// transparency log. The operator then tampers with the database under the
// running server, three ways: a leaf of the resident deleted, an entry
// rewritten, a tree node rewritten. The wallet catches each (exit 4, "the
// operator dropped or rewrote entries"), and verifies again once the row is
// put back. Then the other account commands: consents, certificates,
// locks, export and deletion.
func TestWalletHistoryVerifyAndAccount(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startDemoServer(t, "--data-dir", dataDir)
	tmp := t.TempDir()
	walletDir := filepath.Join(tmp, "wallet")
	enrolled, _ := enrolWallet(t, s, walletDir, passwordFile(t, demoPassword), demoAdult...)
	number := enrolled["internet_number"]
	loginThroughDemoPlatform(t, s.base(), number, demoPassword, true)

	wallet := func(t *testing.T, wantCode int, args ...string) (string, string) {
		t.Helper()
		return runWallet(t, s, walletDir, wantCode, args...)
	}
	out, stderr := wallet(t, 0, "history", "--verify")
	for _, want := range []string{"account-event enrolled", "certificate-issued", "consent-granted", "disclosure authorization_code", "age_over_18"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "Pinned the verifier keys") || !strings.Contains(stderr, "Verified: 4 entries") {
		t.Errorf("history --verify said:\n%s", stderr)
	}
	b, err := os.ReadFile(filepath.Join(walletDir, "wallet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Translog struct {
			LogID        string   `json:"log_id"`
			Checkpoint   string   `json:"checkpoint"`
			VerifierKeys []string `json:"verifier_keys"`
		} `json:"translog"`
	}
	if err := json.Unmarshal(b, &state); err != nil {
		t.Fatal(err)
	}
	if state.Translog.LogID == "" || state.Translog.Checkpoint == "" || len(state.Translog.VerifierKeys) == 0 {
		t.Fatalf("wallet.json after --verify: %s", b)
	}

	// The operator's hands on the database.
	raw, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(dataDir, sqlite.FileName), sqlite.DefaultBusyTimeout))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	exec := func(t *testing.T, q string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	type leafRow struct {
		index   int64
		entryID string
		seq     int64
		leaf    []byte
	}
	leafOf := func(t *testing.T, seq int) leafRow {
		t.Helper()
		r := leafRow{seq: int64(seq)}
		if err := raw.QueryRowContext(ctx, `SELECT leaf_index, entry_id, leaf FROM translog_leaves WHERE log_id = $1 AND seq = $2`,
			state.Translog.LogID, seq).Scan(&r.index, &r.entryID, &r.leaf); err != nil {
			t.Fatal(err)
		}
		return r
	}
	tampered := func(t *testing.T, want string) {
		t.Helper()
		_, stderr := wallet(t, exitLogTampered, "history", "--verify")
		for _, w := range []string{"VERIFICATION FAILED", "the operator dropped or rewrote entries", want} {
			if !strings.Contains(stderr, w) {
				t.Errorf("history --verify on a tampered log said %q, want %q in it", stderr, w)
			}
		}
	}
	t.Run("leaf deleted", func(t *testing.T) {
		r := leafOf(t, 2)
		exec(t, `DELETE FROM translog_leaves WHERE leaf_index = $1`, r.index)
		tampered(t, "missing")
		exec(t, `INSERT INTO translog_leaves (leaf_index, entry_id, log_id, seq, leaf) VALUES ($1, $2, $3, $4, $5)`,
			r.index, r.entryID, state.Translog.LogID, r.seq, r.leaf)
		wallet(t, 0, "history", "--verify")
	})
	t.Run("entry rewritten", func(t *testing.T) {
		r := leafOf(t, 4) // the disclosure
		l, err := translog.DecodeLeaf(r.leaf)
		if err != nil {
			t.Fatal(err)
		}
		l.Entry.Claims = nil // "nothing was disclosed"
		forged, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		exec(t, `UPDATE translog_leaves SET leaf = $1 WHERE leaf_index = $2`, forged, r.index)
		tampered(t, "not included")
		exec(t, `UPDATE translog_leaves SET leaf = $1 WHERE leaf_index = $2`, r.leaf, r.index)
		wallet(t, 0, "history", "--verify")
	})
	t.Run("tree node rewritten", func(t *testing.T) {
		r := leafOf(t, 1)
		var hash []byte
		if err := raw.QueryRowContext(ctx, `SELECT hash FROM translog_nodes WHERE level = 0 AND idx = $1`, r.index^1).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		forged := append([]byte(nil), hash...)
		forged[0] ^= 0xff
		exec(t, `UPDATE translog_nodes SET hash = $1 WHERE level = 0 AND idx = $2`, forged, r.index^1)
		tampered(t, "not included")
		exec(t, `UPDATE translog_nodes SET hash = $1 WHERE level = 0 AND idx = $2`, hash, r.index^1)
		wallet(t, 0, "history", "--verify")
	})

	// The other rights, from the wallet.
	out, _ = wallet(t, 0, "consents")
	var consents []struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(out), &consents); err != nil || len(consents) != 1 {
		t.Fatalf("wallet consents = %s (%v)", out, err)
	}
	out, _ = wallet(t, 0, "consents", "--withdraw", consents[0].ClientID)
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("consents after withdrawal = %s", out)
	}
	wallet(t, exitRefused, "consents", "--withdraw", consents[0].ClientID)
	out, _ = wallet(t, 0, "lock", "password")
	if !strings.Contains(out, `"locked": true`) {
		t.Errorf("wallet lock = %s", out)
	}
	out, _ = wallet(t, 0, "unlock", "password")
	if !strings.Contains(out, `"locked": false`) {
		t.Errorf("wallet unlock = %s", out)
	}
	wallet(t, exitUsage, "lock")
	wallet(t, exitRefused, "lock", "fingerprint")
	out, _ = wallet(t, 0, "certificates")
	if !strings.Contains(out, `"status": "valid"`) {
		t.Errorf("wallet certificates = %s", out)
	}
	exportDir := filepath.Join(tmp, "exports")
	if err := os.Mkdir(exportDir, 0o700); err != nil {
		t.Fatal(err)
	}
	wallet(t, 0, "export", "--out", exportDir)
	files, err := filepath.Glob(filepath.Join(exportDir, "netid-export-"+number+"-*.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("export files %v, %v", files, err)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, %v; want 0600", st.Mode(), err)
	}
	x, err := os.ReadFile(files[0])
	if err != nil || !strings.Contains(string(x), `"format":"netid-export/1"`) {
		t.Errorf("export = %.200s (%v)", x, err)
	}
	// The log grew (withdrawal, locks, export): the wallet still verifies,
	// against the checkpoint it saved.
	_, stderr = wallet(t, 0, "history", "--verify")
	if !strings.Contains(stderr, "the log extends") {
		t.Errorf("second verification said %q", stderr)
	}

	wallet(t, exitUsage, "delete")
	wallet(t, exitRefused, "delete", "--confirm", "ABCDE12345")
	out, _ = wallet(t, 0, "delete", "--confirm", number)
	if !strings.Contains(out, `"status": "deleted"`) {
		t.Errorf("wallet delete = %s", out)
	}
	_, stderr = wallet(t, exitRefused, "history")
	if !strings.Contains(stderr, "revoked") {
		t.Errorf("history after deletion said %q, want the certificate revoked", stderr)
	}
}
