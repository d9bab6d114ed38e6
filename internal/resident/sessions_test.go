package resident_test

import (
	"context"
	"crypto/rand"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/resident/residenttest"
)

// A resident signs in with the password and with the wallet, sees their
// own data, and is refused once the session has ended.
func TestSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		p := e.EnrolAdult(t)
		token := login(t, e, p)
		var me struct {
			Account struct {
				InternetNumber string `json:"internet_number"`
				Status         string `json:"status"`
			} `json:"account"`
			Identity struct {
				Name      string `json:"name"`
				BirthDate string `json:"birth_date"`
			} `json:"identity"`
			Phone   string `json:"phone"`
			Session struct {
				Method string `json:"method"`
				Level  string `json:"level"`
			} `json:"session"`
			Locks []struct {
				Method string `json:"method"`
				Locked bool   `json:"locked"`
			} `json:"locks"`
		}
		call(t, e, http.MethodGet, "/v1/me", token, nil).want(t, http.StatusOK).decode(t, &me)
		if me.Account.InternetNumber != string(p.InternetNumber) || me.Account.Status != "active" || me.Phone != p.Phone ||
			me.Identity.Name == "" || me.Identity.BirthDate == "" || me.Session.Method != "password" || me.Session.Level != "low" ||
			len(me.Locks) != 4 {
			t.Errorf("GET /v1/me = %+v; want the account, opened identity, phone, session and four locks", me)
		}

		// Refusals of the sign-in.
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"username": string(p.InternetNumber), "password": "wrong password 123"}).
			wantProblem(t, http.StatusUnauthorized, "bad-credentials")
		for name, body := range map[string]any{
			"both modes":        map[string]string{"username": "x", "password": "y", "presentation": "NETID1:AA"},
			"no password":       map[string]string{"username": string(p.InternetNumber)},
			"unknown member":    map[string]string{"username": "x", "password": "y", "otp": "1"},
			"duplicate member":  []byte(`{"username":"a","username":"b","password":"y"}`),
			"not an object":     []byte(`["username"]`),
			"trailing data":     []byte(`{"username":"a","password":"y"} {}`),
			"invalid UTF-8":     []byte("{\"username\":\"\xff\",\"password\":\"y\"}"),
			"empty body":        []byte(``),
			"garbage":           []byte(`{"username":`),
			"wrong member type": []byte(`{"username":1,"password":"y"}`),
		} {
			t.Run(name, func(t *testing.T) {
				call(t, e, http.MethodPost, "/v1/me/sessions", "", body).wantProblem(t, http.StatusBadRequest, "bad-request")
			})
		}
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/v1/me/sessions", nil)
		req.Header.Set("Content-Type", "text/plain")
		if resp, err := e.Server.Client().Do(req); err != nil || resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("sign-in without JSON: %v, %v", resp, err)
		}

		// No session, a made-up one, then an expired one.
		r := call(t, e, http.MethodGet, "/v1/me", "", nil)
		r.wantProblem(t, http.StatusUnauthorized, "unauthenticated")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		call(t, e, http.MethodGet, "/v1/me", "made-up-token", nil).wantProblem(t, http.StatusUnauthorized, "unauthenticated")
		e.Clock.Advance(resident.DefaultSessionTTL)
		call(t, e, http.MethodGet, "/v1/me", token, nil).wantProblem(t, http.StatusUnauthorized, "unauthenticated")

		// The wallet: a challenge, a presentation answering it.
		wt := walletLogin(t, e, p)
		call(t, e, http.MethodGet, "/v1/me", wt, nil).want(t, http.StatusOK)
		call(t, e, http.MethodDelete, "/v1/me/session", wt, nil).want(t, http.StatusNoContent)
		call(t, e, http.MethodGet, "/v1/me", wt, nil).wantProblem(t, http.StatusUnauthorized, "unauthenticated")
	})
}

// The wallet's sign-in refuses a replayed challenge, a challenge the
// service never issued, an expired one, a presentation for a platform, one
// by another key, and a revoked certificate.
func TestWalletSignInRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		p := e.EnrolAdult(t)
		other := e.EnrolAdult(t)
		post := func(presentation string) response {
			return call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"presentation": presentation})
		}
		c := challenge(t, e)
		text := e.Presentation(t, p, c)
		post(text).want(t, http.StatusCreated)
		post(text).wantProblem(t, http.StatusUnauthorized, "challenge-invalid")
		post(e.Presentation(t, p, "a challenge nobody issued, long enough")).wantProblem(t, http.StatusUnauthorized, "challenge-invalid")

		old := challenge(t, e)
		e.Clock.Advance(resident.DefaultChallengeTTL + time.Second)
		post(e.Presentation(t, p, old)).wantProblem(t, http.StatusUnauthorized, "challenge-invalid")

		forPlatform, err := credential.CreatePresentation(nil, p.Device, p.Certificate, "rp-0123", []byte(challenge(t, e)), nil, e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		post(forPlatform).wantProblem(t, http.StatusUnauthorized, "presentation-invalid")
		stolen := p
		stolen.Device = other.Device
		post(e.Presentation(t, stolen, challenge(t, e))).wantProblem(t, http.StatusUnauthorized, "presentation-invalid")
		post("NETID1:not a presentation").wantProblem(t, http.StatusUnauthorized, "presentation-invalid")

		cert, err := e.Suite.ParseCertificate(p.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.CA.Revoke(context.Background(), cert.SerialNumber, credential.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		post(e.Presentation(t, p, challenge(t, e))).wantProblem(t, http.StatusUnauthorized, "certificate-revoked")
		// The refused sign-in did not use the challenge.
		c = challenge(t, e)
		post(e.Presentation(t, p, c)).wantProblem(t, http.StatusUnauthorized, "certificate-revoked")
		post(e.Presentation(t, other, c)).want(t, http.StatusCreated)
	})
}

// Challenges are throttled per client address.
func TestChallengeThrottled(t *testing.T) {
	e := residenttest.New(t)
	limit := e.Resident.Config().ChallengesPerAddress.Max
	for range limit {
		challenge(t, e)
	}
	r := call(t, e, http.MethodGet, "/v1/me/challenge", "", nil)
	r.wantProblem(t, http.StatusTooManyRequests, "throttled")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// Random serials and tokens: nothing of another resident is found.
func TestOtherResidentsResources(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		a, b := e.EnrolAdult(t), e.EnrolAdult(t)
		ta := login(t, e, a)
		platform := e.NewRP(t, "Shop")
		platform.Login(b)
		cert, err := e.Suite.ParseCertificate(b.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		bSerial := credential.FormatSerial(cert.SerialNumber)
		random, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
		for _, c := range []struct{ method, path string }{
			{http.MethodPost, "/v1/me/certificates/" + bSerial + "/revoke"},
			{http.MethodPost, "/v1/me/certificates/" + credential.FormatSerial(random.Add(random, big.NewInt(1))) + "/revoke"},
			{http.MethodDelete, "/v1/me/consents/" + platform.ClientID()},
			{http.MethodGet, "/v1/me/minors/" + b.ID},
			{http.MethodGet, "/v1/me/minors/" + b.ID + "/consents"},
			{http.MethodPut, "/v1/me/minors/" + b.ID + "/locks/password"},
			{http.MethodGet, "/v1/me/locks/fingerprint"},
		} {
			call(t, e, c.method, c.path, ta, nil).wantProblem(t, http.StatusNotFound, "not-found")
		}
		call(t, e, http.MethodPost, "/v1/me/certificates/not-hex/revoke", ta, nil).wantProblem(t, http.StatusBadRequest, "bad-request")
		// b's things are untouched.
		tb := login(t, e, b)
		var certs struct {
			Certificates []struct {
				Status string `json:"status"`
			} `json:"certificates"`
		}
		call(t, e, http.MethodGet, "/v1/me/certificates", tb, nil).want(t, http.StatusOK).decode(t, &certs)
		if len(certs.Certificates) != 1 || certs.Certificates[0].Status != "valid" {
			t.Errorf("b's certificates = %+v, want one valid", certs)
		}
		var consents struct {
			Consents []struct {
				ClientID string `json:"client_id"`
			} `json:"consents"`
		}
		call(t, e, http.MethodGet, "/v1/me/consents", tb, nil).want(t, http.StatusOK).decode(t, &consents)
		if len(consents.Consents) != 1 {
			t.Errorf("b's consents = %+v, want one", consents)
		}
	})
}
