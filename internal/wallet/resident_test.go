package wallet_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/resident/residenttest"
	"github.com/netid/netid/internal/translog"
	"github.com/netid/netid/internal/wallet"
)

// residentWallet is a wallet enrolled with a residenttest service, and
// the person it enrolled as, for the platform logins.
type residentWallet struct {
	e      *residenttest.Env
	w      *wallet.Wallet
	c      *wallet.Client
	person residenttest.Person
}

// enrolResidentWallet enrols a new wallet of the intl suite with e
// through the enrolment API, as netid wallet enrol does.
func enrolResidentWallet(t *testing.T, e *residenttest.Env, passport string, seed uint64) *residentWallet {
	t.Helper()
	c, err := wallet.NewClient(e.URL, wallet.WithHTTPClient(e.Server.Client()))
	if err != nil {
		t.Fatal(err)
	}
	w := newWallet(t, suite.Intl)
	doc := e.Passport(passport, 35, seed)
	chip, err := json.Marshal(doc.Chip)
	if err != nil {
		t.Fatal(err)
	}
	phone := fmt.Sprintf("+86137%08d", seed)
	img := enroltest.LiveCapture(t, seed, 1)
	acct, err := wallet.Enrol(context.Background(), w, c, wallet.EnrolOptions{
		Evidence: &wallet.Evidence{Chip: chip, PrintedMRZ: doc.PrintedMRZ},
		Phone:    phone,
		Code:     func(context.Context, string) (string, error) { return e.SMS.CodeTo(phone), nil },
		Face:     func(context.Context) ([]byte, error) { return img, nil },
		Liveness: func(_ context.Context, challenge string, img []byte) (string, error) {
			att, err := e.Attestation(img, challenge, 0.99)
			return string(att), err
		},
		Password: goodPassword,
	})
	if err != nil {
		t.Fatalf("Enrol: %v", err)
	}
	p := residenttest.Person{InternetNumber: credential.InternetNumber(acct.InternetNumber), Password: goodPassword}
	return &residentWallet{e: e, w: w, c: c, person: p}
}

// signIn signs the wallet in with its device key.
func (r *residentWallet) signIn(t *testing.T) string {
	t.Helper()
	s, err := r.c.SignIn(context.Background(), r.w, r.e.Clock.Now())
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if s.Level != "substantial" || s.Method != "wallet" {
		t.Errorf("session %+v, want a wallet session at substantial", s)
	}
	return s.Token
}

// The wallet signs in with its device key and exercises every right
// through the client: consents, certificates, locks, export, history,
// deletion; on both engines.
func TestWalletResidentAPI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := residenttest.New(t, enroltest.WithEngine(engine))
			r := enrolResidentWallet(t, e, "E70000001", 701)
			shop := e.NewRP(t, "Shop")
			shop.Login(r.person)
			token := r.signIn(t)

			cs, err := r.c.Consents(ctx, token)
			if err != nil || len(cs) != 1 || cs[0].Platform != "Shop" {
				t.Fatalf("Consents = %+v, %v", cs, err)
			}
			if err := r.c.WithdrawConsent(ctx, token, shop.ClientID()); err != nil {
				t.Errorf("WithdrawConsent: %v", err)
			}
			var p *wallet.Problem
			if err := r.c.WithdrawConsent(ctx, token, shop.ClientID()); !errors.As(err, &p) || p.Status != http.StatusNotFound {
				t.Errorf("WithdrawConsent again = %v, want a 404 problem", err)
			}
			locks, err := r.c.SetLock(ctx, token, "password", true)
			if err != nil || !locks.Locked {
				t.Errorf("SetLock = %+v, %v", locks, err)
			}
			if _, err := r.c.SignInWithPassword(ctx, string(r.person.InternetNumber), goodPassword); !errors.As(err, &p) || p.Slug() != "method-locked" {
				t.Errorf("password sign-in while locked = %v, want method-locked", err)
			}
			if _, err := r.c.SetLock(ctx, token, "password", false); err != nil {
				t.Error(err)
			}
			if all, err := r.c.Locks(ctx, token); err != nil || len(all) != 4 {
				t.Errorf("Locks = %+v, %v", all, err)
			}
			x, name, err := r.c.Export(ctx, token)
			if err != nil || !strings.HasPrefix(name, "netid-export-"+string(r.person.InternetNumber)) || !bytes.Contains(x, []byte(`"format":"netid-export/1"`)) {
				t.Errorf("Export = %d bytes, %q, %v", len(x), name, err)
			}
			report, err := wallet.VerifyHistory(ctx, r.w, r.c, token, e.Clock.Now())
			if err != nil {
				t.Fatalf("VerifyHistory: %v", err)
			}
			if !report.Pinned || len(report.Entries) < 6 {
				t.Errorf("report %+v", report)
			}
			certs, err := r.c.Certificates(ctx, token)
			if err != nil || len(certs) != 1 || certs[0].Status != "valid" {
				t.Fatalf("Certificates = %+v, %v", certs, err)
			}
			if _, err := r.c.DeleteAccount(ctx, token, r.w, "ABCDE12345", e.Clock.Now()); !errors.As(err, &p) || p.Slug() != "confirmation-required" {
				t.Errorf("DeleteAccount(wrong number) = %v", err)
			}
			d, err := r.c.DeleteAccount(ctx, token, r.w, string(r.person.InternetNumber), e.Clock.Now())
			if err != nil || d.Status != "deleted" {
				t.Fatalf("DeleteAccount = %+v, %v", d, err)
			}
			if _, err := r.c.SignIn(ctx, r.w, e.Clock.Now()); !errors.As(err, &p) || p.Slug() != "certificate-revoked" {
				t.Errorf("SignIn after deletion = %v, want certificate-revoked", err)
			}
		})
	}
}

// tamperProxy stands between the wallet and the service and rewrites the
// history the service answers, as an operator who controls the service
// would.
type tamperProxy struct {
	mu      sync.Mutex
	rewrite func(h map[string]any)
}

func newTamperProxy(t *testing.T, target string) (*tamperProxy, *httptest.Server) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &tamperProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		p.mu.Lock()
		f := p.rewrite
		p.mu.Unlock()
		if f == nil || resp.Request.URL.Path != "/v1/me/history" || resp.StatusCode != http.StatusOK {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var h map[string]any
		if err := json.Unmarshal(b, &h); err != nil {
			return err
		}
		f(h)
		out, err := json.Marshal(h)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(out))
		resp.ContentLength = int64(len(out))
		resp.Header.Del("Content-Length")
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *tamperProxy) set(f func(h map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rewrite = f
}

// entries returns the entries of a history answer.
func entries(h map[string]any) []any { return h["entries"].([]any) }

// A server that lies about the history is caught, whatever it changes:
// an entry dropped from the listing, a leaf rewritten, a proof altered,
// a checkpoint signed by another key, a log shorter than the one seen, a
// missing consistency proof, a decoding that differs from the leaf. The
// wallet then saves nothing, and the honest answer still verifies.
func TestVerifyHistoryCatchesALyingServer(t *testing.T) {
	ctx := context.Background()
	e := residenttest.New(t)
	r := enrolResidentWallet(t, e, "E70000002", 702)
	e.NewRP(t, "Shop").Login(r.person)
	proxy, srv := newTamperProxy(t, e.URL)
	c, err := wallet.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	token := r.signIn(t)
	if _, err := wallet.VerifyHistory(ctx, r.w, c, token, e.Clock.Now()); err != nil {
		t.Fatalf("first VerifyHistory: %v", err)
	}
	// A second resident and a second login: the log grows past the
	// checkpoint the wallet saved.
	e.EnrolAdult(t)
	e.NewRP(t, "News").Login(r.person)
	walletJSON := func() []byte {
		b, err := os.ReadFile(filepath.Join(r.w.Dir(), wallet.StateFile))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	saved := walletJSON()

	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		rewrite func(h map[string]any)
		want    error
	}{
		{"entry dropped from the listing", func(h map[string]any) {
			es := entries(h)
			h["entries"] = append(es[:1:1], es[2:]...)
		}, translog.ErrGap},
		{"leaf rewritten", func(h map[string]any) {
			en := entries(h)[3].(map[string]any)
			leaf, _ := decodeB64(en["leaf"].(string))
			leaf[len(leaf)-2] ^= 1
			en["leaf"] = encodeB64(leaf)
		}, translog.ErrInclusion},
		{"proof altered", func(h map[string]any) {
			en := entries(h)[0].(map[string]any)
			proof := en["inclusion_proof"].([]any)
			b, _ := decodeB64(proof[0].(string))
			b[0] ^= 1
			proof[0] = encodeB64(b)
		}, translog.ErrInclusion},
		{"checkpoint signed by another key", func(h map[string]any) {
			text := strings.SplitN(h["checkpoint"].(string), "\n\n", 2)[0] + "\n"
			signer, err := translog.NewNoteSigner(h["origin"].(string), mustSuite(t), otherKey, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := note.Sign(&note.Note{Text: text}, signer)
			if err != nil {
				t.Fatal(err)
			}
			h["checkpoint"] = string(signed)
		}, translog.ErrBadSignature},
		{"consistency proof withheld", func(h map[string]any) { delete(h, "consistency") }, wallet.ErrLogTampered},
		{"consistency proof altered", func(h map[string]any) {
			con := h["consistency"].(map[string]any)
			proof := con["proof"].([]any)
			b, _ := decodeB64(proof[len(proof)-1].(string))
			b[5] ^= 1
			proof[len(proof)-1] = encodeB64(b)
		}, translog.ErrInconsistent},
		{"decoding differs from the leaf", func(h map[string]any) {
			en := entries(h)[len(entries(h))-1].(map[string]any)
			en["entry"].(map[string]any)["client_id"] = "rp-someone-else"
		}, wallet.ErrLogTampered},
		{"entry withheld without cause", func(h map[string]any) {
			en := entries(h)[2].(map[string]any)
			delete(en, "leaf")
			delete(en, "entry")
			en["withheld"] = true
			en["leaf_hash"] = encodeB64(make([]byte, 32))
		}, translog.ErrInclusion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proxy.set(tc.rewrite)
			defer proxy.set(nil)
			_, err := wallet.VerifyHistory(ctx, r.w, c, token, e.Clock.Now())
			if !errors.Is(err, wallet.ErrLogTampered) || !errors.Is(err, tc.want) {
				t.Fatalf("VerifyHistory = %v, want %v and %v", err, wallet.ErrLogTampered, tc.want)
			}
			if !strings.Contains(err.Error(), "operator dropped or rewrote entries") {
				t.Errorf("message %q does not say what happened", err)
			}
			if !bytes.Equal(walletJSON(), saved) {
				t.Error("a failed verification changed wallet.json")
			}
		})
	}
	report, err := wallet.VerifyHistory(ctx, r.w, c, token, e.Clock.Now())
	if err != nil {
		t.Fatalf("honest VerifyHistory after the lies: %v", err)
	}
	if report.Pinned || report.PreviousSize == 0 || report.New != 2 {
		t.Errorf("second report: pinned %v, previous %d, new %d; want not pinned, a previous checkpoint, 2 new entries",
			report.Pinned, report.PreviousSize, report.New)
	}
}

func mustSuite(t *testing.T) suite.Suite {
	s, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
func encodeB64(b []byte) string          { return base64.StdEncoding.EncodeToString(b) }
