package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/loadtest"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/wallet"
)

// The flows of netid loadtest.
const (
	flowEnrol  = "enrol"
	flowLogin  = "login"
	flowSSO    = "sso"
	flowVerify = "verify"
	flowQR     = "qr"
)

// exitFlowsFailed is loadtest's exit code when the run completed but some
// flows failed.
const exitFlowsFailed = 3

// maxNumbers bounds how many internet numbers loadtest reads.
const maxNumbers = 10_000_000

type loadtestFlags struct {
	storage      storageFlags
	server       string
	flow         string
	rate         rateFlag
	count        int
	duration     time.Duration
	concurrency  int
	asJSON       bool
	clientID     string
	clientSecret string
	redirectURI  string
	setup        bool
	numbers      string
	password     string
	sessions     int
	wallets      listFlag
	walletsDir   string
	enrolWallets int
	demoDir      string
	insecure     bool
}

// rateFlag is a rate in flows per second: "200" or "200/s".
type rateFlag float64

func (r *rateFlag) String() string { return strconv.FormatFloat(float64(*r), 'f', -1, 64) }

func (r *rateFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "/s"), 64)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a rate such as 200 or 200/s", s)
	}
	*r = rateFlag(v)
	return nil
}

func newLoadtestCommand(stdout, stderr io.Writer) *ffcli.Command {
	var f loadtestFlags
	fs := flag.NewFlagSet("netid loadtest", flag.ContinueOnError)
	f.storage.register(fs)
	fs.StringVar(&f.server, "server", "http://127.0.0.1:8080", "`url` of the netid server; it must be on loopback (127.0.0.0/8, ::1, localhost)")
	fs.StringVar(&f.flow, "flow", "", "the flow to drive: enrol, login, sso, verify or qr")
	fs.Var(&f.rate, "rate", "flows started per `second` (200 or 200/s); 0 starts them as fast as --concurrency allows")
	fs.IntVar(&f.count, "count", 1000, fmt.Sprintf("number of flows (`n`, at most %d)", loadtest.MaxCount))
	fs.DurationVar(&f.duration, "duration", time.Minute, fmt.Sprintf("longest run (at most %v): no flow starts after it", loadtest.MaxDuration))
	fs.IntVar(&f.concurrency, "concurrency", 8, fmt.Sprintf("flows in flight at most (`n`, at most %d)", loadtest.MaxConcurrency))
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fs.StringVar(&f.clientID, "client-id", "", "the relying party's client `id` (login, sso, verify, qr)")
	fs.StringVar(&f.clientSecret, "client-secret", "", "the relying party's client `secret`")
	fs.StringVar(&f.redirectURI, "redirect-uri", "", "the relying party's registered redirect `URI` (login, sso); never fetched")
	fs.BoolVar(&f.setup, "setup", false, "register a relying party for the run through the storage flags, instead of --client-id, --client-secret and --redirect-uri")
	fs.StringVar(&f.numbers, "numbers", "", "`file` of internet numbers, one a line (netid seed --numbers-out): the residents of login and sso")
	fs.StringVar(&f.password, "password", "", "the `password` of those residents (netid seed --password)")
	fs.IntVar(&f.sessions, "sessions", 0, "sso: login sessions to establish, each a resident logged in once (`n`; 0: one per --concurrency)")
	fs.Var(&f.wallets, "wallet", "verify, qr: an enrolled wallet `directory`; repeat for several")
	fs.StringVar(&f.walletsDir, "wallets-dir", "", "enrol: keep the new wallets in this `directory` (default: a temporary one, removed); verify, qr: use the wallets enrol left there")
	fs.IntVar(&f.enrolWallets, "enrol-wallets", 4, "verify, qr without --wallet or --wallets-dir: enrol this many wallets through the demo first (`n`)")
	fs.StringVar(&f.demoDir, "demo-dir", "", "enrol: the demo `directory` of serve --demo, whose TEST document issuer mints passports (default DATA_DIR/demo)")
	fs.BoolVar(&f.insecure, "insecure", false, "https: accept the server's certificate without verifying it (loopback only)")
	return newCommand(&ffcli.Command{
		Name:       "loadtest",
		ShortUsage: "netid loadtest --flow enrol|login|sso|verify|qr [--rate R/s] [--count N] [--duration D] [--concurrency C] [flags]",
		ShortHelp:  "drive complete flows against a server on loopback and report throughput and latency",
		LongHelp: `Drive complete flows against a running netid server ON LOOPBACK (any other
target is refused), bounded in rate (--rate), count (--count) and time
(--duration), and print the throughput, the latency of successful flows (mean,
p50, p95, p99, max) and the failures by step and kind (--json for a machine).
Latency is timed from each flow's start; with --rate, flows are due on a fixed
schedule and a server that falls behind gets fewer than offered.

Flows:
  enrol   a new resident enrols through serve --demo with wallet.Enrol: the demo's
          SMS inbox and liveness detector answer, each flow minting its own
          passport with the demo's TEST issuer (--demo-dir) and a new wallet
  login   authorize, login form (internet number and password: argon2id on the
          server), consent, token, userinfo; each flow a new browser
  sso     authorize with an established session and remembered consent (answered
          at once with a code), token (ID token signed, disclosure logged),
          userinfo; --sessions browsers log in once before the run
  verify  a wallet presents its certificate to the platform for a new challenge;
          the platform posts it to POST /v1/presentations/verify
  qr      QR login on another device: the platform starts an RFC 8628 device
          authorization, a wallet (at its own address) fetches and approves it
          with its device key, the platform redeems the device code (tokens at
          substantial) and calls userinfo

login and sso need residents (--numbers, --password: see netid seed) and a
relying party: --client-id, --client-secret, --redirect-uri, or --setup to
register one through the storage flags (a new one each run, approved for
age_over_18). verify and qr need the relying party's id and secret (or --setup) and
wallets (--wallet, --wallets-dir, or --enrol-wallets enrolled first through
the demo).

Virtual clients come from distinct 127.x.y.z source addresses when the server
listens on 127.0.0.1, as residents come from many addresses, so that the
per-address throttles do not stop the test (they still count).

Exit status: 0 when every flow succeeded, 3 when some failed, 1 when the run
could not start.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("loadtest takes no arguments, got %q", args)}
			}
			return runLoadtest(ctx, f, stdout, stderr)
		},
	})
}

func (f *loadtestFlags) validate() error {
	var errs []error
	if f.setup || f.flow == flowEnrol {
		errs = append(errs, f.storage.validate()...)
	}
	if _, err := loadtest.CheckLoopback(f.server); err != nil {
		errs = append(errs, fmt.Errorf("--server (%s): %w", env("server"), err))
	}
	switch f.flow {
	case flowEnrol, flowLogin, flowSSO, flowVerify, flowQR:
	case "":
		errs = append(errs, fmt.Errorf("--flow (%s) is required: enrol, login, sso, verify or qr", env("flow")))
	default:
		errs = append(errs, fmt.Errorf("--flow (%s): %q is not enrol, login, sso, verify or qr", env("flow"), f.flow))
	}
	if f.rate > loadtest.MaxRate {
		errs = append(errs, fmt.Errorf("--rate (%s) must be at most %d/s", env("rate"), loadtest.MaxRate))
	}
	if f.count < 1 || f.count > loadtest.MaxCount {
		errs = append(errs, fmt.Errorf("--count (%s) must be 1 to %d", env("count"), loadtest.MaxCount))
	}
	if f.duration <= 0 || f.duration > loadtest.MaxDuration {
		errs = append(errs, fmt.Errorf("--duration (%s) must be positive and at most %v", env("duration"), loadtest.MaxDuration))
	}
	if f.concurrency < 1 || f.concurrency > loadtest.MaxConcurrency {
		errs = append(errs, fmt.Errorf("--concurrency (%s) must be 1 to %d", env("concurrency"), loadtest.MaxConcurrency))
	}
	if f.sessions < 0 || f.sessions > loadtest.MaxCount {
		errs = append(errs, fmt.Errorf("--sessions (%s) must be 0 to %d", env("sessions"), loadtest.MaxCount))
	}
	needsRP := f.flow == flowLogin || f.flow == flowSSO || f.flow == flowVerify || f.flow == flowQR
	if needsRP && !f.setup {
		if f.clientID == "" || f.clientSecret == "" {
			errs = append(errs, fmt.Errorf("--flow %s needs --client-id and --client-secret, or --setup", f.flow))
		}
		if (f.flow == flowLogin || f.flow == flowSSO) && f.redirectURI == "" {
			errs = append(errs, fmt.Errorf("--flow %s needs --redirect-uri, or --setup", f.flow))
		}
	}
	if f.setup && (f.clientID != "" || f.clientSecret != "" || f.redirectURI != "") {
		errs = append(errs, errors.New("--setup registers its own relying party: leave out --client-id, --client-secret and --redirect-uri"))
	}
	if (f.flow == flowLogin || f.flow == flowSSO) && (f.numbers == "" || f.password == "") {
		errs = append(errs, fmt.Errorf("--flow %s needs --numbers and --password (see netid seed)", f.flow))
	}
	if f.enrolWallets < 1 || f.enrolWallets > 1000 {
		errs = append(errs, fmt.Errorf("--enrol-wallets (%s) must be 1 to 1000", env("enrol-wallets")))
	}
	return configErrors(errs)
}

func runLoadtest(ctx context.Context, f loadtestFlags, stdout, stderr io.Writer) error {
	if err := f.validate(); err != nil {
		return err
	}
	relying := loadtest.RP{ClientID: f.clientID, ClientSecret: f.clientSecret, RedirectURI: f.redirectURI}
	if f.setup {
		var err error
		if relying, err = setupRP(ctx, f.storage); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "registered relying party %s for the run\n", relying.ClientID)
	}
	flow, cleanup, err := buildFlow(ctx, f, relying, stderr)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		return err
	}
	res, err := loadtest.Run(ctx, f.server, flow, loadtest.RunConfig{
		Rate: float64(f.rate), Count: f.count, Duration: f.duration, Concurrency: f.concurrency,
	})
	if err != nil {
		return err
	}
	if f.asJSON {
		err = res.WriteJSON(stdout)
	} else {
		err = res.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return exitError{code: exitFlowsFailed}
	}
	return nil
}

// setupRP registers the relying party of a run: a confidential client
// approved for age_over_18, with a loopback redirect URI nobody serves.
func setupRP(ctx context.Context, storage storageFlags) (loadtest.RP, error) {
	svc, err := openService(ctx, storage, slog.New(slog.DiscardHandler), true)
	if err != nil {
		return loadtest.RP{}, err
	}
	defer svc.Close()
	redirect := "http://127.0.0.1/netid-loadtest/callback"
	created, secret, err := rp.NewService(svc.store).Create(ctx, rp.Registration{
		Name: "netid loadtest", RedirectURIs: []string{redirect}, Sector: "loadtest.netid.invalid",
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "load test"}},
	})
	if err != nil {
		return loadtest.RP{}, fmt.Errorf("registering the load test's relying party: %w", err)
	}
	return loadtest.RP{ClientID: created.ClientID, ClientSecret: secret, RedirectURI: redirect}, nil
}

// buildFlow prepares the flow the flags name; cleanup, when not nil,
// removes what it made.
func buildFlow(ctx context.Context, f loadtestFlags, relying loadtest.RP, stderr io.Writer) (loadtest.Flow, func(), error) {
	switch f.flow {
	case flowLogin, flowSSO:
		nf, err := os.Open(f.numbers)
		if err != nil {
			return nil, nil, fmt.Errorf("--numbers: %w", err)
		}
		numbers, err := loadtest.ReadNumbers(nf, maxNumbers)
		nf.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("--numbers %s: %w", f.numbers, err)
		}
		residents := loadtest.Residents{Numbers: numbers, Password: f.password}
		if f.flow == flowLogin {
			fl, err := loadtest.NewLoginFlow(f.server, relying, residents, f.insecure)
			return fl, nil, err
		}
		fl, err := loadtest.NewSSOFlow(f.server, relying, residents, f.sessions, f.insecure)
		if err == nil {
			fl.Setup = stderr
		}
		return fl, nil, err
	case flowEnrol:
		return newEnrolFlow(f)
	}
	// verify and qr: enrolled wallets
	var dirs []string
	dirs = append(dirs, f.wallets...)
	if f.walletsDir != "" {
		found, err := loadtest.WalletDirs(f.walletsDir)
		if err != nil {
			return nil, nil, err
		}
		dirs = append(dirs, found...)
	}
	var wallets []*wallet.Wallet
	var cleanup func()
	if len(dirs) > 0 {
		var err error
		if wallets, err = loadtest.OpenWallets(dirs); err != nil {
			return nil, nil, err
		}
	} else {
		ef, c, err := newEnrolFlow(f)
		cleanup = c
		if err != nil {
			return nil, cleanup, err
		}
		fmt.Fprintf(stderr, "enrolling %d wallets through the demo first\n", f.enrolWallets)
		for i := range f.enrolWallets {
			w, err := ef.(*loadtest.EnrolFlow).Enrol(ctx)
			if err != nil {
				return nil, cleanup, fmt.Errorf("enrolling wallet %d: %w", i+1, err)
			}
			wallets = append(wallets, w)
		}
	}
	if f.flow == flowQR {
		fl, err := loadtest.NewQRFlow(f.server, relying, wallets, f.insecure)
		return fl, cleanup, err
	}
	fl, err := loadtest.NewVerifyFlow(f.server, relying, wallets, f.insecure)
	return fl, cleanup, err
}

// newEnrolFlow prepares the enrolment flow, its wallets kept in
// --wallets-dir or in a temporary directory removed by cleanup.
func newEnrolFlow(f loadtestFlags) (loadtest.Flow, func(), error) {
	demoDir := f.demoDir
	if demoDir == "" {
		demoDir = filepath.Join(f.storage.dataDir, "demo")
	}
	dir, cleanup := f.walletsDir, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "netid-loadtest-wallets-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("--wallets-dir: %w", err)
	}
	fl, err := loadtest.NewEnrolFlow(f.server, filepath.Join(demoDir, "issuer"), dir, f.insecure)
	if err != nil {
		return nil, cleanup, err
	}
	return fl, cleanup, nil
}
