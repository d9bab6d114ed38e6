package httpapi

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/rp"
)

// testSubjects is a pairwise-subject function: an HMAC of sector and
// number, as oidc.Provider computes with its own key.
type testSubjects struct{}

func (testSubjects) PairwiseSubject(_ context.Context, sector, number string) (string, error) {
	m := hmac.New(sha256.New, []byte("test pairwise key"))
	m.Write([]byte(sector + "\x00" + number))
	return hex.EncodeToString(m.Sum(nil)), nil
}

type presEnv struct {
	*enroltest.Env
	http     *httptest.Server
	rps      *rp.Service
	party    rp.RP
	secret   string
	device   crypto.Signer
	issued   *credential.Issued
	openings []credential.Opening
}

func newPresEnv(t *testing.T, suiteName string, device func(*enroltest.Env) crypto.Signer) *presEnv {
	t.Helper()
	ctx := context.Background()
	e := &presEnv{Env: enroltest.New(t, enroltest.WithSuite(suiteName))}
	e.rps = rp.NewService(e.Store)
	var err error
	e.party, e.secret, err = e.rps.Create(ctx, rp.Registration{Name: "Shop", Sector: "shop.example",
		RedirectURIs: []string{"https://shop.example/cb"}, MinAssurance: enrol.AssuranceSubstantial})
	if err != nil {
		t.Fatalf("rp Create() error = %v", err)
	}
	e.device = device(e.Env)
	number, err := credential.NewInternetNumber(nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, openings, err := credential.Commit(e.Suite, nil, []credential.Attribute{{Name: "birthdate", Value: "1990-04-01"}})
	if err != nil {
		t.Fatal(err)
	}
	e.openings = openings
	// The CA records the issuance in the holder's transparency log, so the
	// number needs a holder.
	now := e.Clock.Now().UTC().Truncate(time.Microsecond)
	err = e.Store.CreateResident(ctx, enrol.ResidentRecord{ID: "res-presentation", InternetNumber: string(number),
		Status: enrol.StatusActive, Pathway: enrol.PathwayChip, Ceiling: enrol.AssuranceSubstantial,
		CreatedAt: now, UpdatedAt: now, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.issued, err = e.CA.Issue(ctx, credential.IssueRequest{InternetNumber: number, DevicePublicKey: e.device.Public(), Commitments: cs})
	if err != nil {
		t.Fatalf("Issue() error = %v", err)
	}
	srv := New(DefaultConfig(), slog.New(slog.DiscardHandler))
	srv.MountPresentations(PresentationAPI{Suite: e.Suite, CA: e.CA, Certificates: e.Store, RPs: e.rps,
		Subjects: testSubjects{}, Now: e.Clock.Now})
	e.http = httptest.NewServer(srv)
	t.Cleanup(e.http.Close)
	return e
}

func (e *presEnv) present(t *testing.T, clientID, challenge string, openings []credential.Opening) string {
	t.Helper()
	text, err := credential.CreatePresentation(nil, e.device, e.issued.DER, clientID, []byte(challenge), openings, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func (e *presEnv) verify(t *testing.T, user, secret, presentation, challenge string) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(presentationRequest{Presentation: presentation, Challenge: challenge})
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/v1/presentations/verify", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if docLookup(openAPIDoc(t), "paths", "/v1/presentations/verify", "post", "responses", itoa(int64(res.StatusCode))) == nil {
		t.Errorf("POST /v1/presentations/verify answered %d, which openapi.json does not list for it", res.StatusCode)
	}
	return res.StatusCode, b
}

const presChallenge = "challenge-of-the-shop-0123"

func TestPresentationAPI(t *testing.T) {
	devices := []struct {
		suite, name string
		key         func(*enroltest.Env) crypto.Signer
	}{
		{"intl", "p256", p256Key},
		{"sm", "p256", p256Key},
		{"sm", "sm2", func(e *enroltest.Env) crypto.Signer {
			k, err := e.Suite.GenerateSigner(nil)
			if err != nil {
				e.T.Fatal(err)
			}
			return k
		}},
	}
	for _, d := range devices {
		t.Run(d.suite+"/"+d.name, func(t *testing.T) {
			e := newPresEnv(t, d.suite, d.key)
			good := e.present(t, e.party.ClientID, presChallenge, e.openings)

			status, body := e.verify(t, e.party.ClientID, e.secret, good, presChallenge)
			if status != http.StatusOK {
				t.Fatalf("verify: status %d, body %s; want 200", status, body)
			}
			var got presentationResponse
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			wantSub, _ := testSubjects{}.PairwiseSubject(context.Background(), "shop.example", e.issued.Certificate.Subject.CommonName)
			if !got.Valid || got.Subject != wantSub || got.AssuranceLevel != enrol.AssuranceSubstantial ||
				got.Serial != credential.FormatSerial(e.issued.Certificate.SerialNumber) || got.Disclosed["birthdate"] != "1990-04-01" {
				t.Errorf("verify = %+v; want valid, sub %s, substantial, serial %s, birthdate", got, wantSub, credential.FormatSerial(e.issued.Certificate.SerialNumber))
			}
			if strings.Contains(string(body), e.issued.Certificate.Subject.CommonName) {
				t.Errorf("the answer %s carries the internet number", body)
			}

			altered := []credential.Opening{e.openings[0]}
			altered[0].Value = "1990-04-02"
			tests := []struct {
				name          string
				user, secret  string
				presentation  string
				challenge     string
				status        int
				problemSuffix string
			}{
				{"no credentials", "", "", good, presChallenge, http.StatusUnauthorized, "unauthorized"},
				{"wrong secret", e.party.ClientID, "nope", good, presChallenge, http.StatusUnauthorized, "unauthorized"},
				{"unknown rp", "rp-unknown", e.secret, good, presChallenge, http.StatusUnauthorized, "unauthorized"},
				{"another client id", e.party.ClientID, e.secret, e.present(t, "rp-another", presChallenge, nil), presChallenge, http.StatusUnprocessableEntity, "presentation-audience"},
				{"wrong challenge", e.party.ClientID, e.secret, good, presChallenge + "x", http.StatusUnprocessableEntity, "presentation-challenge"},
				{"altered disclosure", e.party.ClientID, e.secret, e.present(t, e.party.ClientID, presChallenge, altered), presChallenge, http.StatusUnprocessableEntity, "presentation-disclosure"},
				{"garbage", e.party.ClientID, e.secret, "NETID1:AAAA", presChallenge, http.StatusUnprocessableEntity, "presentation-malformed"},
				{"missing challenge", e.party.ClientID, e.secret, good, "", http.StatusBadRequest, "bad-request"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					status, body := e.verify(t, tt.user, tt.secret, tt.presentation, tt.challenge)
					var p Problem
					_ = json.Unmarshal(body, &p)
					if status != tt.status || p.Type != ProblemTypeBase+tt.problemSuffix {
						t.Errorf("status %d, problem %q; want %d, %q (body %s)", status, p.Type, tt.status, ProblemTypeBase+tt.problemSuffix, body)
					}
				})
			}

			// Expired: two minutes and the skew later.
			e.Clock.Advance(credential.MaxPresentationLifetime + credential.PresentationClockSkew + time.Second)
			if status, body := e.verify(t, e.party.ClientID, e.secret, good, presChallenge); status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "presentation-expired") {
				t.Errorf("expired: status %d, body %s; want 422 presentation-expired", status, body)
			}

			// Revoked: the store says so at once, with the reason.
			fresh := e.present(t, e.party.ClientID, presChallenge, nil)
			if err := e.CA.Revoke(context.Background(), e.issued.Certificate.SerialNumber, credential.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			if status, body := e.verify(t, e.party.ClientID, e.secret, fresh, presChallenge); status != http.StatusUnprocessableEntity ||
				!strings.Contains(string(body), "presentation-certificate-revoked") || !strings.Contains(string(body), credential.ReasonKeyCompromise.String()) {
				t.Errorf("revoked: status %d, body %s; want 422 presentation-certificate-revoked with the reason", status, body)
			}

			// A suspended RP is refused.
			if _, err := e.rps.Suspend(context.Background(), e.party.ClientID); err != nil {
				t.Fatal(err)
			}
			if status, body := e.verify(t, e.party.ClientID, e.secret, fresh, presChallenge); status != http.StatusForbidden {
				t.Errorf("suspended: status %d, body %s; want 403", status, body)
			}
		})
	}
}

func p256Key(e *enroltest.Env) crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		e.T.Fatal(err)
	}
	return k
}
