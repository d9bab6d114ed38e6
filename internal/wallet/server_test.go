package wallet_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/throttle"
	"github.com/netid/netid/internal/wallet"
)

// goodPassword passes the password policy.
const goodPassword = "correct horse battery staple 42"

// testClock is a settable clock shared by every component of a server.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// smsBox records the codes the phone verifier sends, by number (E.164),
// and counts the sends.
type smsBox struct {
	mu    sync.Mutex
	codes map[string]string
	sends int
}

func (s *smsBox) send(_ context.Context, m phone.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[m.To.E164()] = m.Code
	s.sends++
	return nil
}

func (s *smsBox) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends
}

// testServer is a real netid enrolment API on httptest: SQLite in a
// temporary directory, a file key store, the envelope, the phone verifier
// with a capturing sender, an argon2id hasher with test parameters, the
// built-in face matcher with a development liveness signer, a TEST
// document issuer trusted through a trust directory, the simulated
// document authority and the real CA, mounted by httpapi.MountEnrolment.
type testServer struct {
	t         *testing.T
	suiteName string
	clock     *testClock
	sms       *smsBox
	issuer    *testdoc.Issuer
	liveness  *biometric.LivenessSigner
	authority *document.SimulatedAuthority
	svc       *enrol.Service
	http      *httptest.Server
	// card is the resident identity card the simulated authority knows.
	card wallet.AuthorityEvidence
	// demo stands in for the /demo routes of `netid serve --demo`.
	demo *fakeDemo
}

func newTestServer(t *testing.T, suiteName string) *testServer {
	t.Helper()
	return newTestServerWith(t, suiteName, nil)
}

// newTestServerWith is newTestServer with the enrolment configuration
// changed by configure, when not nil.
func newTestServerWith(t *testing.T, suiteName string, configure func(*enrol.Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := suite.New(suite.Name(suiteName))
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	st, err := sqlite.Open(ctx, sqlite.Config{Dir: filepath.Join(dir, "db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := keystore.OpenDir(filepath.Join(dir, "keys"), s, keystore.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, suiteName: suiteName, clock: clk, sms: &smsBox{codes: map[string]string{}}}
	env := envelope.New(s, keys, st, envelope.WithClock(clk.Now))
	phoneKey := make([]byte, phone.MinKeyLen)
	if _, err := rand.Read(phoneKey); err != nil {
		t.Fatal(err)
	}
	verifier, err := phone.New(st, phone.SenderFunc(ts.sms.send), phone.WithKey(phoneKey), phone.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, 4,
		password.AllowWeakParams())
	if err != nil {
		t.Fatal(err)
	}
	extractor := biometric.NewAppearanceExtractor()
	matcher, err := biometric.NewCosineMatcher(extractor, biometric.AppearanceThreshold)
	if err != nil {
		t.Fatal(err)
	}
	detectorKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if ts.liveness, err = biometric.NewLivenessSigner("test-detector", detectorKey); err != nil {
		t.Fatal(err)
	}
	liveness, err := biometric.NewLivenessVerifier([]biometric.TrustedKey{ts.liveness.TrustedKey()})
	if err != nil {
		t.Fatal(err)
	}
	if ts.issuer, err = testdoc.NewIssuer(suiteName, "CN"); err != nil {
		t.Fatal(err)
	}
	trustDir := filepath.Join(dir, "trust")
	if err := ts.issuer.WriteTrust(trustDir); err != nil {
		t.Fatal(err)
	}
	trust, err := emrtd.LoadTrustDir(trustDir, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The authority knows one resident identity card, of an adult.
	ts.card = wallet.AuthorityEvidence{DocType: string(document.ResidentIDCard), Name: "测试大人"}
	birth := ts.birthForAge(40)
	ts.card.BirthDate = birth.String()
	if ts.card.Number, err = testdoc.ResidentIDNumber("110105", birth, "M", 1); err != nil {
		t.Fatal(err)
	}
	ts.authority, err = document.NewSimulatedAuthority(&document.AuthorityRecords{Authority: "sim-mps",
		Records: []document.AuthorityRecord{{DocType: document.ResidentIDCard, Number: ts.card.Number, Name: ts.card.Name,
			BirthDate: birth, Sex: "M", Status: document.StatusValid}}},
		document.WithSimulatedClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := credential.NewCA(s, keys, st, credential.Config{BaseURL: "https://id.example.test"}, credential.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := enrol.Config{
		StartPerAddress: throttle.Limit{Scope: "enrol-start", Max: 1000, Window: time.Hour},
		LoginPerAccount: throttle.Limit{Scope: "login-account", Max: 5, Window: 15 * time.Minute},
		LoginPerAddress: throttle.Limit{Scope: "login-address", Max: 1000, Window: 15 * time.Minute},
	}
	if configure != nil {
		configure(&cfg)
	}
	ts.svc, err = enrol.New(enrol.Deps{
		Store: st, Keys: keys, Envelope: env, Phone: verifier, Hasher: hasher,
		Policy: password.DefaultPolicy(), Matcher: matcher, Extractor: extractor, Liveness: liveness,
		Trust: trust, Authority: ts.authority, Issuer: ca, Throttle: st,
	}, cfg, enrol.WithClock(clk.Now), enrol.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.DefaultConfig(), log)
	srv.MountEnrolment(httpapi.EnrolmentAPI{Enrol: ts.svc, CA: ca})
	srv.MountCertificates(ca, 4096)
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	ts.demo = &fakeDemo{ts: ts, docs: map[string]fakeDemoDoc{}}
	mux.Handle("/demo", ts.demo)
	mux.Handle("/demo/", ts.demo)
	ts.http = httptest.NewServer(mux)
	t.Cleanup(ts.http.Close)
	return ts
}

// client returns a wallet client of the server.
func (s *testServer) client() *wallet.Client {
	s.t.Helper()
	c, err := wallet.NewClient(s.http.URL, wallet.WithHTTPClient(s.http.Client()))
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// birthForAge returns a birth date that makes a person age years old on
// the server's day.
func (s *testServer) birthForAge(age int) document.Date {
	d := document.NewDate(s.clock.Now())
	d.Year -= age
	if d.Month == time.February && d.Day == 29 {
		d.Day = 28
	}
	return d
}

// passport issues a passport of a synthetic person aged age with portrait
// seed and returns it as the wallet's evidence.
func (s *testServer) passport(number string, age int, seed uint64) *wallet.Evidence {
	s.t.Helper()
	portrait, err := testdoc.Portrait(seed)
	if err != nil {
		s.t.Fatal(err)
	}
	doc, err := s.issuer.Issue(testdoc.DocumentSpec{
		Person: testdoc.Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "WALLET " + letters(number),
			BirthDate: s.birthForAge(age), Sex: "F"},
		DocumentNumber: number,
		Expiry:         document.NewDate(s.clock.Now().AddDate(5, 0, 0)),
	}, portrait)
	if err != nil {
		s.t.Fatal(err)
	}
	chip, err := json.Marshal(doc.Chip)
	if err != nil {
		s.t.Fatal(err)
	}
	return &wallet.Evidence{Chip: chip, PrintedMRZ: doc.PrintedMRZ}
}

// letters spells a document number in letters, for a distinct given name
// per synthetic person.
func letters(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = 'A' + c - '0'
		}
	}
	return string(b)
}

// code is the test's SMS inbox as a CodeFunc.
func (s *testServer) code(_ context.Context, number string) (string, error) {
	s.sms.mu.Lock()
	defer s.sms.mu.Unlock()
	return s.sms.codes[number], nil
}

// attest is the test's liveness detector as a LivenessFunc.
func (s *testServer) attest(_ context.Context, challenge string, img []byte) (string, error) {
	att, err := s.liveness.Attest(biometric.LivenessStatement{Challenge: challenge,
		Capture: biometric.Capture{Image: img, Format: biometric.FormatJPEG}, Score: 0.99, Threshold: 0.5,
		IssuedAt: s.clock.Now()})
	return string(att), err
}

// face returns a FaceFunc of a live capture of portrait seed.
func face(t *testing.T, seed uint64) wallet.FaceFunc {
	img := liveCapture(t, seed, 1)
	return func(context.Context) ([]byte, error) { return img, nil }
}

// liveCapture is a selfie of the person of portrait seed: the portrait
// redrawn brighter, with sensor noise, re-encoded as a phone would.
func liveCapture(t *testing.T, seed, variant uint64) []byte {
	t.Helper()
	src := testdoc.PortraitImage(seed)
	b := src.Bounds()
	out := image.NewRGBA(b)
	rng := mrand.New(mrand.NewPCG(seed, variant))
	shift := int(variant%7) + 6
	clamp := func(v int) uint8 { return uint8(max(0, min(255, v))) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.RGBAAt(x, y)
			n := rng.IntN(9) - 4
			out.SetRGBA(x, y, color.RGBA{clamp(int(c.R) + shift + n), clamp(int(c.G) + shift + n), clamp(int(c.B) + shift + n), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newWallet creates a wallet of suite name in a temporary directory.
func newWallet(t *testing.T, name suite.Name) *wallet.Wallet {
	t.Helper()
	w, err := wallet.Create(filepath.Join(t.TempDir(), "w"), name, "", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// options returns the options of an adult's enrolment with passport
// number at portrait seed and phone number.
func (s *testServer) options(number string, seed uint64, phoneNumber string) wallet.EnrolOptions {
	return wallet.EnrolOptions{
		Evidence: s.passport(number, 35, seed),
		Phone:    phoneNumber,
		Code:     s.code,
		Face:     face(s.t, seed),
		Liveness: s.attest,
		Password: goodPassword,
	}
}

// enrolAdult enrols an adult in a new wallet and returns both.
func (s *testServer) enrolAdult(name suite.Name, number string, seed uint64, phoneNumber string) (*wallet.Wallet, *wallet.Account) {
	s.t.Helper()
	w := newWallet(s.t, name)
	acct, err := wallet.Enrol(context.Background(), w, s.client(), s.options(number, seed, phoneNumber))
	if err != nil {
		s.t.Fatalf("Enrol(adult %s) error = %v", number, err)
	}
	return w, acct
}
