package credential_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

const testClientID = "rp-0123456789abcdef0123456789abcdef"

var testChallenge = []byte("challenge-0123456789")

// presentationCase is an issued certificate with its device key and
// openings, ready to present.
type presentationCase struct {
	f        *fixture
	device   crypto.Signer
	issued   *credential.Issued
	openings []credential.Opening
}

func newPresentationCase(t testing.TB, n suite.Name, device crypto.Signer) *presentationCase {
	t.Helper()
	f := newFixture(t, n)
	issued, openings := f.enrol(t, device, testNumber(t), []credential.Attribute{
		{Name: "birthdate", Value: "1990-04-01"}, {Name: "name", Value: "李华"},
	})
	return &presentationCase{f: f, device: device, issued: issued, openings: openings}
}

func (c *presentationCase) present(t testing.TB, clientID string, challenge []byte, openings []credential.Opening, at time.Time) string {
	t.Helper()
	text, err := credential.CreatePresentation(nil, c.device, c.issued.DER, clientID, challenge, openings, at)
	if err != nil {
		t.Fatalf("CreatePresentation() error = %v", err)
	}
	return text
}

func (c *presentationCase) expect() credential.PresentationExpectation {
	return credential.PresentationExpectation{ClientID: testClientID, Challenge: testChallenge, Now: c.f.clock.now()}
}

func TestPresentationAccepted(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		for name, device := range deviceKeys(t, n) {
			t.Run(name, func(t *testing.T) {
				c := newPresentationCase(t, n, device)
				now := c.f.clock.now()
				text := c.present(t, testClientID, testChallenge, c.openings[:1], now)
				if !strings.HasPrefix(text, credential.PresentationPrefix) {
					t.Fatalf("presentation %q does not start with %q", text[:10], credential.PresentationPrefix)
				}
				t.Logf("%s/%s presentation: %d characters", n, name, len(text))
				crl, err := c.f.ca.CRL(context.Background(), "")
				if err != nil {
					t.Fatal(err)
				}
				list, err := credential.VerifyCRL(c.f.suite, crl.DER, c.f.roots(t)[0], now)
				if err != nil {
					t.Fatal(err)
				}
				got, err := credential.VerifyPresentation(c.f.suite, text, c.f.roots(t), c.expect(), list)
				if err != nil {
					t.Fatalf("VerifyPresentation() error = %v", err)
				}
				if got.Certificate.Serial.Cmp(c.issued.Certificate.SerialNumber) != 0 || got.ClientID != testClientID {
					t.Errorf("VerifyPresentation() serial %v, client %q; want %v, %q", got.Certificate.Serial, got.ClientID, c.issued.Certificate.SerialNumber, testClientID)
				}
				if len(got.Disclosed) != 1 || got.Disclosed[0].Attribute != "birthdate" || got.Disclosed[0].Value != "1990-04-01" {
					t.Errorf("VerifyPresentation().Disclosed = %+v, want birthdate 1990-04-01", got.Disclosed)
				}
				if !got.ExpiresAt.Equal(now.Add(credential.MaxPresentationLifetime)) {
					t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, now.Add(credential.MaxPresentationLifetime))
				}
				// Every presentation differs, even for the same challenge
				// and time: the signature is randomised (and QR codes with it).
				if again := c.present(t, testClientID, testChallenge, c.openings[:1], now); again == text {
					t.Errorf("two presentations are identical")
				}
			})
		}
	})
}

func TestPresentationRefusals(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		for name, device := range deviceKeys(t, n) {
			t.Run(name, func(t *testing.T) {
				c := newPresentationCase(t, n, device)
				now := c.f.clock.now()
				good := c.present(t, testClientID, testChallenge, nil, now)
				altered := append([]credential.Opening(nil), c.openings[0])
				altered[0].Value = "1990-04-02"
				otherKey := newP256(t)
				tests := []struct {
					name string
					text string
					mod  func(*credential.PresentationExpectation)
					want error
				}{
					{"wrong client id", good, func(e *credential.PresentationExpectation) { e.ClientID = "rp-other" }, credential.ErrPresentationAudience},
					{"wrong challenge", good, func(e *credential.PresentationExpectation) { e.Challenge = []byte("challenge-0123456780") }, credential.ErrPresentationChallenge},
					{"expired", good, func(e *credential.PresentationExpectation) {
						e.Now = now.Add(credential.MaxPresentationLifetime + credential.PresentationClockSkew + time.Second)
					}, credential.ErrPresentationExpired},
					{"from the future", good, func(e *credential.PresentationExpectation) {
						e.Now = now.Add(-credential.PresentationClockSkew - time.Second)
					}, credential.ErrPresentationNotYetValid},
					{"tampered signature", tamperSignature(t, good), nil, credential.ErrPresentationSignature},
					{"signed by another key", func() string {
						text, err := credential.CreatePresentation(nil, otherKey, c.issued.DER, testClientID, testChallenge, nil, now)
						if err != nil {
							t.Fatal(err)
						}
						return text
					}(), nil, credential.ErrPresentationSignature},
					{"disclosed opening altered", c.present(t, testClientID, testChallenge, altered, now), nil, credential.ErrDisclosure},
					{"certificate expired", good, func(e *credential.PresentationExpectation) {
						e.Now = c.issued.Certificate.NotAfter.Add(time.Hour)
					}, credential.ErrCertificateInvalid},
					{"not a presentation", "NETID2:AAAA", nil, credential.ErrPresentation},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						want := c.expect()
						if tt.mod != nil {
							tt.mod(&want)
						}
						_, err := credential.VerifyPresentation(c.f.suite, tt.text, c.f.roots(t), want, nil)
						if !errors.Is(err, tt.want) {
							t.Errorf("VerifyPresentation() error = %v, want %v", err, tt.want)
						}
					})
				}
			})
		}
	})
}

func TestPresentationRevoked(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		ctx := context.Background()
		c := newPresentationCase(t, n, newP256(t))
		now := c.f.clock.now()
		text := c.present(t, testClientID, testChallenge, nil, now)
		if err := c.f.ca.Revoke(ctx, c.issued.Certificate.SerialNumber, credential.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		crl, err := c.f.ca.CRL(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		list, err := credential.VerifyCRL(c.f.suite, crl.DER, c.f.roots(t)[0], now)
		if err != nil {
			t.Fatal(err)
		}
		_, err = credential.VerifyPresentation(c.f.suite, text, c.f.roots(t), c.expect(), list)
		var re *credential.RevokedError
		if !errors.Is(err, credential.ErrRevoked) || !errors.As(err, &re) || re.Entry.Reason != credential.ReasonKeyCompromise {
			t.Fatalf("VerifyPresentation(revoked) error = %v, want a RevokedError for keyCompromise", err)
		}
		// Without a CRL the offline check cannot know.
		if _, err := credential.VerifyPresentation(c.f.suite, text, c.f.roots(t), c.expect(), nil); err != nil {
			t.Errorf("VerifyPresentation(no CRL) error = %v, want nil", err)
		}
		// A CRL of another CA does not count as "not revoked".
		other := *list
		other.CAKeyID = "another"
		if _, err := credential.VerifyPresentation(c.f.suite, text, c.f.roots(t), c.expect(), &other); !errors.Is(err, credential.ErrCRL) {
			t.Errorf("VerifyPresentation(other CA's CRL) error = %v, want ErrCRL", err)
		}
	})
}

func TestCreatePresentationRefusals(t *testing.T) {
	c := newPresentationCase(t, suite.Intl, newP256(t))
	now := c.f.clock.now()
	tests := []struct {
		name      string
		clientID  string
		challenge []byte
	}{
		{"no client id", "", testChallenge},
		{"short challenge", testClientID, []byte("short")},
		{"long challenge", testClientID, make([]byte, credential.MaxChallenge+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := credential.CreatePresentation(nil, c.device, c.issued.DER, tt.clientID, tt.challenge, nil, now)
			if !errors.Is(err, credential.ErrPresentation) {
				t.Errorf("CreatePresentation() error = %v, want ErrPresentation", err)
			}
		})
	}
}

// tamperSignature flips a bit in the last byte of the signature.
func tamperSignature(t testing.TB, text string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(text, credential.PresentationPrefix))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	return credential.PresentationPrefix + base64.RawURLEncoding.EncodeToString(raw)
}

func FuzzParsePresentation(f *testing.F) {
	c := newPresentationCase(f, suite.Intl, newP256(f))
	good := c.present(f, testClientID, testChallenge, c.openings, c.f.clock.now())
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(credential.PresentationPrefix)
	f.Add(credential.PresentationPrefix + "AQ")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := credential.ParsePresentation(text)
		if err != nil {
			if !errors.Is(err, credential.ErrPresentation) {
				t.Fatalf("ParsePresentation() error = %v, want ErrPresentation", err)
			}
			return
		}
		if len(p.Challenge) < credential.MinChallenge || p.ClientID == "" || len(p.Signature) == 0 {
			t.Fatalf("ParsePresentation() accepted out-of-bounds %+v", p)
		}
	})
}

func BenchmarkVerifyPresentation(b *testing.B) {
	c := newPresentationCase(b, suite.Intl, newP256(b))
	text := c.present(b, testClientID, testChallenge, c.openings[:1], c.f.clock.now())
	roots := c.f.roots(b)
	want := c.expect()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := credential.VerifyPresentation(c.f.suite, text, roots, want, nil); err != nil {
			b.Fatal(err)
		}
	}
}
