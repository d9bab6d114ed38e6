package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/store/pgtest"
)

// netidBin is the binary built once for the tests that run it as an
// operator would: as a process, signalled and polled over HTTP.
var netidBin string

func TestMain(m *testing.M) {
	if fuzzOnly() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "netid-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	netidBin = filepath.Join(dir, "netid")
	if out, err := exec.Command("go", "build", "-o", netidBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building netid: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fuzzOnly reports a process that runs no test, only a fuzz target (a
// fuzzing worker, or .ci/fuzz's -test.run='^$'): it needs no binary, and
// building one in every worker would eat the fuzzing time.
func fuzzOnly() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.fuzzworker" || a == "-test.fuzzworker=true" || a == "-test.run=^$" {
			return true
		}
	}
	return false
}

func runNetid(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// Every command's help names every flag with its environment variable.
func TestHelpNamesEveryFlagAndVariable(t *testing.T) {
	root := newRootCommand(io.Discard, io.Discard)
	var cmds [][]string
	var collect func(c *ffcli.Command, path []string)
	collect = func(c *ffcli.Command, path []string) {
		cmds = append(cmds, path)
		for _, s := range c.Subcommands {
			collect(s, append(append([]string{}, path...), s.Name))
		}
	}
	collect(root, nil)
	for _, path := range cmds {
		t.Run(strings.Join(append([]string{"netid"}, path...), " "), func(t *testing.T) {
			_, stderr, code := runNetid(t, append(path, "--help")...)
			if code != 0 {
				t.Errorf("exit code = %d, want 0", code)
			}
			if !strings.Contains(stderr, "USAGE") {
				t.Errorf("help lacks USAGE:\n%s", stderr)
			}
			c := root
			for _, name := range path {
				for _, s := range c.Subcommands {
					if s.Name == name {
						c = s
					}
				}
			}
			c.FlagSet.VisitAll(func(f *flag.Flag) {
				for _, want := range []string{"--" + f.Name, "env " + env(f.Name) + ","} {
					if !strings.Contains(stderr, want) {
						t.Errorf("help lacks %q", want)
					}
				}
			})
		})
	}
}

// Flags beat environment variables, which beat the config file. The
// setting is observed through the validation error, which quotes the value
// that won.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "netid.conf")
	if err := os.WriteFile(conf, []byte("# test\naddr from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonConf := filepath.Join(dir, "netid.json")
	if err := os.WriteFile(jsonConf, []byte(`{"addr": "from-json"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"file", "", []string{"serve", "--config", conf}, `"from-file"`},
		{"json file", "", []string{"serve", "--config", jsonConf}, `"from-json"`},
		{"env beats file", "from-env", []string{"serve", "--config", conf}, `"from-env"`},
		{"flag beats env", "from-env", []string{"serve", "--config", conf, "--addr", "from-flag"}, `"from-flag"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NETID_ADDR", tt.env)
			_, stderr, code := runNetid(t, tt.args...)
			if code != exitUsage {
				t.Fatalf("exit code = %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, "--addr (NETID_ADDR): "+tt.want+" is not host:port") {
				t.Errorf("stderr = %q, want the value %s to have won", stderr, tt.want)
			}
		})
	}
}

func TestConfigFileRefusesUnknownKeys(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "netid.conf")
	if err := os.WriteFile(conf, []byte("adress 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runNetid(t, "serve", "--config", conf)
	if code == 0 || !strings.Contains(stderr, `unknown setting "adress"`) {
		t.Errorf("exit %d, stderr %q: want the typo refused by name", code, stderr)
	}
}

func TestInvalidConfigListsEveryProblem(t *testing.T) {
	_, stderr, code := runNetid(t, "serve", "--suite", "rot13", "--addr", "nowhere", "--log-level", "loud", "--read-timeout", "0s")
	if code != exitUsage {
		t.Errorf("exit code = %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"--suite (NETID_SUITE)", "--addr (NETID_ADDR)", "--log-level (NETID_LOG_LEVEL)", "--read-timeout (NETID_READ_TIMEOUT)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// server is a netid process under test.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
	done chan error
}

// syncBuffer is a bytes.Buffer safe to read while the server process
// writes its log into it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{addr: freeAddr(t), logs: new(syncBuffer), done: make(chan error, 1)}
	s.cmd = exec.Command(netidBin, append([]string{"serve", "--addr", s.addr}, args...)...)
	s.cmd.Stderr = s.logs
	s.cmd.Env = os.Environ()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// waitReady polls /readyz until it answers 200; the bound is generous for a
// loaded CI machine and is not an assertion on speed.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			t.Fatalf("netid exited before ready: %v\n%s", err, s.logs)
		default:
		}
		res, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("netid not ready in time\n%s", s.logs)
}

// startServerAt starts netid serve on a fixed address, so that a restart
// keeps the public URL (the issuer, the redirect URIs registered against
// it and the transparency log's origin all derive from it).
func startServerAt(t *testing.T, addr string, args ...string) *server {
	t.Helper()
	s := startServer(t, append(args, "--addr", addr)...) // the last --addr wins
	s.addr = addr
	return s
}

// startLoggedServer starts netid serve on addr with its log in text (the
// tests read it for what the server did) and waits until it is ready.
func startLoggedServer(t *testing.T, addr string, args ...string) *server {
	t.Helper()
	s := startServerAt(t, addr, append([]string{"--log-format", "text"}, args...)...)
	s.waitReady(t)
	return s
}

func (s *server) base() string { return "http://" + s.addr }

func (s *server) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	s.signal(t, syscall.SIGTERM)
	if err := <-s.done; err != nil {
		t.Fatalf("netid exited with %v after SIGTERM, want 0\n%s", err, s.logs)
	}
	if !strings.Contains(s.logs.String(), "shut down cleanly") {
		t.Errorf("logs lack the clean shutdown line:\n%s", s.logs)
	}
}

func TestServeSQLite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	s.waitReady(t)
	s.stop(t)
	// Keys and database were created, private to the service user.
	entries, err := filepath.Glob(filepath.Join(dir, "keys", "*.json"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no key files created: %v", err)
	}
	for _, p := range append(entries, filepath.Join(dir, "netid.db")) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	// A second start reuses them.
	s = startServer(t, "--data-dir", dir)
	s.waitReady(t)
	s.stop(t)
	if strings.Contains(s.logs.String(), "created key") {
		t.Error("second start created keys again")
	}
}

func TestServeRefusesReadableDataDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runNetid(t, "serve", "--data-dir", dir, "--addr", freeAddr(t))
	if code == 0 || !strings.Contains(stderr, "chmod 700") {
		t.Errorf("exit %d, stderr %q: want a refusal that says how to fix it", code, stderr)
	}
}

// Switching to PostgreSQL is one flag; with --no-auto-migrate the schema is
// migrated by netid migrate.
func TestServePostgres(t *testing.T) {
	url := pgtest.New(t)
	dir := filepath.Join(t.TempDir(), "data")

	_, stderr, code := runNetid(t, "serve", "--data-dir", dir, "--database-url", url, "--no-auto-migrate", "--addr", freeAddr(t))
	if code == 0 || !strings.Contains(stderr, "run netid migrate") {
		t.Fatalf("serve --no-auto-migrate on an empty database: exit %d, stderr %q; want a refusal naming netid migrate", code, stderr)
	}
	if _, _, code := runNetid(t, "migrate", "--data-dir", dir, "--database-url", url, "--check"); code != 3 {
		t.Errorf("migrate --check before migrating: exit %d, want 3", code)
	}
	out, stderr, code := runNetid(t, "migrate", "--data-dir", dir, "--database-url", url)
	if code != 0 || !strings.Contains(out, "applied 0001") {
		t.Fatalf("migrate: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if out, _, code := runNetid(t, "migrate", "--data-dir", dir, "--database-url", url, "--check"); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate --check after migrating: exit %d, stdout %q", code, out)
	}

	s := startServer(t, "--data-dir", dir, "--database-url", url, "--no-auto-migrate")
	s.waitReady(t)
	if strings.Contains(s.logs.String(), strings.TrimPrefix(url, "postgres://")) {
		t.Error("the database URL appears in the logs")
	}
	s.stop(t)
}

// When the database goes away, /readyz says so with 503 and the reason, so
// that a load balancer drains the node; the process keeps running.
func TestReadyzReportsStoreDown(t *testing.T) {
	url := pgtest.New(t)
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"), "--database-url", url)
	s.waitReady(t)

	admin, err := pgx.Connect(context.Background(), os.Getenv(pgtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(context.Background(), "DROP DATABASE "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}

	res, err := http.Get("http://" + s.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "store:") {
		t.Errorf("readyz with the database gone = %d %s; want 503 naming the store", res.StatusCode, body)
	}
	if strings.Contains(string(body), "password") {
		t.Errorf("readyz leaks connection details: %s", body)
	}
	if res, err := http.Get("http://" + s.addr + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Errorf("healthz with the database gone = %v, %v; want 200: the process is alive", res, err)
	}
	s.stop(t)
}

// The suite is chosen when the data dir is made; starting with the other
// one is refused with the reason instead of serving with mismatched keys.
func TestServeRefusesOtherSuite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--suite", "sm")
	s.waitReady(t)
	s.stop(t)
	_, stderr, code := runNetid(t, "serve", "--data-dir", dir, "--suite", "intl", "--addr", freeAddr(t))
	if code == 0 || !strings.Contains(stderr, "not usable with --suite intl") {
		t.Errorf("exit %d, stderr %q; want a refusal naming the suite", code, stderr)
	}
}

// serve --demo publishes the CA, a CRL signed by it and an OCSP responder
// that answers malformed requests in OCSP's own terms.
func TestServeDemoCertificateEndpoints(t *testing.T) {
	s := startServer(t, "--demo", "--data-dir", filepath.Join(t.TempDir(), "data"))
	s.waitReady(t)
	base := "http://" + s.addr

	res, err := http.Get(base + "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := io.ReadAll(res.Body)
	res.Body.Close()
	blk, _ := pem.Decode(caPEM)
	if blk == nil {
		t.Fatalf("/ca.pem is not PEM: %q", caPEM)
	}
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	res, err = http.Get(base + "/crl")
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/pkix-crl" {
		t.Errorf("/crl Content-Type = %q", ct)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(ca); err != nil {
		t.Errorf("the CRL is not signed by /ca.pem: %v", err)
	}
	res, err = http.Get(base + "/crl?ca=nope")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("/crl?ca=nope = %d %s, want a 404 problem", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, err = http.Post(base+"/ocsp", "application/ocsp-request", strings.NewReader("not DER"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED malformedRequest(1) }
	if res.StatusCode != 200 || !bytes.Equal(body, []byte{0x30, 0x03, 0x0a, 0x01, 0x01}) {
		t.Errorf("/ocsp with garbage = %d %x, want 200 and a malformedRequest response", res.StatusCode, body)
	}
	s.stop(t)
}
