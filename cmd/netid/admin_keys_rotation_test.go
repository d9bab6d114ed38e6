package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/translog"
)

// waitUntil polls cond until it holds. The bound is generous for a loaded
// machine and is not an assertion on speed.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rpClient is a relying party in the test process: go-oidc and x/oauth2,
// like any platform, and a browser (cookie jar) with a login session.
type rpClient struct {
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	oauth    *oauth2.Config
	browser  *http.Client
	callback string
}

// newRPClient registers a platform with netid rp create (beside the running
// server) and logs the resident in once with the password, consenting to
// age_over_18, whose value comes from the resident's sealed identity: every
// later token response unwraps the resident's data key.
func newRPClient(t *testing.T, base string, storage []string, number, password string) *rpClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://" + ln.Addr().String() + "/cb"
	ln.Close() // nothing listens: the browser stops at the redirect
	creds := createRP(t, append([]string{"--name", "Rotation test platform",
		"--redirect-uri", callback, "--claim", "age_over_18=to check an age during key rotation"}, storage...)...)
	ctx := context.Background()
	p, err := gooidc.NewProvider(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &rpClient{
		provider: p,
		verifier: p.Verifier(&gooidc.Config{ClientID: creds.ClientID}),
		oauth: &oauth2.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: callback, Scopes: []string{gooidc.ScopeOpenID, "age_over_18"}},
		callback: callback,
	}
	c.browser = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	// The first login: password, then consent.
	verifierCode := oauth2.GenerateVerifier()
	b := &browser{t: t, c: c.browser}
	page, at := b.page(b.c.Get(c.oauth.AuthCodeURL("state-0", gooidc.Nonce("nonce-0"), oauth2.S256ChallengeOption(verifierCode))))
	page, at = b.page(b.post(page, at, url.Values{"username": {number}, "password": {password}}))
	res, err := b.post(page, at, url.Values{"claim": {"age_over_18"}, "remember": {"yes"}, "action": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if _, err := c.codeFrom(res, "state-0"); err != nil {
		t.Fatalf("first login: %v", err)
	}
	return c
}

// codeFrom reads the authorization code from a redirect to the callback.
func (c *rpClient) codeFrom(res *http.Response, state string) (string, error) {
	loc, err := res.Location()
	if err != nil || !strings.HasPrefix(loc.String(), c.callback) {
		return "", fmt.Errorf("authorization answered %d, not a redirect to the platform (%v)", res.StatusCode, err)
	}
	q := loc.Query()
	if q.Get("error") != "" {
		return "", fmt.Errorf("authorization error %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != state {
		return "", fmt.Errorf("state %q, want %q", q.Get("state"), state)
	}
	return q.Get("code"), nil
}

// login runs one complete single-sign-on code flow as a platform does:
// authorization answered from the session, code exchange, ID token
// verified by go-oidc against the JWKS it fetches (again when it meets an
// unknown kid), userinfo. It returns the ID token's kid.
func (c *rpClient) login(ctx context.Context, n int) (string, error) {
	state, nonce, pkce := fmt.Sprintf("state-%d", n), fmt.Sprintf("nonce-%d", n), oauth2.GenerateVerifier()
	res, err := c.browser.Get(c.oauth.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce)))
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	code, err := c.codeFrom(res, state)
	if err != nil {
		return "", fmt.Errorf("%w: %.2000s", err, body)
	}
	tok, err := c.oauth.Exchange(ctx, code, oauth2.VerifierOption(pkce))
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("ID token: %w", err)
	}
	if idt.Nonce != nonce {
		return "", fmt.Errorf("ID token nonce %q, want %q", idt.Nonce, nonce)
	}
	var claims struct {
		AgeOver18 *bool `json:"age_over_18"`
	}
	if err := idt.Claims(&claims); err != nil || claims.AgeOver18 == nil || !*claims.AgeOver18 {
		return "", fmt.Errorf("ID token age_over_18 = %v (%v), want true", claims.AgeOver18, err)
	}
	if _, err := c.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		return "", fmt.Errorf("userinfo: %w", err)
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "", err
	}
	return jws.Signatures[0].Header.KeyID, nil
}

// verifyCertificate checks cert against the CA certificates /ca.pem
// publishes now, as an offline verifier does.
func verifyCertificate(ctx context.Context, base string, s suite.Suite, cert *x509.Certificate) error {
	body, err := httpGet(ctx, base+"/ca.pem")
	if err != nil {
		return err
	}
	var roots []*x509.Certificate
	for rest := body; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		c, err := s.ParseCertificate(blk.Bytes)
		if err != nil {
			return err
		}
		roots = append(roots, c)
	}
	_, err = s.VerifyChain(cert, suite.VerifyOptions{Roots: roots, At: time.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// verifyCheckpoint checks the log's checkpoint against the verifier keys it
// publishes now, as a witness does, and returns the key hash that signed.
func verifyCheckpoint(ctx context.Context, base string) (uint32, error) {
	keys, err := httpGet(ctx, base+"/translog/keys")
	if err != nil {
		return 0, err
	}
	var vs []note.Verifier
	for _, line := range strings.Fields(string(keys)) {
		v, err := translog.ParseVerifierKey(line)
		if err != nil {
			return 0, err
		}
		vs = append(vs, v)
	}
	cp, err := httpGet(ctx, base+"/translog/checkpoint")
	if err != nil {
		return 0, err
	}
	n, err := note.Open(cp, note.VerifierList(vs...))
	if err != nil {
		return 0, err
	}
	return n.Sigs[0].Hash, nil
}

func httpGet(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", u, res.StatusCode, b)
	}
	return b, nil
}

// load runs one kind of request in a loop and counts outcomes. Errors are
// kept (the first few) for the failure message.
type load struct {
	name     string
	ok, fail atomic.Int64
	mu       sync.Mutex
	errs     []string
}

func (l *load) record(err error) {
	if err == nil {
		l.ok.Add(1)
		return
	}
	l.fail.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 5 {
		l.errs = append(l.errs, err.Error())
	}
}

// waitMore waits until l has succeeded n more times than it had at from:
// requests really ran across the change being made.
func (l *load) waitMore(t *testing.T, from int64, n int64) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d more %s requests succeed", n, l.name), func() bool {
		if l.fail.Load() > 0 {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("%s requests fail: %s", l.name, strings.Join(l.errs, "\n  "))
		}
		return l.ok.Load() >= from+n
	})
}

// keyIDs lists the ids of the keys of purpose p in the data dir.
func keyIDs(t *testing.T, dataDir string, p keystore.Purpose, state keystore.State) []string {
	t.Helper()
	stdout, stderr, code := runNetid(t, "admin", "keys", "list", "--data-dir", dataDir, "--json")
	if code != 0 {
		t.Fatalf("keys list: exit %d: %s", code, stderr)
	}
	var rows []struct{ ID, Purpose, State string }
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.Purpose == string(p) && r.State == string(state) {
			out = append(out, r.ID)
		}
	}
	return out
}

// adminKeys runs netid admin keys ... beside the server and fails the
// test unless it succeeds.
func adminKeys(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runNetid(t, append([]string{"admin", "keys"}, args...)...)
	if code != 0 {
		t.Fatalf("admin keys %v: exit %d\n%s%s", args, code, stdout, stderr)
	}
	return stdout
}

// Every key a rotation is meaningful for is rotated by netid admin keys
// beside a running serve --demo, under continuous requests of the kinds
// that depend on it, and not one request fails:
//
//   - token-signing: single-sign-on code flows verified by go-oidc (JWKS,
//     ID token), which switch to the new kid;
//   - cookie: the same flows ride on a session cookie signed by the old
//     key;
//   - key-encryption: every token response opens the resident's sealed
//     identity (age_over_18) while the data keys are re-wrapped by the
//     command and the old KEK retired; a resident enrols meanwhile;
//   - ca: the certificate issued before verifies against /ca.pem
//     throughout, and one renewed after verifies too;
//   - log-signing: checkpoints verify against /translog/keys throughout,
//     until one signed by the new key appears.
//
// The server reloads on SIGHUP here (its interval is an hour), and by
// itself when it meets a key id it does not know yet: the KEK phase
// re-wraps before any SIGHUP. TestServeReloadsKeysPeriodically covers the
// interval.
func TestKeyRotationUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server through five rotations")
	}
	t.Run("sqlite", func(t *testing.T) { testKeyRotationUnderLoad(t, nil) })
	t.Run("postgres", func(t *testing.T) { testKeyRotationUnderLoad(t, []string{"--database-url", pgtest.New(t)}) })
}

func testKeyRotationUnderLoad(t *testing.T, db []string) {
	dataDir := filepath.Join(t.TempDir(), "data")
	// storage are the flags of every command beside the server.
	storage := append([]string{"--data-dir", dataDir}, db...)
	s := startLoggedServer(t, freeAddr(t), append([]string{"--demo",
		"--key-reload-interval", "1h", "--translog-checkpoint-interval", "100ms"}, storage...)...)
	tmp := t.TempDir()
	pwFile := passwordFile(t, demoPassword)
	walletDir := filepath.Join(tmp, "adult")
	enrolled, _ := enrolWallet(t, s, walletDir, pwFile, demoAdult...)
	blk, _ := pem.Decode([]byte(enrolled["certificate_pem"]))
	intl, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	firstCert, err := intl.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	rp := newRPClient(t, s.base(), storage, enrolled["internet_number"], demoPassword)

	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	var (
		logins, certs, checkpoints load
		kidsMu                     sync.Mutex
		kids                       = map[string]bool{}
		signers                    = map[uint32]bool{}
		renewed                    atomic.Pointer[x509.Certificate]
		wg                         sync.WaitGroup
	)
	logins.name, certs.name, checkpoints.name = "login", "certificate", "checkpoint"
	wg.Go(func() {
		for n := 1; ctx.Err() == nil; n++ {
			kid, err := rp.login(ctx, n)
			if ctx.Err() != nil {
				return
			}
			logins.record(err)
			if err == nil {
				kidsMu.Lock()
				kids[kid] = true
				kidsMu.Unlock()
			}
		}
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			err := verifyCertificate(ctx, s.base(), intl, firstCert)
			if c := renewed.Load(); err == nil && c != nil {
				err = verifyCertificate(ctx, s.base(), intl, c)
			}
			if ctx.Err() != nil {
				return
			}
			certs.record(err)
		}
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			h, err := verifyCheckpoint(ctx, s.base())
			if ctx.Err() != nil {
				return
			}
			checkpoints.record(err)
			if err == nil {
				kidsMu.Lock()
				signers[h] = true
				kidsMu.Unlock()
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	loads := []*load{&logins, &certs, &checkpoints}
	for _, l := range loads {
		l.waitMore(t, 0, 5)
	}
	seenKid := func(id string) bool { kidsMu.Lock(); defer kidsMu.Unlock(); return kids[id] }

	t.Run("token-signing", func(t *testing.T) {
		old := keyIDs(t, dataDir, keystore.TokenSigning, keystore.StateActive)[0]
		adminKeys(t, append([]string{"rotate", "--purpose", "token-signing"}, storage...)...)
		fresh := keyIDs(t, dataDir, keystore.TokenSigning, keystore.StateActive)[0]
		from := logins.ok.Load()
		s.signal(t, syscall.SIGHUP)
		waitUntil(t, "an ID token signed by the new key verifies", func() bool { return seenKid(fresh) })
		logins.waitMore(t, from, 10)
		if !seenKid(old) {
			t.Errorf("no ID token was signed by the old key %s before the rotation", old)
		}
	})

	t.Run("cookie", func(t *testing.T) {
		adminKeys(t, append([]string{"rotate", "--purpose", "cookie"}, storage...)...)
		from := logins.ok.Load()
		s.signal(t, syscall.SIGHUP)
		fresh := keyIDs(t, dataDir, keystore.Cookie, keystore.StateActive)[0]
		waitUntil(t, "the server loads the new cookie key", func() bool { return strings.Contains(s.logs.String(), "id="+fresh) })
		// The browser's session cookie was signed by the old key.
		logins.waitMore(t, from, 10)
	})

	t.Run("key-encryption", func(t *testing.T) {
		old := keyIDs(t, dataDir, keystore.KeyEncryption, keystore.StateActive)[0]
		adminKeys(t, append([]string{"rotate", "--purpose", "key-encryption"}, storage...)...)
		fresh := keyIDs(t, dataDir, keystore.KeyEncryption, keystore.StateActive)[0]
		// Re-wrap before the server hears of the new KEK: the logins meet a
		// data key wrapped by a KEK it does not know yet, and must reload.
		from := logins.ok.Load()
		out := adminKeys(t, append([]string{"rewrap"}, storage...)...)
		if !strings.Contains(out, "re-wrapped") {
			t.Errorf("rewrap said %q", out)
		}
		logins.waitMore(t, from, 10)
		// The reload those logins caused is logged at the next reload. Now
		// the server wraps new data keys with the new KEK: a resident
		// enrols while the logins go on.
		s.signal(t, syscall.SIGHUP)
		waitUntil(t, "the server logs the old KEK retiring", func() bool {
			return strings.Contains(s.logs.String(), "id="+old+" purpose=key-encryption from=active to=retiring") &&
				strings.Contains(s.logs.String(), "id="+fresh+" purpose=key-encryption from=new to=active")
		})
		_, stderr, code := runNetid(t, "wallet", "enrol", "--wallet", filepath.Join(tmp, "youth"), "--server", s.base(),
			"--password-file", pwFile, "--demo-document", "youth", "--phone", "+8613800138001", "--json")
		if code != 0 {
			t.Fatalf("enrolment during the KEK rotation: exit %d\n%s", code, stderr)
		}
		adminKeys(t, append([]string{"rewrap"}, storage...)...)
		out = adminKeys(t, append([]string{"retire", old, "--grace", "0"}, storage...)...)
		if !strings.Contains(out, "retired "+old) {
			t.Errorf("retire said %q", out)
		}
		from = logins.ok.Load()
		s.signal(t, syscall.SIGHUP)
		waitUntil(t, "the server drops the old KEK", func() bool {
			return strings.Contains(s.logs.String(), "id="+old+" purpose=key-encryption from=retiring to=retired")
		})
		logins.waitMore(t, from, 10)
	})

	t.Run("ca", func(t *testing.T) {
		adminKeys(t, append([]string{"rotate", "--purpose", "ca"}, storage...)...)
		fresh := keyIDs(t, dataDir, keystore.CA, keystore.StateActive)[0]
		from := certs.ok.Load()
		s.signal(t, syscall.SIGHUP)
		waitUntil(t, "the server loads the new CA key", func() bool { return strings.Contains(s.logs.String(), "id="+fresh) })
		certs.waitMore(t, from, 10)
		// A certificate issued now comes from the new CA key and verifies
		// against /ca.pem beside the old one.
		t.Setenv("NETID_PASSWORD", demoPassword)
		_, stderr, code := runNetid(t, "wallet", "renew", "--wallet", walletDir, "--server", s.base())
		if code != 0 {
			t.Fatalf("wallet renew after the CA rotation: exit %d\n%s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(walletDir, "wallet.json"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := walletCertificate(intl, b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.AuthorityKeyId, []byte(fresh)) {
			t.Errorf("renewed certificate issued by %q, want the new CA key %s", c.AuthorityKeyId, fresh)
		}
		renewed.Store(c)
		from = certs.ok.Load()
		certs.waitMore(t, from, 10)
	})

	t.Run("log-signing", func(t *testing.T) {
		kidsMu.Lock()
		before := len(signers)
		kidsMu.Unlock()
		adminKeys(t, append([]string{"rotate", "--purpose", "log-signing"}, storage...)...)
		from := checkpoints.ok.Load()
		s.signal(t, syscall.SIGHUP)
		// Logins append to the log; the publisher signs the grown tree
		// with the new key.
		waitUntil(t, "a checkpoint signed by the new log key verifies", func() bool {
			kidsMu.Lock()
			defer kidsMu.Unlock()
			return len(signers) > before
		})
		checkpoints.waitMore(t, from, 10)
	})

	stopLoad()
	wg.Wait()
	for _, l := range loads {
		t.Logf("%s requests: %d succeeded, %d failed", l.name, l.ok.Load(), l.fail.Load())
		if n := l.fail.Load(); n > 0 {
			t.Errorf("%d %s requests failed during the rotations; first errors:\n  %s", n, l.name, strings.Join(l.errs, "\n  "))
		}
	}
	if t.Failed() {
		t.Logf("server log:\n%s", s.logs)
	}
	s.stop(t)
}

// walletCertificate reads the certificate from a wallet.json.
func walletCertificate(s suite.Suite, walletJSON []byte) (*x509.Certificate, error) {
	var w struct {
		Account *struct {
			CertificatePEM string `json:"certificate_pem"`
		} `json:"account"`
	}
	if err := json.Unmarshal(walletJSON, &w); err != nil {
		return nil, err
	}
	if w.Account == nil {
		return nil, errors.New("wallet.json holds no account")
	}
	blk, _ := pem.Decode([]byte(w.Account.CertificatePEM))
	if blk == nil {
		return nil, errors.New("wallet.json holds no certificate")
	}
	return s.ParseCertificate(blk.Bytes)
}

// With the default way of noticing rotations, the interval: a running
// server publishes a rotated token-signing key in JWKS, and signs with it,
// without a signal or a restart.
func TestServeReloadsKeysPeriodically(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startLoggedServer(t, freeAddr(t), "--data-dir", dataDir, "--key-reload-interval", "100ms")
	adminKeys(t, "rotate", "--purpose", "token-signing", "--data-dir", dataDir)
	fresh := keyIDs(t, dataDir, keystore.TokenSigning, keystore.StateActive)[0]
	waitUntil(t, "JWKS lists the new key", func() bool {
		b, err := httpGet(context.Background(), s.base()+"/oidc/jwks")
		return err == nil && strings.Contains(string(b), fresh)
	})
	if !strings.Contains(s.logs.String(), "trigger=interval id="+fresh) {
		t.Errorf("the server log lacks the interval reload of %s:\n%s", fresh, s.logs)
	}
	s.stop(t)
}
