package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/demo"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
)

type serveFlags struct {
	storage       storageFlags
	log           logFlags
	addr          string
	adminAddr     string
	noAutoMigrate bool
	maxBodyBytes  int64
	timeouts      httpapi.Timeouts
	readyTimeout  time.Duration
	enrol         enrolFlags
	demo          bool
	logInterval   time.Duration
	keyReload     time.Duration
}

func newServeCommand(stdout, stderr io.Writer) *ffcli.Command {
	var f serveFlags
	fs := flag.NewFlagSet("netid serve", flag.ContinueOnError)
	f.storage.register(fs)
	f.log.register(fs)
	def := httpapi.DefaultTimeouts()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`address` to listen on (host:port)")
	fs.StringVar(&f.adminAddr, "admin-addr", "", "`address` (host:port) of the admin API's own listener, on loopback or a management network only; empty: no admin API")
	fs.BoolVar(&f.noAutoMigrate, "no-auto-migrate", false, "refuse to start when the database schema is behind, instead of migrating it (run netid migrate first)")
	fs.Int64Var(&f.maxBodyBytes, "max-body-bytes", httpapi.DefaultConfig().MaxBodyBytes, "largest request body accepted, in `bytes` (larger: 413)")
	fs.DurationVar(&f.timeouts.ReadHeader, "read-header-timeout", def.ReadHeader, "time allowed to send request headers (against slow clients)")
	fs.DurationVar(&f.timeouts.Read, "read-timeout", def.Read, "time allowed to send a whole request")
	fs.DurationVar(&f.timeouts.Write, "write-timeout", def.Write, "time allowed from request headers to the end of the response")
	fs.DurationVar(&f.timeouts.Idle, "idle-timeout", def.Idle, "how long an idle keep-alive connection is kept")
	fs.DurationVar(&f.timeouts.Shutdown, "shutdown-timeout", def.Shutdown, "grace period for in-flight requests after SIGTERM")
	fs.BoolVar(&f.demo, "demo", false, "demo mode: a test CSCA, simulated document authority, synthetic documents and faces under /demo, a development liveness detector and SMS sink, kept in DATA_DIR/demo; never in production")
	f.enrol.register(fs)
	fs.DurationVar(&f.logInterval, "translog-checkpoint-interval", time.Minute, "least time between two signed checkpoints of the transparency log")
	fs.DurationVar(&f.readyTimeout, "ready-timeout", httpapi.DefaultConfig().ReadyTimeout, "time allowed to each /readyz check")
	fs.DurationVar(&f.keyReload, "key-reload-interval", 10*time.Second, "how often the key directory is re-read, so that keys rotated by netid admin keys take effect without a restart (SIGHUP re-reads at once)")
	return newCommand(&ffcli.Command{
		Name:       "serve",
		ShortUsage: "netid serve [flags]",
		ShortHelp:  "run the netid service",
		LongHelp: `Run the netid service.

On first start in an empty data dir, serve creates the service keys (one
active key per purpose: token signing, certificate authority, log signing,
blind index, key encryption, cookies) and the embedded SQLite database.
With --database-url it uses PostgreSQL instead; keys stay in the data dir.
The database schema is migrated at start unless --no-auto-migrate is set.

Endpoints: /healthz (alive), /readyz (store reachable, keys loaded, OpenID
provider and transparency log ready), /metrics (Prometheus); the enrolment
API under /v1 (described at /v1/openapi.json); the resident API under /v1/me
(docs/residents.md); the OpenID provider
(/.well-known/openid-configuration); /ca.pem, /crl, /ocsp; /translog/...
With --demo, /demo lists synthetic documents and /demo/rp is a demo platform.
With --admin-addr, the admin API (/admin/v1/..., admin tokens from netid
admin token create) listens there, never on --addr.

SIGTERM or SIGINT stops accepting connections and lets in-flight requests
finish within --shutdown-timeout. SIGHUP re-reads the key directory (as
every --key-reload-interval does): keys rotated with netid admin keys take
effect without a restart.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("serve takes no arguments, got %q", args)}
			}
			return runServe(ctx, f, stderr)
		},
	})
}

func (f *serveFlags) validate() error {
	errs := append(f.storage.validate(), f.log.validate()...)
	errs = append(errs, f.enrol.validate()...)
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr (%s): %q is not host:port", env("addr"), f.addr))
	}
	errs = append(errs, checkAdminAddr(f.adminAddr, f.addr)...)
	if f.maxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("--max-body-bytes (%s) must be at least 1024", env("max-body-bytes")))
	}
	for name, d := range map[string]time.Duration{
		"read-header-timeout": f.timeouts.ReadHeader, "read-timeout": f.timeouts.Read,
		"write-timeout": f.timeouts.Write, "idle-timeout": f.timeouts.Idle,
		"shutdown-timeout": f.timeouts.Shutdown, "ready-timeout": f.readyTimeout,
		"translog-checkpoint-interval": f.logInterval, "key-reload-interval": f.keyReload,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("--%s (%s) must be positive", name, env(name)))
		}
	}
	return configErrors(errs)
}

func runServe(ctx context.Context, f serveFlags, stderr io.Writer) error {
	if err := f.validate(); err != nil {
		return err
	}
	log := f.log.logger(stderr)
	// Libraries that log through log/slog's default logger (zitadel's OIDC
	// server logs every refused request that way, and ignores the logger it
	// is given) then write in the service's format, at its level, with the
	// request id: one log stream an operator's pipeline can parse.
	slog.SetDefault(log)
	svc, err := openService(ctx, f.storage, log, !f.noAutoMigrate)
	if err != nil {
		return err
	}
	defer svc.Close()

	var d *demo.Demo
	if f.demo {
		if d, err = demo.Open(filepath.Join(f.storage.dataDir, "demo"), f.storage.suite, nil); err != nil {
			return err
		}
		log.Warn("DEMO MODE: synthetic documents and development detectors are trusted; never use in production",
			"documents", "/demo")
	}
	en, err := buildEnrolment(ctx, svc, f.enrol, f.addr, d, false, log)
	if err != nil {
		return err
	}
	defer en.Close()

	tlog := en.log
	prov, err := buildProvider(svc, en, f.enrol.issuer(f.addr), oidc.TranslogRecorder{Table: svc.store, Log: tlog}, log)
	if err != nil {
		return err
	}
	if err := runPublisher(ctx, tlog, f.logInterval, log); err != nil {
		return err
	}

	cfg := httpapi.Config{MaxBodyBytes: f.maxBodyBytes, ReadyTimeout: f.readyTimeout}
	srv := httpapi.New(cfg, log,
		httpapi.WithReadyCheck(httpapi.ReadyCheck{Name: "store", Check: svc.store.Ping}),
		httpapi.WithReadyCheck(httpapi.ReadyCheck{Name: "keys", Check: func(context.Context) error { return svc.keys.Check() }}),
		httpapi.WithReadyCheck(httpapi.ReadyCheck{Name: "oidc", Check: prov.Check}),
		httpapi.WithReadyCheck(translogReady(tlog)),
	)
	adm, err := setUpAdmin(svc, en, prov, srv, cfg, f.adminAddr, log)
	if err != nil {
		return err
	}
	if err := registerCommitMetrics(srv.Registry(), svc.store); err != nil {
		return err
	}
	srv.MountTranslog(tlog)
	srv.MountCertificates(en.ca, 4096)
	srv.MountPresentations(httpapi.PresentationAPI{Suite: svc.suite, CA: en.ca, Certificates: svc.store,
		RPs: rp.NewService(svc.store), Subjects: prov})
	if en.disabled == "" {
		srv.MountEnrolment(httpapi.EnrolmentAPI{Enrol: en.svc, CA: en.ca})
	}
	for pattern, h := range prov.Routes() {
		srv.Handle(pattern, h)
	}
	// The resident API (/v1/me): signing in to one's own account and the
	// rights over it (docs/residents.md).
	res, err := resident.New(resident.Deps{Store: svc.store, Suite: svc.suite, Residents: en.svc, Accounts: svc.store,
		Grants: svc.store, Provider: prov, CA: en.ca, Certificates: svc.store, Log: tlog, RPs: rp.NewService(svc.store),
		Throttle: svc.store}, resident.Config{}, resident.WithLogger(log), resident.WithRequestID(httpapi.RequestIDFrom),
		resident.WithClientAddr(func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }))
	if err != nil {
		return err
	}
	for pattern, h := range res.Routes() {
		srv.Handle(pattern, h)
	}
	// The resident portal (/account): the same rights in a browser.
	if err := mountPortal(srv, svc, res, tlog, f.enrol.issuer(f.addr), log); err != nil {
		return err
	}
	go res.Housekeep(ctx, housekeepingInterval)
	if d != nil {
		for pattern, h := range d.Routes(demoProblem) {
			srv.Handle(pattern, h)
		}
		rpDemo, err := d.RelyingParty(ctx, demoRegistrar{rp.NewService(svc.store)}, f.enrol.issuer(f.addr))
		if err != nil {
			return err
		}
		for pattern, h := range rpDemo.Routes(demoProblem) {
			srv.Handle(pattern, h)
		}
		log.Info("demo platform registered", "client_id", rpDemo.ClientID(), "login", f.enrol.issuer(f.addr)+"/demo/rp")
	}
	go housekeeping(ctx, log, en, prov)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadKeys(ctx, svc.keys, en.ca, f.keyReload, hup, log)

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", f.addr, err)
	}
	log.Info("netid serving", "addr", ln.Addr().String(), "suite", f.storage.suite,
		"store", svc.store.Engine(), "data_dir", f.storage.dataDir, "version", version)
	if err := serveAll(ctx, ln, srv, adm, f.timeouts, log); err != nil {
		if errors.Is(err, httpapi.ErrShutdownTimeout) {
			log.Warn("shutdown grace period ran out; remaining requests were cut off")
		}
		return err
	}
	return nil
}
