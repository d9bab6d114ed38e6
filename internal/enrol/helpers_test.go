package enrol_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	mrand "math/rand/v2"
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
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/throttle"
)

// clock is a settable clock shared by every component of an env.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sms records the codes the phone verifier sends, by enrolment.
type sms struct {
	mu    sync.Mutex
	codes map[string]string
	to    map[string]string
}

func (s *sms) send(_ context.Context, m phone.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[m.BindingID] = m.Code
	s.to[m.BindingID] = m.To.E164()
	return nil
}

func (s *sms) code(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codes[id]
}

// env is a Service over real dependencies: a SQLite store in a temporary
// directory, a file key store, the envelope, the phone verifier with a
// capturing sender, an argon2id hasher with test parameters, the built-in
// face matcher with a development liveness signer, a TEST document issuer
// trusted through a trust directory, the simulated document authority and
// the real CA.
type env struct {
	t         testing.TB
	suite     suite.Suite
	suiteName string
	clock     *clock
	store     *sqlstore.Store
	keys      *keystore.Store
	envelope  *envelope.Envelope
	svc       *enrol.Service
	sms       *sms
	issuer    *testdoc.Issuer
	liveness  *biometric.LivenessSigner
	authority *document.SimulatedAuthority
	records   []document.AuthorityRecord
	extractor *biometric.AppearanceExtractor
	ca        *credential.CA
}

// testConfig has generous rate limits, so that tests that enrol many
// people from one address are not throttled unless they mean to be.
func testConfig() enrol.Config {
	return enrol.Config{
		StartPerAddress: throttle.Limit{Scope: "enrol-start", Max: 1000, Window: time.Hour},
		LoginPerAccount: throttle.Limit{Scope: "login-account", Max: 5, Window: 15 * time.Minute},
		LoginPerAddress: throttle.Limit{Scope: "login-address", Max: 1000, Window: 15 * time.Minute},
	}
}

// authorityPeople are the residents the simulated authority knows.
type authorityPerson struct {
	name   string
	birth  document.Date
	sex    string
	region string
}

func newEnv(t testing.TB, suiteName string, cfg enrol.Config) *env {
	t.Helper()
	return newEnvOn(t, "sqlite", suiteName, cfg)
}

// newEnvOn is newEnv on the named engine.
func newEnvOn(t testing.TB, engine, suiteName string, cfg enrol.Config) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := suite.New(suite.Name(suiteName))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	var st *sqlstore.Store
	switch engine {
	case "sqlite":
		st, err = sqlite.Open(ctx, sqlite.Config{Dir: filepath.Join(dir, "db")})
	case "postgres":
		st, err = postgres.Open(ctx, postgres.Config{URL: pgtest.New(t), MaxOpenConns: 8})
	default:
		t.Fatalf("unknown engine %q", engine)
	}
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
	env := &env{t: t, suite: s, suiteName: suiteName, clock: clk, store: st, keys: keys,
		sms: &sms{codes: map[string]string{}, to: map[string]string{}}}
	env.envelope = envelope.New(s, keys, st, envelope.WithClock(clk.Now))

	phoneKey := make([]byte, phone.MinKeyLen)
	if _, err := rand.Read(phoneKey); err != nil {
		t.Fatal(err)
	}
	verifier, err := phone.New(st, phone.SenderFunc(env.sms.send), phone.WithKey(phoneKey), phone.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, 4,
		password.AllowWeakParams())
	if err != nil {
		t.Fatal(err)
	}
	env.extractor = biometric.NewAppearanceExtractor()
	matcher, err := biometric.NewCosineMatcher(env.extractor, biometric.AppearanceThreshold)
	if err != nil {
		t.Fatal(err)
	}
	detectorKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env.liveness, err = biometric.NewLivenessSigner("test-detector", detectorKey)
	if err != nil {
		t.Fatal(err)
	}
	liveness, err := biometric.NewLivenessVerifier([]biometric.TrustedKey{env.liveness.TrustedKey()})
	if err != nil {
		t.Fatal(err)
	}

	env.issuer, err = testdoc.NewIssuer(suiteName, "CN")
	if err != nil {
		t.Fatal(err)
	}
	trustDir := filepath.Join(dir, "trust")
	if err := env.issuer.WriteTrust(trustDir); err != nil {
		t.Fatal(err)
	}
	trust, err := emrtd.LoadTrustDir(trustDir, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	env.resetAuthority(nil)

	env.ca, err = credential.NewCA(s, keys, st, credential.Config{BaseURL: "https://id.example.test"}, credential.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	env.svc, err = enrol.New(enrol.Deps{
		Store: st, Keys: keys, Envelope: env.envelope, Phone: verifier, Hasher: hasher,
		Policy: password.DefaultPolicy(), Matcher: matcher, Extractor: env.extractor, Liveness: liveness,
		Trust: trust, Authority: authorityFunc(env.verifyAuthority), Issuer: env.ca, Throttle: st,
	}, cfg, enrol.WithClock(clk.Now), enrol.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// authorityFunc adapts a function to document.Authority, so that the env
// can add records to its simulated authority after the Service is built.
type authorityFunc func(ctx context.Context, q document.AuthorityQuery) (document.AuthorityResult, error)

func (f authorityFunc) Verify(ctx context.Context, q document.AuthorityQuery) (document.AuthorityResult, error) {
	return f(ctx, q)
}

func (e *env) verifyAuthority(ctx context.Context, q document.AuthorityQuery) (document.AuthorityResult, error) {
	return e.authority.Verify(ctx, q)
}

// resetAuthority rebuilds the simulated authority with recs added.
func (e *env) resetAuthority(recs []document.AuthorityRecord) {
	e.t.Helper()
	e.records = append(e.records, recs...)
	a, err := document.NewSimulatedAuthority(&document.AuthorityRecords{Authority: "sim-mps", Records: e.records},
		document.WithSimulatedClock(e.clock.Now))
	if err != nil {
		e.t.Fatal(err)
	}
	e.authority = a
}

// idCard registers a valid resident ID card with the authority and returns
// the evidence a resident would type.
func (e *env) idCard(name string, birth document.Date, sex string, seq int) *enrol.AuthorityEvidence {
	e.t.Helper()
	num, err := testdoc.ResidentIDNumber("110105", birth, sex, seq)
	if err != nil {
		e.t.Fatal(err)
	}
	e.resetAuthority([]document.AuthorityRecord{{DocType: document.ResidentIDCard, Number: num, Name: name,
		BirthDate: birth, Sex: sex, Status: document.StatusValid}})
	return &enrol.AuthorityEvidence{DocType: document.ResidentIDCard, Number: num, Name: name, BirthDate: birth}
}

// birthForAge returns a birth date that makes a person age years old on
// the env's day.
func (e *env) birthForAge(age int) document.Date {
	d := document.NewDate(e.clock.Now())
	d.Year -= age
	if d.Month == time.February && d.Day == 29 {
		d.Day = 28
	}
	return d
}

// passport issues a passport of a synthetic person aged age with portrait
// seed, and returns its chip evidence and its portrait seed.
func (e *env) passport(number string, age int, seed uint64, opts ...testdoc.ChipOption) (*enrol.ChipEvidence, *testdoc.Document) {
	e.t.Helper()
	portrait, err := testdoc.Portrait(seed)
	if err != nil {
		e.t.Fatal(err)
	}
	spec := testdoc.DocumentSpec{
		Person: testdoc.Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "TEST " + letters(number),
			BirthDate: e.birthForAge(age), Sex: "F"},
		DocumentNumber: number,
		Expiry:         document.NewDate(e.clock.Now().AddDate(5, 0, 0)),
	}
	doc, err := e.issuer.Issue(spec, portrait, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return &enrol.ChipEvidence{Dump: doc.Chip, PrintedMRZ: doc.PrintedMRZ}, doc
}

// liveCapture is a selfie of the person of portrait seed: the portrait
// redrawn brighter, with sensor noise, re-encoded as a phone would.
func liveCapture(t testing.TB, seed, variant uint64) []byte {
	t.Helper()
	src := testdoc.PortraitImage(seed)
	b := src.Bounds()
	out := image.NewRGBA(b)
	rng := mrand.New(mrand.NewPCG(seed, variant))
	shift := int(variant%7) + 6
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.RGBAAt(x, y)
			n := rng.IntN(9) - 4
			out.SetRGBA(x, y, color.RGBA{clampByte(int(c.R) + shift + n), clampByte(int(c.G) + shift + n),
				clampByte(int(c.B) + shift + n), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// letters spells a document number in letters (0 is A, 1 is B...), for
// a distinct Latin given name per synthetic person.
func letters(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = 'A' + c - '0'
		}
	}
	return string(b)
}

func clampByte(v int) uint8 { return uint8(max(0, min(255, v))) }

// attest makes the capture of image for challenge, attested live (score
// 0.99) or not (score 0.1) by the development detector.
func (e *env) attest(img []byte, challenge string, score float64) biometric.Capture {
	e.t.Helper()
	c := biometric.Capture{Image: img, Format: biometric.FormatJPEG}
	att, err := e.liveness.Attest(biometric.LivenessStatement{Challenge: challenge, Capture: c, Score: score,
		Threshold: 0.5, IssuedAt: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	c.Liveness = att
	return c
}

// wallet is the resident's side of one enrolment.
type wallet struct {
	e       *env
	started enrol.Started
	device  crypto.Signer
}

func (e *env) wallet(st enrol.Started) *wallet {
	e.t.Helper()
	key, err := e.suite.GenerateSigner(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	return &wallet{e: e, started: st, device: key}
}

func (w *wallet) id() string    { return w.started.ID }
func (w *wallet) token() string { return w.started.Token }

// phone sends a code to number and verifies it.
func (w *wallet) phone(number string) error {
	ctx := context.Background()
	if _, err := w.e.svc.SendPhoneCode(ctx, w.id(), w.token(), number); err != nil {
		return err
	}
	return w.e.svc.VerifyPhone(ctx, w.id(), w.token(), number, w.e.sms.code(w.id()))
}

// face takes a challenge and submits a live capture of portrait seed.
func (w *wallet) face(seed uint64, keep bool) (enrol.FaceResult, error) {
	ctx := context.Background()
	ch, err := w.e.svc.FaceChallenge(ctx, w.id(), w.token())
	if err != nil {
		return enrol.FaceResult{}, err
	}
	return w.e.svc.SubmitFace(ctx, w.id(), w.token(), w.e.attest(liveCapture(w.e.t, seed, 1), ch, 0.99), keep)
}

// csr is the wallet's certification request for its device key.
func (w *wallet) csr() []byte {
	w.e.t.Helper()
	der, err := credential.CreateCSR(rand.Reader, w.device, w.started.CSRNonce)
	if err != nil {
		w.e.t.Fatal(err)
	}
	return der
}

// complete runs the steps after Start: phone (skipped when number is ""),
// face, password, completion.
func (w *wallet) complete(number string, seed uint64, keep bool, pw string) (enrol.Completed, error) {
	ctx := context.Background()
	var err error
	if number == "" {
		err = w.e.svc.SkipPhone(ctx, w.id(), w.token())
	} else {
		err = w.phone(number)
	}
	if err != nil {
		return enrol.Completed{}, err
	}
	if _, err := w.face(seed, keep); err != nil {
		return enrol.Completed{}, err
	}
	if err := w.e.svc.SetPassword(ctx, w.id(), w.token(), pw); err != nil {
		return enrol.Completed{}, err
	}
	return w.e.svc.Complete(ctx, w.id(), w.token(), w.csr())
}

// startChip starts a self-service enrolment with a chip.
func (e *env) startChip(ev *enrol.ChipEvidence, g *enrol.GuardianApplication) (enrol.Started, error) {
	return e.svc.Start(context.Background(), enrol.StartRequest{Evidence: enrol.Evidence{Chip: ev}, Guardian: g, ClientAddr: "192.0.2.1"})
}

// startAuthority starts a self-service enrolment with a resident ID card.
func (e *env) startAuthority(ev *enrol.AuthorityEvidence, g *enrol.GuardianApplication) (enrol.Started, error) {
	return e.svc.Start(context.Background(), enrol.StartRequest{Evidence: enrol.Evidence{Authority: ev}, Guardian: g, ClientAddr: "192.0.2.1"})
}

// enrolAdult enrols an adult with a passport and returns what Complete
// returned.
func (e *env) enrolAdult(number string, seed uint64, phoneNumber, pw string) enrol.Completed {
	e.t.Helper()
	ev, _ := e.passport(number, 35, seed)
	st, err := e.startChip(ev, nil)
	if err != nil {
		e.t.Fatalf("Start(adult %s) error = %v", number, err)
	}
	done, err := e.wallet(st).complete(phoneNumber, seed, false, pw)
	if err != nil {
		e.t.Fatalf("enrol adult %s: %v", number, err)
	}
	return done
}
