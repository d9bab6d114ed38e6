package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/demo"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/wallet"
)

// EnrolFlow enrols new residents through a demo server (serve --demo) the
// way `netid wallet enrol --demo` does, with wallet.Enrol: the demo's SMS
// inbox and liveness detector (a wallet.DemoSource) answer the phone and
// liveness steps. The demo has one adult document, and an identity
// enrols once, so each flow mints its own passport with the demo's TEST
// document issuer (from the server's data dir) and captures that
// synthetic person's face (demo.FaceCapture): distinct documents, numbers
// and faces, each enrolled from a new wallet and a new source address.
type EnrolFlow struct {
	server   *url.URL
	issuer   *testdoc.Issuer
	suite    suite.Name
	dir      string
	insecure bool
	addrs    *sourceAddrs

	mu      sync.Mutex
	wallets []*wallet.Wallet
}

// DemoAdultDocument is the demo document whose DemoSource answers the
// phone and liveness steps (any demo document would do).
const DemoAdultDocument = "adult"

// NewEnrolFlow returns the enrolment flow against server, minting
// passports with the demo issuer in issuerDir (DATA_DIR/demo/issuer) and
// keeping wallets (device key and certificate) under dir.
func NewEnrolFlow(server, issuerDir, dir string, insecure bool) (*EnrolFlow, error) {
	u, err := CheckLoopback(server)
	if err != nil {
		return nil, err
	}
	iss, err := testdoc.LoadIssuer(issuerDir)
	if err != nil {
		return nil, fmt.Errorf("loadtest: the demo document issuer (is the server running with --demo on this data dir?): %w", err)
	}
	name, err := suite.Parse(iss.Suite())
	if err != nil {
		return nil, err
	}
	return &EnrolFlow{server: u, issuer: iss, suite: name, dir: dir, insecure: insecure, addrs: newSourceAddrs(u)}, nil
}

// Name implements Flow.
func (f *EnrolFlow) Name() string { return "enrol" }

// Wallets returns the wallets enrolled so far.
func (f *EnrolFlow) Wallets() []*wallet.Wallet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*wallet.Wallet(nil), f.wallets...)
}

// Worker implements Flow.
func (f *EnrolFlow) Worker(ctx context.Context, i, n int) (func(context.Context, int) error, error) {
	return func(ctx context.Context, seq int) error {
		w, err := f.Enrol(ctx)
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.wallets = append(f.wallets, w)
		f.mu.Unlock()
		return nil
	}, nil
}

// Enrol enrols one new resident and returns its wallet.
func (f *EnrolFlow) Enrol(ctx context.Context) (*wallet.Wallet, error) {
	hc := newHTTPClient(f.addrs.addr(), 1, f.insecure)
	defer hc.CloseIdleConnections()
	c, err := wallet.NewClient(f.server.String(), wallet.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	ds, err := wallet.NewDemoSource(ctx, c, DemoAdultDocument)
	if err != nil {
		return nil, walletErr("demo", err)
	}
	p, err := f.person()
	if err != nil {
		return nil, err
	}
	portrait, err := testdoc.Portrait(p.seed)
	if err != nil {
		return nil, err
	}
	doc, err := f.issuer.Issue(p.spec, portrait)
	if err != nil {
		return nil, fmt.Errorf("loadtest: minting a passport: %w", err)
	}
	chip, err := json.Marshal(doc.Chip)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(f.dir, "wallet-")
	if err != nil {
		return nil, err
	}
	w, err := wallet.Create(dir, f.suite, f.server.String(), nil, time.Now())
	if err != nil {
		return nil, err
	}
	rng := mrand.New(mrand.NewPCG(p.seed, uint64(time.Now().UnixNano())))
	_, err = wallet.Enrol(ctx, w, c, wallet.EnrolOptions{
		Evidence: &wallet.Evidence{Chip: chip, PrintedMRZ: doc.PrintedMRZ},
		Phone:    p.phone,
		Code:     ds.Code,
		Face:     func(context.Context) ([]byte, error) { return demo.FaceCapture(p.seed, rng) },
		Liveness: ds.Liveness,
		Password: p.password,
	})
	if err != nil {
		return nil, walletErr("enrol", err)
	}
	return w, nil
}

// person is one synthetic applicant.
type person struct {
	spec     testdoc.DocumentSpec
	seed     uint64
	phone    string
	password string
}

// person draws an adult with a passport number, a portrait seed, a
// mobile number and a password of their own.
func (f *EnrolFlow) person() (person, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return person{}, err
	}
	r := binary.BigEndian.Uint64(b[:8])
	// Nine characters: "L" and eight base32 letters and digits; the
	// anchor of a passport without a personal number is its number.
	number := "L" + strings.TrimRight(base32.StdEncoding.EncodeToString(b[8:13]), "=")[:8]
	now := time.Now()
	return person{
		spec: testdoc.DocumentSpec{
			Person: testdoc.Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "LOAD " + lettersOf(number),
				BirthDate: document.NewDate(now.AddDate(-20-int(r%50), 0, -int(r>>8%300))), Sex: "F"},
			DocumentNumber: number,
			Expiry:         document.NewDate(now.AddDate(5, 0, 0)),
		},
		seed:     1000 + r%1_000_000_000,
		phone:    "+86170" + fmt.Sprintf("%08d", binary.BigEndian.Uint32(b[13:17])%100_000_000),
		password: "load-" + base64.RawURLEncoding.EncodeToString(b[17:24]) + "-test-pass",
	}, nil
}

// lettersOf spells digits as letters (names have none).
func lettersOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return 'A' + (r - '0')
		}
		return r
	}, s)
}

// walletErr classes a wallet call's failure by the server's problem.
func walletErr(step string, err error) error {
	var p *wallet.Problem
	if errors.As(err, &p) {
		slug := p.Type[strings.LastIndex(p.Type, ":")+1:]
		return &StepError{Step: step, Kind: "HTTP " + strconv.Itoa(p.Status) + " " + slug, Detail: p.Error()}
	}
	return stepErr(step, err)
}

// VerifyFlow verifies certificate presentations online: each flow a
// wallet makes a fresh presentation to the relying party for a new
// challenge, and the relying party posts it to POST
// /v1/presentations/verify (HTTP Basic with its client credentials).
type VerifyFlow struct {
	server   *url.URL
	rp       RP
	wallets  []*wallet.Wallet
	insecure bool
	addrs    *sourceAddrs
}

// NewVerifyFlow returns the verification flow of the wallets' certificates.
func NewVerifyFlow(server string, rp RP, wallets []*wallet.Wallet, insecure bool) (*VerifyFlow, error) {
	u, err := CheckLoopback(server)
	if err != nil {
		return nil, err
	}
	if rp.ClientID == "" || rp.ClientSecret == "" {
		return nil, errors.New("loadtest: the verify flow needs a relying party: client id and secret")
	}
	if len(wallets) == 0 {
		return nil, errors.New("loadtest: the verify flow needs enrolled wallets")
	}
	return &VerifyFlow{server: u, rp: rp, wallets: wallets, insecure: insecure, addrs: newSourceAddrs(u)}, nil
}

// Name implements Flow.
func (f *VerifyFlow) Name() string { return "verify" }

// Worker implements Flow.
func (f *VerifyFlow) Worker(ctx context.Context, i, n int) (func(context.Context, int) error, error) {
	b := newBrowser(newHTTPClient(f.addrs.addr(), 1, f.insecure))
	endpoint := f.server.String() + "/v1/presentations/verify"
	k := i
	return func(ctx context.Context, seq int) error {
		w := f.wallets[k%len(f.wallets)]
		k++
		var raw [24]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		challenge := base64.RawURLEncoding.EncodeToString(raw[:])
		pres, err := wallet.Present(w, f.rp.ClientID, []byte(challenge), nil, time.Now())
		if err != nil {
			return &StepError{Step: "present", Kind: "wallet", Detail: err.Error()}
		}
		body, err := json.Marshal(map[string]string{"presentation": pres, "challenge": challenge})
		if err != nil {
			return err
		}
		a, err := b.postJSON(ctx, "verify", endpoint, body, func(req *http.Request) {
			req.SetBasicAuth(f.rp.ClientID, f.rp.ClientSecret)
		})
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return unexpected("verify", a, "200")
		}
		var v struct {
			Valid bool   `json:"valid"`
			Sub   string `json:"sub"`
		}
		if err := json.Unmarshal(a.body, &v); err != nil || !v.Valid || v.Sub == "" {
			return &StepError{Step: "verify", Kind: "unexpected answer", Detail: "not valid, or no subject"}
		}
		return nil
	}, nil
}

// OpenWallets opens the wallets in dirs, which must be enrolled.
func OpenWallets(dirs []string) ([]*wallet.Wallet, error) {
	var out []*wallet.Wallet
	for _, d := range dirs {
		w, err := wallet.Open(d)
		if err != nil {
			return nil, err
		}
		if w.State().Account == nil {
			return nil, fmt.Errorf("loadtest: the wallet in %s is not enrolled", d)
		}
		out = append(out, w)
	}
	return out, nil
}

// WalletDirs lists the wallet directories under dir (those EnrolFlow made).
func WalletDirs(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "wallet-*"))
}
