package credential_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
)

// clock is a settable test clock shared by the key store and the CA.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is one netid node: a key store, a SQLite store and a CA.
type fixture struct {
	suite suite.Suite
	keys  *keystore.Store
	st    *sqlstore.Store
	clock *clock
	ca    *credential.CA
}

const testBaseURL = "https://id.example.org"

func mustSuite(t testing.TB, n suite.Name) suite.Suite {
	t.Helper()
	s, err := suite.New(n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newFixture bootstraps a key store and opens a migrated SQLite store, both
// in temporary directories.
func newFixture(t testing.TB, n suite.Name) *fixture {
	t.Helper()
	ctx := context.Background()
	s := mustSuite(t, n)
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	keys, err := keystore.OpenDir(filepath.Join(t.TempDir(), "keys"), s, keystore.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{suite: s, keys: keys, st: st, clock: c}
	f.ca = f.node(t)
	return f
}

// node returns another CA over the fixture's stores: a second netid node.
func (f *fixture) node(t testing.TB, opts ...credential.Option) *credential.CA {
	t.Helper()
	ca, err := credential.NewCA(f.suite, f.keys, f.st, credential.Config{BaseURL: testBaseURL},
		append([]credential.Option{credential.WithClock(f.clock.now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// roots parses GET /ca.pem as a relying party would.
func (f *fixture) roots(t testing.TB) []*x509.Certificate {
	t.Helper()
	data, err := f.ca.CACertificatesPEM(context.Background())
	if err != nil {
		t.Fatalf("CACertificatesPEM() error = %v", err)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		c, err := f.suite.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parse CA certificate: %v", err)
		}
		out = append(out, c)
	}
	if len(data) != 0 {
		t.Fatalf("CACertificatesPEM() has %d trailing bytes", len(data))
	}
	return out
}

// activeCA returns the active CA key id.
func (f *fixture) activeCA(t testing.TB) string {
	t.Helper()
	m, _, err := f.keys.ActiveSigner(keystore.CA)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// deviceKeys returns the device key types the suite certifies, by name.
func deviceKeys(t testing.TB, n suite.Name) map[string]crypto.Signer {
	t.Helper()
	out := map[string]crypto.Signer{"p256": newP256(t)}
	if n == suite.SM {
		k, err := mustSuite(t, suite.SM).GenerateSigner(nil)
		if err != nil {
			t.Fatal(err)
		}
		out["sm2"] = k
	}
	return out
}

func newP256(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const testNonce = "enrolment-nonce-0123456789abcdef"

// testNumber is a valid internet number.
func testNumber(t testing.TB) credential.InternetNumber {
	t.Helper()
	n, err := credential.NewInternetNumber(nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// enrol runs the wallet side and the CA side of an enrolment: a CSR for
// device carrying the nonce, parsed and issued with commitments to attrs.
func (f *fixture) enrol(t testing.TB, device crypto.Signer, number credential.InternetNumber, attrs []credential.Attribute) (*credential.Issued, []credential.Opening) {
	t.Helper()
	ctx := context.Background()
	der, err := credential.CreateCSR(nil, device, testNonce)
	if err != nil {
		t.Fatalf("CreateCSR() error = %v", err)
	}
	csr, err := credential.ParseCSR(f.suite, der, testNonce)
	if err != nil {
		t.Fatalf("ParseCSR() error = %v", err)
	}
	cs, openings, err := credential.Commit(f.suite, nil, attrs)
	if err != nil {
		t.Fatalf("Commit() error = %v", err)
	}
	issued, err := f.ca.Issue(ctx, credential.IssueRequest{InternetNumber: number, DevicePublicKey: csr.PublicKey, Commitments: cs})
	if err != nil {
		t.Fatalf("Issue() error = %v", err)
	}
	return issued, openings
}

// forEachSuite runs fn as a subtest per suite.
func forEachSuite(t *testing.T, fn func(t *testing.T, n suite.Name)) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) { fn(t, n) })
	}
}
