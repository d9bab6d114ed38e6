package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// listFlag is a repeatable string flag: each use adds one value.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ", ") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// rpCreateFlags are the flags of `netid rp create`.
type rpCreateFlags struct {
	storage        storageFlags
	name           string
	redirectURIs   listFlag
	logoutURIs     listFlag
	sector         string
	claims         listFlag
	internetNumber bool
	sharesOnward   bool
	minACR         string
	asJSON         bool
}

// registration turns the flags into a registration, reporting every
// problem of the flags themselves at once; the registry checks the rest.
func (f *rpCreateFlags) registration() (rp.Registration, []error) {
	errs := f.storage.validate()
	if strings.TrimSpace(f.name) == "" {
		errs = append(errs, fmt.Errorf("--name is required"))
	}
	if len(f.redirectURIs) == 0 {
		errs = append(errs, fmt.Errorf("--redirect-uri is required (repeat it for several)"))
	}
	reg := rp.Registration{Name: f.name, RedirectURIs: f.redirectURIs, PostLogoutRedirectURIs: f.logoutURIs,
		Sector: f.sector, MayReceiveInternetNumber: f.internetNumber, SharesOnward: f.sharesOnward,
		MinAssurance: enrol.Assurance(f.minACR)}
	for _, c := range f.claims {
		a, err := rp.ParseClaimApproval(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("--claim: %s", strings.TrimPrefix(err.Error(), rp.ErrInvalid.Error()+": ")))
			continue
		}
		reg.ApprovedClaims = append(reg.ApprovedClaims, a)
	}
	return reg, errs
}

func newRPCommand(stdout, stderr io.Writer) *ffcli.Command {
	var f rpCreateFlags
	fs := flag.NewFlagSet("netid rp create", flag.ContinueOnError)
	f.storage.register(fs)
	fs.StringVar(&f.name, "name", "", "the platform's `name`, shown to residents on the login and consent pages")
	fs.Var(&f.redirectURIs, "redirect-uri", "a redirect `URI`, matched exactly (https, or http on a loopback host); repeat for several")
	fs.Var(&f.logoutURIs, "post-logout-redirect-uri", "a `URI` RP-initiated logout may return to, matched exactly; repeat for several")
	fs.StringVar(&f.sector, "sector", "", "pairwise-subject `sector` (a host name); RPs of one sector see the same subject for a resident; default: the host of the redirect URIs; never changes")
	fs.Var(&f.claims, "claim", "an approved claim and the purpose the platform stated, as `claim=purpose`; repeat for several; claims: "+claimNames())
	fs.BoolVar(&f.internetNumber, "internet-number", false, "the platform may receive the internet number (also approve it: --claim 'internet_number=purpose')")
	fs.BoolVar(&f.sharesOnward, "shares-onward", false, "the platform shares data with third parties: residents give a separate consent to that")
	fs.StringVar(&f.minACR, "min-acr", string(enrol.AssuranceLow), "lowest assurance `level` the platform accepts: low, substantial or high")
	fs.BoolVar(&f.asJSON, "json", false, "print {\"client_id\", \"client_secret\"} as JSON")
	create := newCommand(&ffcli.Command{
		Name:       "create",
		ShortUsage: "netid rp create --name NAME --redirect-uri URI [--claim CLAIM=PURPOSE ...] [storage flags]",
		ShortHelp:  "register a relying party and print its client id and secret",
		LongHelp: `Register a relying party: a platform that authenticates residents through
netid's OpenID provider. It receives a pairwise subject and the assurance level
of each login; any other claim only if it is approved here (with the purpose the
platform stated, which residents see) and the resident consents.

The client secret is printed once and stored only as a hash: hand it to the
platform over a secure channel. The platform authenticates at the token endpoint
with client_secret_basic or client_secret_post, and must use PKCE (S256).

Takes the same storage flags as serve, so it works beside a running server.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			reg, errs := f.registration()
			if len(args) > 0 {
				errs = append(errs, fmt.Errorf("rp create takes no arguments, got %q", args))
			}
			// The registry's own rules, reported with the flags' problems
			// before the store is opened.
			if _, err := reg.Normalize(); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					errs = append(errs, errors.New(strings.ReplaceAll(line, rp.ErrInvalid.Error()+": ", "")))
				}
			}
			if err := configErrors(errs); err != nil {
				return err
			}
			svc, err := openService(ctx, f.storage, slog.New(slog.DiscardHandler), true)
			if err != nil {
				return err
			}
			defer svc.Close()
			created, secret, err := rp.NewService(svc.store).Create(ctx, reg)
			if err != nil {
				return err
			}
			if f.asJSON {
				return printJSON(stdout, map[string]string{"client_id": created.ClientID, "client_secret": secret})
			}
			fmt.Fprintf(stdout, "relying party %q registered (sector %s, minimum level %s)\nclient_id: %s\nclient_secret (shown once): %s\n",
				created.Name, created.Sector, created.MinAssurance, created.ClientID, secret)
			return nil
		},
	})
	return newCommand(&ffcli.Command{
		Name:        "rp",
		ShortUsage:  "netid rp create [flags]",
		ShortHelp:   "manage relying parties (platforms that log residents in)",
		FlagSet:     flag.NewFlagSet("netid rp", flag.ContinueOnError),
		Subcommands: []*ffcli.Command{create},
	})
}

// claimNames lists the claim vocabulary for the help text.
func claimNames() string {
	var names []string
	for _, c := range rp.Claims() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}
