package loadtest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/password"
)

// weakParams are enroltest's argon2id parameters: the Service verifies
// the seeded hash with them, without rehashing.
var weakParams = password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const seedPassword = "correct horse battery staple 7"

func weakHash(t testing.TB) string {
	t.Helper()
	h, err := password.NewHasher(weakParams, 1, password.AllowWeakParams())
	if err != nil {
		t.Fatal(err)
	}
	ph, err := h.Hash(context.Background(), seedPassword)
	if err != nil {
		t.Fatal(err)
	}
	return ph
}

// TestSeedMakesRealResidents: seeded residents log in with the password,
// their identity opens through the enrolment service, their anchors and
// numbers are unique across runs, and their certificates verify.
func TestSeedMakesRealResidents(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := enroltest.New(t, enroltest.WithEngine(engine))
			var numbers bytes.Buffer
			var progress []int
			cfg := SeedConfig{Count: 23, Batch: 5, Workers: 3, PasswordHash: weakHash(t), Certificates: true,
				CertBaseURL: "https://id.example.test", CertValidity: 24 * time.Hour, Numbers: &numbers,
				Progress: func(done int) { progress = append(progress, done) }}
			res, err := Seed(ctx, e.Suite, e.Keys, e.Store, cfg)
			if err != nil {
				t.Fatalf("Seed() error = %v", err)
			}
			if res.Count != 23 || len(progress) != 5 || progress[len(progress)-1] != 23 {
				t.Errorf("Seed() count %d, progress %v, want 23 in 5 batches", res.Count, progress)
			}
			// A second run adds residents: its anchors are its own.
			cfg.Count, cfg.Certificates, cfg.Progress = 4, false, nil
			if _, err := Seed(ctx, e.Suite, e.Keys, e.Store, cfg); err != nil {
				t.Fatalf("second Seed() error = %v", err)
			}
			lines := strings.Fields(numbers.String())
			if len(lines) != 27 {
				t.Fatalf("numbers written: %d, want 27", len(lines))
			}
			seen := map[string]bool{}
			roots, err := e.CA.CACertificates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range lines {
				if seen[n] {
					t.Fatalf("internet number %s written twice", n)
				}
				seen[n] = true
				if _, err := credential.ParseInternetNumber(n); err != nil {
					t.Errorf("line %d: %q is not an internet number: %v", i, n, err)
				}
				if i%6 != 0 && i != 26 {
					continue
				}
				acct, err := e.Service.AuthenticateResident(ctx, n, seedPassword, "192.0.2.7")
				if err != nil {
					t.Fatalf("AuthenticateResident(%s) error = %v", n, err)
				}
				id, err := e.Service.Identity(ctx, acct.ID)
				if err != nil {
					t.Fatalf("Identity(%s) error = %v", n, err)
				}
				if id.AnchorAuthority != SeedAnchorAuthority || !strings.HasPrefix(id.Name, "Seed Resident ") ||
					id.BirthDate.AgeOn(time.Now()) < 18 || id.Nationality != "CHN" {
					t.Errorf("Identity(%s) = %+v, want a synthetic adult", n, id)
				}
				if _, err := e.Service.AuthenticateResident(ctx, n, "wrong password!", "192.0.2.7"); err == nil {
					t.Errorf("AuthenticateResident(%s, wrong password) succeeded", n)
				}
				certs, err := e.Store.CertificatesFor(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				if i >= 23 {
					if len(certs) != 0 {
						t.Errorf("resident %d of the run without certificates has %d", i, len(certs))
					}
					continue
				}
				if len(certs) != 1 {
					t.Fatalf("CertificatesFor(%s) = %d certificates, want 1", n, len(certs))
				}
				cert, err := e.Suite.ParseCertificate(certs[0].DER)
				if err != nil {
					t.Fatal(err)
				}
				v, err := credential.VerifyCertificate(e.Suite, cert, roots, time.Now())
				if err != nil || string(v.InternetNumber) != n || len(v.Commitments) != 5 {
					t.Errorf("VerifyCertificate(%s) = %+v, %v, want it valid with 5 commitments", n, v, err)
				}
			}
		})
	}
}

// TestSeedRedrawsTakenNumbers: a number assigned already is drawn again,
// with the certificate issued again for the new number.
func TestSeedRedrawsTakenNumbers(t *testing.T) {
	ctx := context.Background()
	e := enroltest.New(t)
	cfg := SeedConfig{Count: 3, PasswordHash: weakHash(t), Certificates: true, CertBaseURL: "https://id.example.test",
		CertValidity: time.Hour, Now: time.Now}
	b := &builder{suite: e.Suite, keys: e.Keys, cfg: cfg, run: "TESTRUN", now: time.Now().UTC().Truncate(time.Microsecond)}
	var err error
	if b.ca, b.device, err = seedCA(e.Suite, e.Keys, e.Store, cfg); err != nil {
		t.Fatal(err)
	}
	batch, err := b.batch(ctx, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	taken := batch[1].Resident.InternetNumber
	if err := e.Store.PutInternetNumber(ctx, enrol.InternetNumberRecord{Number: taken, ResidentID: "someone", AssignedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	redrawn, err := b.write(ctx, e.Store, batch)
	if err != nil || redrawn != 1 {
		t.Fatalf("write() = %d, %v, want 1 redrawn", redrawn, err)
	}
	r, err := e.Store.Resident(ctx, batch[1].Resident.ID)
	if err != nil || r.InternetNumber == taken || r.InternetNumber != batch[1].Number.Number {
		t.Fatalf("Resident() = %+v, %v, want a new number", r, err)
	}
	certs, err := e.Store.CertificatesFor(ctx, r.InternetNumber)
	if err != nil || len(certs) != 1 {
		t.Fatalf("CertificatesFor(new number) = %v, %v, want one", certs, err)
	}
	cert, err := e.Suite.ParseCertificate(certs[0].DER)
	if err != nil || cert.Subject.CommonName != r.InternetNumber {
		t.Errorf("certificate subject %q, %v, want %s", cert.Subject.CommonName, err, r.InternetNumber)
	}
	if n, err := e.Store.InternetNumber(ctx, taken); err != nil || n.ResidentID != "someone" {
		t.Errorf("InternetNumber(taken) = %+v, %v, want the first holder's", n, err)
	}
}

func TestSeedConfigRefusals(t *testing.T) {
	for _, c := range []SeedConfig{
		{Count: 0, PasswordHash: "x"},
		{Count: 1},
		{Count: 1, PasswordHash: "x", Batch: MaxSeedBatch + 1},
		{Count: 1, PasswordHash: "x", Certificates: true},
	} {
		if err := c.check(); err == nil {
			t.Errorf("check(%+v) = nil, want an error", c)
		}
	}
}
