package wallet_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/wallet"
)

// goodPassword passes the password policy.
const goodPassword = "correct horse battery staple 42"

// testServer is a real netid enrolment API on httptest: an enrolment
// Service over real dependencies (enroltest.Env) mounted by
// httpapi.MountEnrolment, with the certificate routes and the /demo routes.
type testServer struct {
	*enroltest.Env
	t    *testing.T
	http *httptest.Server
	// card is the resident identity card the simulated authority knows.
	card wallet.AuthorityEvidence
	// demo stands in for the /demo routes of `netid serve --demo`.
	demo *fakeDemo
}

// newTestServer starts a test server of suite suiteName; opts change its
// enrolment Service (enroltest.WithConfig...).
func newTestServer(t *testing.T, suiteName string, opts ...enroltest.Option) *testServer {
	t.Helper()
	ts := &testServer{t: t, Env: enroltest.New(t, append([]enroltest.Option{enroltest.WithSuite(suiteName)}, opts...)...)}
	// The authority knows one resident identity card, of an adult.
	card := ts.RegisterIDCard("测试大人", ts.BirthForAge(40), "M", 1)
	ts.card = wallet.AuthorityEvidence{DocType: string(document.ResidentIDCard), Number: card.Number, Name: card.Name,
		BirthDate: card.Birth.String()}
	srv := httpapi.New(httpapi.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv.MountEnrolment(httpapi.EnrolmentAPI{Enrol: ts.Service, CA: ts.CA})
	srv.MountCertificates(ts.CA, 4096)
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

// passport issues a passport of a synthetic person aged age with portrait
// seed and returns it as the wallet's evidence.
func (s *testServer) passport(number string, age int, seed uint64) *wallet.Evidence {
	s.t.Helper()
	doc := s.Passport(number, age, seed)
	chip, err := json.Marshal(doc.Chip)
	if err != nil {
		s.t.Fatal(err)
	}
	return &wallet.Evidence{Chip: chip, PrintedMRZ: doc.PrintedMRZ}
}

// code is the test's SMS inbox as a CodeFunc.
func (s *testServer) code(_ context.Context, number string) (string, error) {
	return s.SMS.CodeTo(number), nil
}

// attest is the test's liveness detector as a LivenessFunc.
func (s *testServer) attest(_ context.Context, challenge string, img []byte) (string, error) {
	att, err := s.Attestation(img, challenge, 0.99)
	return string(att), err
}

// face returns a FaceFunc of a live capture of portrait seed.
func face(t *testing.T, seed uint64) wallet.FaceFunc {
	img := enroltest.LiveCapture(t, seed, 1)
	return func(context.Context) ([]byte, error) { return img, nil }
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
