// Command rp is a minimal platform (OpenID Connect relying party) that logs
// residents in through netid. It uses only the standard library,
// github.com/coreos/go-oidc/v3 and golang.org/x/oauth2: nothing from netid,
// which is the point: any off-the-shelf OpenID Connect library works.
//
// Start a development server and enrol a synthetic resident:
//
//	go run ./cmd/netid serve --demo --data-dir /tmp/netid-demo
//	go install ./cmd/netid && examples/enrol.sh http://127.0.0.1:8080 /tmp/netid-resident
//
// Have the operator register the platform (the redirect URIs must match
// exactly what the platform sends):
//
//	netid rp create --data-dir /tmp/netid-demo --name "Example platform" \
//	    --redirect-uri http://127.0.0.1:9090/callback \
//	    --post-logout-redirect-uri http://127.0.0.1:9090/ \
//	    --claim 'age_over_18=to show age-restricted content' --json
//
// Run the platform with the client id and secret it printed, then open
// http://127.0.0.1:9090/ and log in with the resident's internet number and
// password (/tmp/netid-resident/result.json):
//
//	RP_CLIENT_SECRET=... go run ./examples/rp --issuer http://127.0.0.1:8080 \
//	    --client-id ... --scopes 'openid age_over_18'
//
// Every flag can also be set by an environment variable (RP_ISSUER,
// RP_CLIENT_ID, RP_CLIENT_SECRET, RP_LISTEN, RP_REDIRECT_URL,
// RP_POST_LOGOUT_URL, RP_SCOPES, RP_ACR); prefer RP_CLIENT_SECRET to the
// flag, which other users of the machine can read in the process list.
//
// Routes:
//
//	GET /          a link to log in, or who is logged in
//	GET /login     starts the authorization code flow (state, nonce, PKCE S256)
//	GET /callback  checks state and iss, exchanges the code, verifies the ID token and the level, calls userinfo
//	GET /logout    RP-initiated logout at the provider's end_session endpoint
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is what the platform is told at start.
type config struct {
	issuer, clientID, clientSecret string
	listen, redirectURL, logoutURL string
	scopes, acr                    string
}

// parseFlags reads the flags, each defaulting to its environment variable,
// and reports every problem at once.
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("rp", flag.ContinueOnError)
	str := func(p *string, name, env, def, usage string) {
		if v, ok := os.LookupEnv(env); ok {
			def = v
		}
		fs.StringVar(p, name, def, usage+" (env "+env+")")
	}
	str(&c.issuer, "issuer", "RP_ISSUER", "", "netid's issuer URL, e.g. http://127.0.0.1:8080")
	str(&c.clientID, "client-id", "RP_CLIENT_ID", "", "client id from `netid rp create`")
	str(&c.clientSecret, "client-secret", "RP_CLIENT_SECRET", "", "client secret from `netid rp create`")
	str(&c.listen, "listen", "RP_LISTEN", "127.0.0.1:9090", "address to listen on")
	str(&c.redirectURL, "redirect-url", "RP_REDIRECT_URL", "http://127.0.0.1:9090/callback", "the registered redirect URI")
	str(&c.logoutURL, "post-logout-url", "RP_POST_LOGOUT_URL", "", "the registered post-logout redirect URI (default: / of the redirect URL)")
	str(&c.scopes, "scopes", "RP_SCOPES", "openid", "space-separated scopes; a claim is requested by its name, e.g. 'openid age_over_18'")
	str(&c.acr, "acr", "RP_ACR", "", "acr_values to request: low, substantial or high (optional)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.issuer = strings.TrimSuffix(c.issuer, "/")
	var errs []error
	if c.issuer == "" {
		errs = append(errs, errors.New("--issuer is required"))
	}
	if c.clientID == "" {
		errs = append(errs, errors.New("--client-id is required"))
	}
	if c.clientSecret == "" {
		errs = append(errs, errors.New("--client-secret (or RP_CLIENT_SECRET) is required"))
	}
	red, err := url.Parse(c.redirectURL)
	if err != nil || red.Scheme == "" || red.Host == "" {
		errs = append(errs, fmt.Errorf("--redirect-url %q is not an absolute URL", c.redirectURL))
	} else if c.logoutURL == "" {
		c.logoutURL = red.Scheme + "://" + red.Host + "/"
	}
	if !strings.Contains(" "+c.scopes+" ", " openid ") {
		errs = append(errs, errors.New("--scopes must include openid"))
	}
	for _, v := range strings.Fields(c.acr) {
		if rank(v) == 0 {
			errs = append(errs, fmt.Errorf("--acr %q is not low, substantial or high", v))
		}
	}
	return c, errors.Join(errs...)
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("rp: stopped", "err", err)
		os.Exit(1)
	}
}

// run discovers the provider and serves the platform until ctx ends.
func run(ctx context.Context, cfg config, log *slog.Logger) error {
	discoverCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	a, err := newApp(discoverCtx, cfg, log)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: cfg.listen, Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("rp: listening", "addr", cfg.listen, "issuer", cfg.issuer, "client_id", cfg.clientID,
		"redirect_url", cfg.redirectURL, "scopes", cfg.scopes, "acr_values", cfg.acr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	log.Info("rp: shutting down")
	return srv.Shutdown(shutCtx)
}
