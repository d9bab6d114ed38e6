package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store/pgtest"
)

// TestAdminServe runs serve --demo --admin-addr on each engine and
// operates it as an operator would: tokens made by the command beside the
// running server, the admin API on its own listener only, relying parties
// through the API and the commands, a certificate revoked through the API
// and seen at once on /crl, a lawful access by the command, statistics
// from the API, the command and /metrics, and the audit trail of it all.
func TestAdminServe(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			storage := []string{"--data-dir", filepath.Join(t.TempDir(), "data")}
			if engine == "postgres" {
				storage = append(storage, "--database-url", pgtest.New(t))
			}
			adminAddr := freeAddr(t)
			s := startServer(t, append([]string{"--demo", "--admin-addr", adminAddr}, storage...)...)
			s.waitReady(t)
			testAdminServe(t, s, adminAddr, storage)
			s.stop(t)
		})
	}
}

func testAdminServe(t *testing.T, s *server, adminAddr string, storage []string) {
	pub, adm := "http://"+s.addr, "http://"+adminAddr
	cli := func(args ...string) string {
		t.Helper()
		out, stderr, code := runNetid(t, append(args, storage...)...)
		if code != 0 {
			t.Fatalf("netid %v: exit %d\n%s\nserver log:\n%s", args, code, stderr, s.logs)
		}
		return out
	}
	call := func(method, u, token, body string) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, u, rd)
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}

	// The admin API answers only on its own listener, and only to a token.
	if code, _ := call("GET", pub+"/admin/v1/whoami", "", ""); code != http.StatusNotFound {
		t.Errorf("admin route on the public listener = %d, want 404", code)
	}
	if code, body := call("GET", adm+"/admin/v1/whoami", "", ""); code != http.StatusUnauthorized || !bytes.Contains(body, []byte("urn:netid:problem:unauthorized")) {
		t.Errorf("admin API without a token = %d %s, want a 401 problem", code, body)
	}
	var tok struct{ ID, Name, Token string }
	if err := json.Unmarshal([]byte(cli("admin", "token", "create", "--name", "ops", "--json")), &tok); err != nil || tok.Token == "" {
		t.Fatalf("admin token create --json: %+v, %v", tok, err)
	}
	if code, body := call("GET", adm+"/admin/v1/whoami", tok.Token, ""); code != 200 || !bytes.Contains(body, []byte(`"ops"`)) {
		t.Fatalf("whoami = %d %s, want ops", code, body)
	}
	if out := cli("admin", "token", "list"); !strings.Contains(out, tok.ID) || strings.Contains(out, strings.Split(tok.Token, ".")[1]) {
		t.Errorf("admin token list = %q, want the id and never the secret", out)
	}

	// Relying parties: registered through the API, suspended by the
	// command, which the token endpoint honours.
	code, body := call("POST", adm+"/admin/v1/rps", tok.Token,
		`{"name":"Shop","redirect_uris":["https://shop.example/cb"],"approved_claims":[{"claim":"age_over_18","purpose":"age check"}]}`)
	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &created) != nil {
		t.Fatalf("POST /admin/v1/rps = %d %s", code, body)
	}
	var listed []struct {
		ClientID string `json:"client_id"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal([]byte(cli("rp", "list", "--json")), &listed); err != nil ||
		!slices.ContainsFunc(listed, func(r struct {
			ClientID string `json:"client_id"`
			Status   string `json:"status"`
		}) bool {
			return r.ClientID == created.ClientID && r.Status == "active"
		}) {
		t.Errorf("rp list --json = %+v (%v), want the new RP, active", listed, err)
	}
	cli("rp", "update", created.ClientID, "--name", "Shop Two", "--min-acr", "substantial")
	if out := cli("rp", "suspend", created.ClientID); !strings.Contains(out, "suspended") {
		t.Errorf("rp suspend = %q", out)
	}
	code, body = call("GET", adm+"/admin/v1/rps/"+created.ClientID, tok.Token, "")
	if code != 200 || !bytes.Contains(body, []byte(`"status":"suspended"`)) || !bytes.Contains(body, []byte(`"name":"Shop Two"`)) ||
		!bytes.Contains(body, []byte(`"min_acr":"substantial"`)) {
		t.Errorf("GET after update and suspend = %d %s", code, body)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"nothing"}, "redirect_uri": {"https://shop.example/cb"},
		"client_id": {created.ClientID}, "client_secret": {created.ClientSecret}, "code_verifier": {strings.Repeat("v", 43)}}
	res, err := http.PostForm(pub+"/oidc/token", form)
	if err != nil {
		t.Fatal(err)
	}
	tokenBody, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !bytes.Contains(tokenBody, []byte("invalid_client")) {
		t.Errorf("token endpoint for the suspended RP = %d %s, want 401 invalid_client", res.StatusCode, tokenBody)
	}
	var creds rpCredentials
	if err := json.Unmarshal([]byte(cli("rp", "rotate-secret", created.ClientID, "--json")), &creds); err != nil ||
		creds.ClientID != created.ClientID || creds.ClientSecret == created.ClientSecret || len(creds.ClientSecret) != 43 {
		t.Errorf("rp rotate-secret --json = %+v (%v), want a new 43-character secret", creds, err)
	}

	// A resident enrols with the wallet against the demo server.
	enrolled, _ := enrolWallet(t, s, filepath.Join(t.TempDir(), "wallet"), passwordFile(t, demoPassword), demoAdult...)
	number := enrolled["internet_number"]
	blk, _ := pem.Decode([]byte(enrolled["certificate_pem"]))
	if blk == nil {
		t.Fatalf("enrolment gave no certificate: %v", enrolled)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	serial := credential.FormatSerial(cert.SerialNumber)

	// Statistics before the revocation: one resident, activated.
	var st struct {
		Residents struct {
			Total, Activated int64
		} `json:"residents"`
	}
	code, body = call("GET", adm+"/admin/v1/stats", tok.Token, "")
	if code != 200 || json.Unmarshal(body, &st) != nil || st.Residents.Total != 1 || st.Residents.Activated != 1 {
		t.Errorf("GET /admin/v1/stats = %d %s, want one activated resident", code, body)
	}
	metrics := func() string {
		t.Helper()
		res, err := http.Get(pub + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	m := metrics()
	for _, want := range []string{"netid_stats_up 1", `netid_residents{status="active"} 1`, "netid_residents_activated 1",
		"netid_enrolments_completed_today 1"} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The group commit of the SQLite store, which PostgreSQL does not use.
	sqliteStore := !slices.Contains(storage, "--database-url")
	for _, name := range []string{"netid_store_commits_total", "netid_store_committed_transactions_total", "netid_store_commit_queue"} {
		if got := strings.Contains(m, "\n"+name+" "); got != sqliteStore {
			t.Errorf("/metrics has %s: %v, want %v (SQLite: %v)", name, got, sqliteStore, sqliteStore)
		}
	}
	if sqliteStore && strings.Contains(m, "\nnetid_store_committed_transactions_total 0\n") {
		t.Error("/metrics counts no committed transaction after an enrolment")
	}

	// The revocation through the API is on this node's /crl at once, even
	// with a CRL cached just before.
	crlLists := func() bool {
		t.Helper()
		res, err := http.Get(pub + "/crl")
		if err != nil {
			t.Fatal(err)
		}
		der, _ := io.ReadAll(res.Body)
		res.Body.Close()
		rl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(rl.RevokedCertificateEntries, func(e x509.RevocationListEntry) bool {
			return e.SerialNumber.Cmp(cert.SerialNumber) == 0
		})
	}
	if crlLists() {
		t.Fatal("the CRL lists a fresh certificate")
	}
	code, body = call("POST", adm+"/admin/v1/certificates/"+serial+"/revoke", tok.Token, `{"reason":"keyCompromise"}`)
	if code != 200 || !bytes.Contains(body, []byte(`"reason":"keyCompromise"`)) {
		t.Fatalf("revoke = %d %s", code, body)
	}
	if !crlLists() {
		t.Error("/crl does not list the certificate revoked through the admin API")
	}
	if out := cli("admin", "cert", "revoke-all", number, "--reason", "privilegeWithdrawn"); !strings.HasPrefix(out, "0 certificate(s)") {
		t.Errorf("admin cert revoke-all after the revocation = %q, want 0 revoked", out)
	}
	if _, stderr, code := runNetid(t, append([]string{"admin", "cert", "revoke", serial, "--reason", "superseded"}, storage...)...); code != 1 || !strings.Contains(stderr, "already revoked") {
		t.Errorf("second revocation: exit %d, %q; want 1, already revoked", code, stderr)
	}

	// Lawful access: the flags are required; then the identity is printed
	// and the access logged.
	_, stderr, code := runNetid(t, append([]string{"admin", "lawful-access", "--internet-number", number, "--ref", "C-1"}, storage...)...)
	if code != exitUsage || !strings.Contains(stderr, "--authority is required") || !strings.Contains(stderr, "--legal-basis is required") ||
		!strings.Contains(stderr, "--notice-delay is required") {
		t.Errorf("lawful-access without authority and basis: exit %d, %q", code, stderr)
	}
	out := cli("admin", "lawful-access", "--internet-number", number, "--authority", "MPS-BJ", "--legal-basis", "PRC-CPL-Art.54",
		"--ref", "CASE-7", "--notice-delay", "720h")
	if !strings.Contains(out, "lawful access recorded in the transparency log of "+number) || !strings.Contains(out, "name:") ||
		!strings.Contains(out, "document number:") {
		t.Errorf("lawful-access output = %q", out)
	}

	// Statistics after: no resident holds a valid certificate.
	if err := json.Unmarshal([]byte(cli("admin", "stats", "--json")), &st); err != nil || st.Residents.Activated != 0 || st.Residents.Total != 1 {
		t.Errorf("admin stats --json = %+v, %v; want 1 resident, 0 activated", st, err)
	}

	// The audit trail has the API's and the commands' actions, by name.
	var trail []struct{ Admin, Channel, Action, Target, Outcome string }
	if err := json.Unmarshal([]byte(cli("admin", "audit", "--json")), &trail); err != nil {
		t.Fatal(err)
	}
	want := []struct{ admin, action, target, outcome string }{
		{"local:", "token.create", tok.ID, "ok"},
		{"ops", "rp.create", created.ClientID, "ok"},
		{"local:", "rp.update", created.ClientID, "ok"},
		{"local:", "rp.suspend", created.ClientID, "ok"},
		{"local:", "rp.rotate-secret", created.ClientID, "ok"},
		{"ops", "certificate.revoke", serial, "ok"},
		{"local:", "certificate.revoke-all", number, "ok"},
		{"local:", "certificate.revoke", serial, "conflict"},
		{"local:", "lawful-access", number, "ok"},
	}
	if len(trail) != len(want) {
		t.Fatalf("audit trail has %d records, want %d: %+v", len(trail), len(want), trail)
	}
	for i, w := range want {
		g := trail[i]
		if !strings.HasPrefix(g.Admin, w.admin) || g.Action != w.action || g.Target != w.target || g.Outcome != w.outcome {
			t.Errorf("audit record %d = %+v, want %+v", i, g, w)
		}
	}
	if !strings.Contains(s.logs.String(), `"msg":"admin action"`) {
		t.Error("the server logged no admin action")
	}
}

// TestServeAdminAddrChecked: --admin-addr must be host:port and not --addr.
func TestServeAdminAddrChecked(t *testing.T) {
	_, stderr, code := runNetid(t, "serve", "--addr", "127.0.0.1:9", "--admin-addr", "127.0.0.1:9")
	if code != exitUsage || !strings.Contains(stderr, "--admin-addr (NETID_ADMIN_ADDR) must differ from --addr") {
		t.Errorf("same address: exit %d, %q", code, stderr)
	}
	_, stderr, code = runNetid(t, "serve", "--admin-addr", "nowhere")
	if code != exitUsage || !strings.Contains(stderr, `--admin-addr (NETID_ADMIN_ADDR): "nowhere" is not host:port`) {
		t.Errorf("bad address: exit %d, %q", code, stderr)
	}
}

func TestPositional(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantJSON bool
		wantErr  bool
	}{
		{[]string{"SERIAL", "--json"}, []string{"SERIAL"}, true, false},
		{[]string{"--json", "SERIAL"}, []string{"SERIAL"}, true, false},
		{[]string{"A", "B", "--json", "C"}, []string{"A", "B", "C"}, true, false},
		{[]string{"--", "--json"}, []string{"--json"}, false, false},
		{[]string{"A", "--", "--json", "B"}, []string{"A", "--json", "B"}, false, false},
		{nil, nil, false, false},
		{[]string{"A", "--nope"}, nil, false, true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		asJSON := fs.Bool("json", false, "")
		pos, err := positional(fs, tt.args)
		if (err != nil) != tt.wantErr || !slices.Equal(pos, tt.wantPos) || *asJSON != tt.wantJSON {
			t.Errorf("positional(%q) = %q, json %v, %v; want %q, json %v, error %v", tt.args, pos, *asJSON, err, tt.wantPos, tt.wantJSON, tt.wantErr)
		}
	}
}
