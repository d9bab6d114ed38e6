package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/admin"
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

Takes the same storage flags as serve, so it works beside a running server.
The registration is recorded in the admin audit trail (netid admin audit).`,
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
			env, err := openAdmin(ctx, f.storage, stderr)
			if err != nil {
				return err
			}
			defer env.Close()
			created, secret, err := env.admin.CreateRP(ctx, localActor(), reg)
			if err != nil {
				return adminFailed(err)
			}
			if f.asJSON {
				return printJSON(stdout, map[string]string{"client_id": created.ClientID, "client_secret": secret})
			}
			fmt.Fprintf(stdout, "relying party %q registered (sector %s, minimum level %s)\nclient_id: %s\nclient_secret (shown once): %s\n",
				created.Name, created.Sector, created.MinAssurance, created.ClientID, secret)
			return nil
		},
	})
	return commandGroup("rp", "netid rp create|list|update|suspend|activate|rotate-secret [flags]",
		"manage relying parties (platforms that log residents in)",
		create, newRPList(stdout, stderr), newRPUpdate(stdout, stderr),
		newRPStatus("suspend", stdout, stderr), newRPStatus("activate", stdout, stderr),
		newRPRotateSecret(stdout, stderr))
}

// claimNames lists the claim vocabulary for the help text.
func claimNames() string {
	var names []string
	for _, c := range rp.Claims() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

func newRPList(stdout, stderr io.Writer) *ffcli.Command {
	var asJSON bool
	return adminCommand("rp list", "netid rp list [--json] [storage flags]",
		"list the registered relying parties",
		"List every relying party in client id order: name, sector, status, minimum\nlevel and approved claims (never secrets).",
		func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print a JSON array of relying parties (the admin API's format)")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("rp list", args); err != nil {
				return err
			}
			views := []admin.RPView{}
			for after := ""; ; {
				page, err := env.admin.RPs(ctx, after, 1000)
				if err != nil {
					return err
				}
				for _, r := range page {
					views = append(views, admin.ViewRP(r))
				}
				if len(page) < 1000 {
					break
				}
				after = page[len(page)-1].ClientID
			}
			if asJSON {
				return printJSON(stdout, views)
			}
			tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "CLIENT ID\tNAME\tSECTOR\tSTATUS\tMIN LEVEL\tCLAIMS")
			for _, v := range views {
				claims := make([]string, len(v.ApprovedClaims))
				for i, c := range v.ApprovedClaims {
					claims[i] = string(c.Claim)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ClientID, v.Name, v.Sector, v.Status, v.MinACR, strings.Join(claims, " "))
			}
			return tw.Flush()
		})
}

// rpUpdateFlags are the flags of `netid rp update`: only those given
// change the registration; a list flag given replaces the whole list.
type rpUpdateFlags struct {
	name           string
	redirectURIs   listFlag
	logoutURIs     listFlag
	clearLogout    bool
	claims         listFlag
	clearClaims    bool
	internetNumber bool
	sharesOnward   bool
	minACR         string
	asJSON         bool
}

// apply changes reg by the flags that were set.
func (f *rpUpdateFlags) apply(fs *flag.FlagSet, reg *rp.Registration) []error {
	var errs []error
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["claim"] && f.clearClaims {
		errs = append(errs, errors.New("--claim and --clear-claims exclude each other"))
	}
	if set["post-logout-redirect-uri"] && f.clearLogout {
		errs = append(errs, errors.New("--post-logout-redirect-uri and --clear-post-logout-redirect-uris exclude each other"))
	}
	if set["name"] {
		reg.Name = f.name
	}
	if set["redirect-uri"] {
		reg.RedirectURIs = f.redirectURIs
	}
	if set["post-logout-redirect-uri"] {
		reg.PostLogoutRedirectURIs = f.logoutURIs
	}
	if f.clearLogout {
		reg.PostLogoutRedirectURIs = nil
	}
	if set["claim"] {
		reg.ApprovedClaims = nil
		for _, c := range f.claims {
			a, err := rp.ParseClaimApproval(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("--claim: %s", strings.TrimPrefix(err.Error(), rp.ErrInvalid.Error()+": ")))
				continue
			}
			reg.ApprovedClaims = append(reg.ApprovedClaims, a)
		}
	}
	if f.clearClaims {
		reg.ApprovedClaims = nil
	}
	if set["internet-number"] {
		reg.MayReceiveInternetNumber = f.internetNumber
	}
	if set["shares-onward"] {
		reg.SharesOnward = f.sharesOnward
	}
	if set["min-acr"] {
		reg.MinAssurance = enrol.Assurance(f.minACR)
	}
	changes := false
	for _, name := range []string{"name", "redirect-uri", "post-logout-redirect-uri", "clear-post-logout-redirect-uris",
		"claim", "clear-claims", "internet-number", "shares-onward", "min-acr"} {
		changes = changes || set[name]
	}
	if !changes {
		errs = append(errs, errors.New("nothing to change: give at least one of --name, --redirect-uri, --post-logout-redirect-uri, --claim, --internet-number, --shares-onward, --min-acr, --clear-claims, --clear-post-logout-redirect-uris"))
	}
	return errs
}

func newRPUpdate(stdout, stderr io.Writer) *ffcli.Command {
	var f rpUpdateFlags
	var fs *flag.FlagSet
	return adminCommand("rp update", "netid rp update CLIENT_ID [--name NAME] [--redirect-uri URI ...] [--claim CLAIM=PURPOSE ...] [...] [storage flags]",
		"change a relying party's registration",
		`Change the registration of relying party CLIENT_ID. Only the flags given
change; a list flag (--redirect-uri, --post-logout-redirect-uri, --claim)
replaces the whole list, so repeat it for every value to keep. The sector
never changes (every pairwise subject would): register a new relying party
instead. The client secret is kept (netid rp rotate-secret replaces it).`,
		func(s *flag.FlagSet) {
			fs = s
			s.StringVar(&f.name, "name", "", "the platform's new `name`")
			s.Var(&f.redirectURIs, "redirect-uri", "a redirect `URI`, matched exactly; repeat for several; replaces the list")
			s.Var(&f.logoutURIs, "post-logout-redirect-uri", "a post-logout redirect `URI`; repeat for several; replaces the list")
			s.BoolVar(&f.clearLogout, "clear-post-logout-redirect-uris", false, "remove every post-logout redirect URI")
			s.Var(&f.claims, "claim", "an approved claim and its purpose, as `claim=purpose`; repeat for several; replaces the list; claims: "+claimNames())
			s.BoolVar(&f.clearClaims, "clear-claims", false, "remove every approved claim")
			s.BoolVar(&f.internetNumber, "internet-number", false, "whether the platform may receive the internet number (--internet-number=false to withdraw it, with its claim)")
			s.BoolVar(&f.sharesOnward, "shares-onward", false, "whether the platform shares data with third parties (--shares-onward=false to unset)")
			s.StringVar(&f.minACR, "min-acr", "", "lowest assurance `level` the platform accepts: low, substantial or high")
			s.BoolVar(&f.asJSON, "json", false, "print the updated relying party as JSON")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("rp update", args, "CLIENT_ID"); err != nil {
				return err
			}
			cur, err := env.admin.RP(ctx, args[0])
			if err != nil {
				return adminFailed(err)
			}
			reg := admin.RegistrationOf(cur)
			if err := configErrors(f.apply(fs, &reg)); err != nil {
				return err
			}
			// The version read makes a concurrent change a conflict
			// rather than something this update silently undoes.
			updated, err := env.admin.UpdateRP(ctx, localActor(), cur.ClientID, reg, cur.Version)
			if err != nil {
				return adminFailed(err)
			}
			if f.asJSON {
				return printJSON(stdout, admin.ViewRP(updated))
			}
			fmt.Fprintf(stdout, "relying party %s updated: %q, sector %s, minimum level %s, status %s\n",
				updated.ClientID, updated.Name, updated.Sector, updated.MinAssurance, updated.Status)
			return nil
		})
}

// newRPStatus is `netid rp suspend` or `netid rp activate`.
func newRPStatus(verb string, stdout, stderr io.Writer) *ffcli.Command {
	var asJSON bool
	short, long := "suspend a relying party: it can no longer log residents in",
		`Suspend relying party CLIENT_ID: authorization, token and userinfo requests
are refused (OAuth unauthorized_client / invalid_client). The OpenID provider
caches registrations for a short time on each node (30 s by default), so a
node may keep serving the platform that long: see docs/operations.md.`
	if verb == "activate" {
		short, long = "let a suspended relying party log residents in again",
			"Activate relying party CLIENT_ID again after netid rp suspend."
	}
	return adminCommand("rp "+verb, "netid rp "+verb+" CLIENT_ID [--json] [storage flags]", short, long,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the relying party as JSON")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("rp "+verb, args, "CLIENT_ID"); err != nil {
				return err
			}
			change := env.admin.SuspendRP
			if verb == "activate" {
				change = env.admin.ActivateRP
			}
			r, err := change(ctx, localActor(), args[0])
			if err != nil {
				return adminFailed(err)
			}
			if asJSON {
				return printJSON(stdout, admin.ViewRP(r))
			}
			fmt.Fprintf(stdout, "relying party %s (%q) is %s\n", r.ClientID, r.Name, r.Status)
			return nil
		})
}

func newRPRotateSecret(stdout, stderr io.Writer) *ffcli.Command {
	var asJSON bool
	return adminCommand("rp rotate-secret", "netid rp rotate-secret CLIENT_ID [--json] [storage flags]",
		"give a relying party a new client secret and print it once",
		`Replace the client secret of relying party CLIENT_ID. The new secret is
printed once and stored only as a hash; the old one stops working (within the
OpenID provider's client cache time on each node: see docs/operations.md).`,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print {\"client_id\", \"client_secret\"} as JSON")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("rp rotate-secret", args, "CLIENT_ID"); err != nil {
				return err
			}
			secret, err := env.admin.RotateRPSecret(ctx, localActor(), args[0])
			if err != nil {
				return adminFailed(err)
			}
			if asJSON {
				return printJSON(stdout, admin.ClientCredentials{ClientID: args[0], ClientSecret: secret})
			}
			fmt.Fprintf(stdout, "relying party %s has a new secret\nclient_secret (shown once): %s\n", args[0], secret)
			return nil
		})
}
