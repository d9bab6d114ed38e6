package portal_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/portal"
	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/translog"
)

// env is netid as serve wires it, over real dependencies, behind an
// httptest server: enroltest's store (SQLite in a temporary directory, or
// a fresh PostgreSQL database), file key store, transparency log, CA and
// enrolment service recording their events in it, then the OpenID
// provider (consents and disclosures logged), the resident service and
// API, and the portal, all on one httpapi.Server.
type env struct {
	t        testing.TB
	en       *enroltest.Env
	store    *sqlstore.Store
	keys     *keystore.Store
	log      *translog.Log
	ca       *credential.CA
	enrol    *enrol.Service
	rps      *rp.Service
	provider *oidc.Provider
	resident *resident.Service
	portal   *portal.Portal
	server   *httptest.Server
	issuer   string

	mu     sync.Mutex
	people int
}

// loginLimit is the per-account password limit of the env: small, so
// that a test reaches it.
const loginLimit = 5

func newEnv(t testing.TB, engine string) *env {
	t.Helper()
	ctx := context.Background()
	cfg := enroltest.DefaultConfig()
	cfg.LoginPerAccount.Max = loginLimit
	en := enroltest.New(t, enroltest.WithEngine(engine), enroltest.WithConfig(cfg))
	e := &env{t: t, en: en, store: en.Store, keys: en.Keys, log: en.Log, ca: en.CA, enrol: en.Service}

	// The issuer is the test server's address: listen first, serve later.
	var handler http.Handler
	e.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	e.issuer = "http://" + e.server.Listener.Addr().String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	clientAddr := func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }

	var err error
	e.rps = rp.NewService(e.store)
	e.provider, err = oidc.NewProvider(oidc.Config{Issuer: e.issuer, ClientCacheTTL: -1}, oidc.Deps{
		Store: resident.ConsentLog{Store: e.store, Log: e.log}, RPs: e.store, Keys: e.keys, Residents: e.enrol,
		Disclosures: oidc.TranslogRecorder{Table: e.store, Log: e.log}, Suite: en.Suite, CA: e.ca,
	}, oidc.WithLogger(quiet), oidc.WithClientAddr(clientAddr))
	must(t, err)
	e.resident, err = resident.New(resident.Deps{
		Store: e.store, Suite: en.Suite, Residents: e.enrol, Accounts: e.store, Grants: e.store, Provider: e.provider,
		CA: e.ca, Certificates: e.store, Log: e.log, RPs: e.rps, Throttle: e.store,
	}, resident.Config{}, resident.WithLogger(quiet), resident.WithClientAddr(clientAddr))
	must(t, err)
	e.portal, err = portal.New(portal.Config{}, portal.Deps{Residents: e.resident, Keys: e.keys, Log: e.log, Platforms: e.rps},
		portal.WithLogger(quiet), portal.WithClientAddr(clientAddr))
	must(t, err)

	srv := httpapi.New(httpapi.DefaultConfig(), quiet)
	srv.MountTranslog(e.log)
	for _, routes := range []map[string]http.Handler{e.provider.Routes(), e.resident.Routes(), e.portal.Routes()} {
		for pattern, h := range routes {
			srv.Handle(pattern, h)
		}
	}
	handler = srv
	e.server.Start()
	t.Cleanup(e.server.Close)
	// The first checkpoint, as serve signs at start.
	_, err = e.log.Checkpoint(ctx)
	must(t, err)
	return e
}

// person is an enrolled resident, as a test logs in with them.
type person struct {
	number, password, id, name string
	serial                     string
	// approval is a minor of 15 to 17's code for their guardian.
	approval string
}

// enrol enrols a resident through the real service: a resident ID card
// verified by the simulated authority, a phone code, a live face, a
// password, completion with a device key.
func (e *env) enrolPerson(name string, age int) person {
	t := e.t
	t.Helper()
	ctx := context.Background()
	e.mu.Lock()
	e.people++
	seq := e.people
	e.mu.Unlock()
	card := e.en.RegisterIDCard(name, document.NewDate(e.en.Clock.Now().AddDate(-age, 0, -3)), "F", seq)
	st, err := e.enrol.Start(ctx, enrol.StartRequest{ClientAddr: "192.0.2.1", Evidence: enrol.Evidence{Authority: card.Evidence()}})
	must(t, err)
	mobile := fmt.Sprintf("+86138%08d", seq)
	_, err = e.enrol.SendPhoneCode(ctx, st.ID, st.Token, mobile)
	must(t, err)
	must(t, e.enrol.VerifyPhone(ctx, st.ID, st.Token, mobile, e.en.SMS.Code(st.ID)))
	challenge, err := e.enrol.FaceChallenge(ctx, st.ID, st.Token)
	must(t, err)
	img, err := testdoc.Portrait(uint64(seq))
	must(t, err)
	_, err = e.enrol.SubmitFace(ctx, st.ID, st.Token, e.en.Attest(img, challenge, 0.99), false)
	must(t, err)
	pw := fmt.Sprintf("violet-harbour-lantern-%d", seq)
	must(t, e.enrol.SetPassword(ctx, st.ID, st.Token, pw))
	device, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	csr, err := credential.CreateCSR(rand.Reader, device, st.CSRNonce)
	must(t, err)
	done, err := e.enrol.Complete(ctx, st.ID, st.Token, csr)
	must(t, err)
	return person{number: string(done.InternetNumber), password: pw, id: done.ResidentID, name: name, serial: done.Serial,
		approval: done.GuardianApprovalCode}
}

// must fails t at once on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
