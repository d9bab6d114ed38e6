package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
)

// buildAdmin builds the operator's service over the service's store and the
// enrolment's CA, identity opener and transparency log: the same for serve
// (the admin API and the statistics on /metrics) and the commands.
func buildAdmin(svc *service, en *enrolment, log *slog.Logger, opts ...admin.Option) (*admin.Service, error) {
	return admin.New(admin.Deps{
		Store: svc.store, Stats: svc.store, RPs: rp.NewService(svc.store), CA: en.ca,
		Certificates: svc.store, Residents: svc.store, Identities: en.svc, Log: en.log,
	}, admin.Config{EnrolmentTTL: en.svc.Config().EnrolmentTTL}, append([]admin.Option{admin.WithLogger(log)}, opts...)...)
}

// adminEnv is what an operator command opens: the store and keys, the
// enrolment service (for the CA, identities and the log) and the admin
// service over them.
type adminEnv struct {
	svc   *service
	en    *enrolment
	admin *admin.Service
}

func (e *adminEnv) Close() {
	e.en.Close()
	e.svc.Close()
}

// openAdmin opens the data dir and the store the flags name (migrating the
// schema, as the other operator commands do) and builds the admin service.
// Its log line of each admin action goes to stderr as text, so that stdout
// stays the command's output.
func openAdmin(ctx context.Context, f storageFlags, stderr io.Writer) (*adminEnv, error) {
	quiet := slog.New(slog.DiscardHandler)
	svc, err := openService(ctx, f, quiet, true)
	if err != nil {
		return nil, err
	}
	var ef enrolFlags
	ef.register(flag.NewFlagSet("defaults", flag.ContinueOnError))
	en, err := buildEnrolment(ctx, svc, ef, "127.0.0.1", nil, true, quiet)
	if err != nil {
		svc.Close()
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := buildAdmin(svc, en, log)
	if err != nil {
		en.Close()
		svc.Close()
		return nil, err
	}
	return &adminEnv{svc: svc, en: en, admin: a}, nil
}

// localActor is the admin of an operator command: the operating system
// account that runs it. Whoever can run netid against the data dir holds
// every key already, so the account is the authentication; the audit
// trail records it.
func localActor() admin.Actor {
	name := ""
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	} else if v := os.Getenv("USER"); v != "" {
		name = v
	} else {
		name = fmt.Sprintf("uid-%d", os.Getuid())
	}
	return admin.Actor{Name: admin.LocalPrefix + name, Channel: admin.ChannelCommand}
}

// positional parses args as fs's flags with positional arguments anywhere
// among them ("revoke SERIAL --reason r" as well as "revoke --reason r
// SERIAL"), which the flag package alone stops at, and returns the
// positional arguments. Everything after "--" is positional.
func positional(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	return pos, nil
}

// wantArgs checks the number of positional arguments.
func wantArgs(cmd string, args []string, names ...string) error {
	if len(args) != len(names) {
		return exitError{code: exitUsage, msg: fmt.Sprintf("%s takes %s, got %q", cmd, strings.Join(names, " "), args)}
	}
	return nil
}

// adminFailed turns an admin action's error into the command's: refusals
// of the operator's input are exit 1 with the reason, the rest as is.
func adminFailed(err error) error {
	switch admin.OutcomeOf(err) {
	case admin.OutcomeInvalid, admin.OutcomeNotFound, admin.OutcomeConflict, admin.OutcomeGone:
		return exitError{code: 1, msg: err.Error()}
	}
	return err
}

// adminCommand builds one admin leaf command with the storage flags, the
// flags set by flags, and interspersed positional arguments.
func adminCommand(name, usageLine, short, long string, flags func(fs *flag.FlagSet), stderr io.Writer,
	exec func(ctx context.Context, env *adminEnv, args []string) error) *ffcli.Command {
	var storage storageFlags
	fs := flag.NewFlagSet("netid "+name, flag.ContinueOnError)
	storage.register(fs)
	if flags != nil {
		flags(fs)
	}
	parts := strings.Fields(name)
	return newCommand(&ffcli.Command{
		Name:       parts[len(parts)-1],
		ShortUsage: usageLine,
		ShortHelp:  short,
		LongHelp:   long + "\n\nTakes the same storage flags as serve, so it works beside a running server.\nThe action is recorded in the admin audit trail (netid admin audit).",
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			args, err := positional(fs, args)
			if err != nil {
				return exitError{code: exitUsage, msg: err.Error()}
			}
			if err := configErrors(storage.validate()); err != nil {
				return err
			}
			env, err := openAdmin(ctx, storage, stderr)
			if err != nil {
				return err
			}
			defer env.Close()
			return exec(ctx, env, args)
		},
	})
}

// commandGroup is a command that only holds subcommands.
func commandGroup(name, usageLine, short string, subs ...*ffcli.Command) *ffcli.Command {
	return newCommand(&ffcli.Command{
		Name:        name[strings.LastIndex(name, " ")+1:],
		ShortUsage:  usageLine,
		ShortHelp:   short,
		FlagSet:     flag.NewFlagSet("netid "+name, flag.ContinueOnError),
		Subcommands: subs,
	})
}

func newAdminCommand(stdout, stderr io.Writer) *ffcli.Command {
	return commandGroup("admin", "netid admin <command> [flags]",
		"operator tools: admin API tokens, certificates, lawful access, statistics, the audit trail, keys",
		commandGroup("admin token", "netid admin token create|list|revoke [flags]", "manage admin API tokens",
			newAdminTokenCreate(stdout, stderr), newAdminTokenList(stdout, stderr), newAdminTokenRevoke(stdout, stderr)),
		commandGroup("admin cert", "netid admin cert revoke|revoke-all [flags]", "revoke internet certificates",
			newAdminCertRevoke(stdout, stderr), newAdminCertRevokeAll(stdout, stderr)),
		newAdminLawfulAccess(stdout, stderr),
		newAdminStats(stdout, stderr),
		newAdminAudit(stdout, stderr),
		newAdminKeysCommand(stdout, stderr),
	)
}

func newAdminTokenCreate(stdout, stderr io.Writer) *ffcli.Command {
	var name string
	var asJSON bool
	return adminCommand("admin token create", "netid admin token create --name NAME [--json] [storage flags]",
		"create an admin API token and print it once",
		`Create a token for the admin API (serve --admin-addr). The token is printed
once and stored only as a hash: hand it to its holder over a secure channel.
It is sent as "Authorization: Bearer <token>", and every action taken with it
is audited under its name. Two usable tokens cannot share a name.`,
		func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "whose token it is (a person or a system), recorded with every action taken with it (required)")
			fs.BoolVar(&asJSON, "json", false, "print {\"id\", \"name\", \"token\"} as JSON")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin token create", args); err != nil {
				return err
			}
			if name == "" {
				return configErrors([]error{errors.New("--name is required")})
			}
			t, token, err := env.admin.CreateToken(ctx, localActor(), name)
			if err != nil {
				return adminFailed(err)
			}
			if asJSON {
				return printJSON(stdout, map[string]string{"id": t.ID, "name": t.Name, "token": token})
			}
			fmt.Fprintf(stdout, "admin token %s created for %q\ntoken (shown once): %s\n", t.ID, t.Name, token)
			return nil
		})
}

func newAdminTokenList(stdout, stderr io.Writer) *ffcli.Command {
	var asJSON bool
	return adminCommand("admin token list", "netid admin token list [--json] [storage flags]",
		"list admin API tokens (never their secrets)",
		"List every admin API token, revoked ones included, oldest first.",
		func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print a JSON array") }, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin token list", args); err != nil {
				return err
			}
			ts, err := env.admin.Tokens(ctx)
			if err != nil {
				return err
			}
			views := make([]admin.TokenView, len(ts))
			for i, t := range ts {
				views[i] = admin.ViewToken(t)
			}
			if asJSON {
				return printJSON(stdout, views)
			}
			tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tCREATED\tREVOKED")
			for _, v := range views {
				revoked := "-"
				if v.Revoked != nil {
					revoked = v.Revoked.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Created.Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		})
}

func newAdminTokenRevoke(stdout, stderr io.Writer) *ffcli.Command {
	return adminCommand("admin token revoke", "netid admin token revoke ID [storage flags]",
		"revoke an admin API token at once",
		"Revoke the admin API token ID (see netid admin token list): the next request\nmade with it is refused, on every node.",
		nil, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin token revoke", args, "ID"); err != nil {
				return err
			}
			t, err := env.admin.RevokeToken(ctx, localActor(), args[0])
			if err != nil {
				return adminFailed(err)
			}
			fmt.Fprintf(stdout, "admin token %s (%q) revoked\n", t.ID, t.Name)
			return nil
		})
}

// reasonFlag registers --reason on fs.
func reasonFlag(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "reason", "", "RFC 5280 revocation `reason` (required): unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation or privilegeWithdrawn")
}

// parseReason checks --reason.
func parseReason(s string) (credential.RevocationReason, error) {
	if s == "" {
		return 0, configErrors([]error{errors.New("--reason is required: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation or privilegeWithdrawn")})
	}
	r, err := credential.ParseRevocationReason(s)
	if err != nil {
		return 0, configErrors([]error{fmt.Errorf("--reason: %q is not unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation or privilegeWithdrawn", s)})
	}
	return r, nil
}

func newAdminCertRevoke(stdout, stderr io.Writer) *ffcli.Command {
	var reason string
	var asJSON bool
	return adminCommand("admin cert revoke", "netid admin cert revoke SERIAL --reason REASON [--json] [storage flags]",
		"revoke one internet certificate",
		`Revoke the internet certificate with serial number SERIAL (hexadecimal, as
netid verify prints it). The revocation is recorded in the holder's
transparency log, OCSP answers "revoked" at once, and every node's /crl lists
it within a minute (at once on the node that revoked it). Revocation is final.`,
		func(fs *flag.FlagSet) {
			reasonFlag(fs, &reason)
			fs.BoolVar(&asJSON, "json", false, "print the revoked certificate as JSON")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin cert revoke", args, "SERIAL"); err != nil {
				return err
			}
			r, err := parseReason(reason)
			if err != nil {
				return err
			}
			rec, err := env.admin.RevokeCertificate(ctx, localActor(), args[0], r)
			if err != nil {
				return adminFailed(err)
			}
			if asJSON {
				return printJSON(stdout, admin.ViewCertificate(rec))
			}
			fmt.Fprintf(stdout, "certificate %s of %s revoked at %s (%s)\n", rec.Serial, rec.InternetNumber,
				rec.RevokedAt.Format(time.RFC3339), rec.Reason)
			return nil
		})
}

func newAdminCertRevokeAll(stdout, stderr io.Writer) *ffcli.Command {
	var reason string
	var asJSON bool
	return adminCommand("admin cert revoke-all", "netid admin cert revoke-all INTERNET_NUMBER --reason REASON [--json] [storage flags]",
		"revoke every certificate of an internet number",
		`Revoke every certificate of INTERNET_NUMBER that is not revoked yet (expired
ones included, so that OCSP answers "revoked" for them). Running it again
revokes nothing more and is not an error. Each revocation is recorded in the
resident's transparency log.`,
		func(fs *flag.FlagSet) {
			reasonFlag(fs, &reason)
			fs.BoolVar(&asJSON, "json", false, "print {\"internet_number\", \"revoked\"} as JSON")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin cert revoke-all", args, "INTERNET_NUMBER"); err != nil {
				return err
			}
			r, err := parseReason(reason)
			if err != nil {
				return err
			}
			n, err := env.admin.RevokeCertificatesOf(ctx, localActor(), args[0], r)
			if err != nil {
				return adminFailed(err)
			}
			num, _ := credential.ParseInternetNumber(args[0])
			if asJSON {
				return printJSON(stdout, admin.RevokedAll{InternetNumber: string(num), Revoked: n})
			}
			fmt.Fprintf(stdout, "%d certificate(s) of %s revoked (%s)\n", n, num, r)
			return nil
		})
}

func newAdminLawfulAccess(stdout, stderr io.Writer) *ffcli.Command {
	var req admin.LawfulAccessRequest
	var delay string
	var asJSON bool
	return adminCommand("admin lawful-access",
		"netid admin lawful-access --internet-number N --authority CODE --legal-basis CITATION --ref CASE --notice-delay DURATION [--json] [storage flags]",
		"disclose the identity behind an internet number to an authority, and log it",
		`Record a lawful access: an authority obtains the identity behind an internet
number. The access is appended to the resident's transparency log at once
(authority, legal basis, case reference, the claims disclosed, and until when
the resident's notice is delayed); then the identity is printed, for the
operator to hand to the authority. The entry's content is withheld from the
resident's listing until --notice-delay has passed, but the entry is there
from the start. The action is audited. Authority, legal basis and case
reference are codes and citations without spaces, never prose.`,
		func(fs *flag.FlagSet) {
			fs.StringVar(&req.InternetNumber, "internet-number", "", "the internet `number` the authority asks about (required)")
			fs.StringVar(&req.Authority, "authority", "", "the `code` under which the requesting authority is registered: letters, digits, ._:- (required)")
			fs.StringVar(&req.LegalBasis, "legal-basis", "", "the `citation` of the legal basis: statute and article, warrant or case number; letters, digits, ._:/()- (required)")
			fs.StringVar(&req.Ref, "ref", "", "the operator's case `reference`: letters, digits, ._:- (required)")
			fs.StringVar(&delay, "notice-delay", "", "how long the resident's notice is delayed, as a `duration` (720h; 0s for none; at most 8760h) (required)")
			fs.BoolVar(&asJSON, "json", false, "print the log entry and the identity as JSON")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin lawful-access", args); err != nil {
				return err
			}
			var errs []error
			for _, f := range []struct{ flag, value string }{{"--internet-number", req.InternetNumber},
				{"--authority", req.Authority}, {"--legal-basis", req.LegalBasis}, {"--ref", req.Ref},
				{"--notice-delay", delay}} {
				if f.value == "" {
					errs = append(errs, fmt.Errorf("%s is required", f.flag))
				}
			}
			if delay != "" {
				d, err := time.ParseDuration(delay)
				if err != nil {
					errs = append(errs, fmt.Errorf("--notice-delay: %q is not a duration such as 720h", delay))
				}
				req.NoticeDelay = d
			}
			if err := configErrors(errs); err != nil {
				return err
			}
			res, err := env.admin.LawfulAccess(ctx, localActor(), req)
			if err != nil {
				return adminFailed(err)
			}
			v := admin.ViewLawfulAccess(res)
			if asJSON {
				return printJSON(stdout, v)
			}
			fmt.Fprintf(stdout, "lawful access recorded in the transparency log of %s: entry %s (leaf %d) at %s; notice delayed until %s\n\n",
				v.InternetNumber, v.EntryID, v.LogIndex, v.Time.Format(time.RFC3339), v.NoticeDelayedUntil.Format(time.RFC3339))
			tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
			for _, kv := range [][2]string{{"name", v.Identity.Name}, {"birth date", v.Identity.BirthDate},
				{"sex", v.Identity.Sex}, {"nationality", v.Identity.Nationality},
				{"document type", v.Identity.DocumentType}, {"document number", v.Identity.DocumentNumber},
				{"issuing state", v.Identity.IssuingState}, {"document expiry", v.Identity.DocumentExpiry},
				{"identity anchor", v.Identity.AnchorAuthority + " " + v.Identity.AnchorPerson},
				{"assisted", v.Identity.AssistedKind}} {
				if strings.TrimSpace(kv[1]) != "" {
					fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
				}
			}
			return tw.Flush()
		})
}

func newAdminStats(stdout, stderr io.Writer) *ffcli.Command {
	var from, to string
	var asJSON bool
	return adminCommand("admin stats", "netid admin stats [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json] [storage flags]",
		"print statistics: residents, activations, enrolments, logins per day",
		`Print the statistics: enrolled residents by status, residents holding a valid
certificate (activated), enrolments open and started, and per UTC day from
--from to --to (default: the last 7 days) enrolments completed and logins by
platform and assurance level. The same figures are served by the admin API
(GET /admin/v1/stats) and, for today, on /metrics. Reading statistics is not
an admin action and is not audited.`,
		func(fs *flag.FlagSet) {
			fs.StringVar(&from, "from", "", "first `day` (YYYY-MM-DD, UTC); default: 6 days before --to")
			fs.StringVar(&to, "to", "", "last `day` (YYYY-MM-DD, UTC); default: today")
			fs.BoolVar(&asJSON, "json", false, "print the statistics as JSON (the admin API's format)")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin stats", args); err != nil {
				return err
			}
			first, last, err := admin.DayRange(from, to, time.Now())
			if err != nil {
				return configErrors([]error{err})
			}
			st, err := env.admin.Stats(ctx, first, last)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(stdout, st)
			}
			printStats(stdout, st)
			return nil
		})
}

// printStats prints st for a terminal.
func printStats(w io.Writer, st admin.Stats) {
	fmt.Fprintf(w, "statistics at %s\n\n", st.Time.Format(time.RFC3339))
	fmt.Fprintf(w, "residents: %d", st.Residents.Total)
	for _, status := range slices.Sorted(maps.Keys(st.Residents.ByStatus)) {
		fmt.Fprintf(w, ", %s %d", status, st.Residents.ByStatus[status])
	}
	fmt.Fprintf(w, "\nactivated (holding a valid certificate): %d\n", st.Residents.Activated)
	fmt.Fprintf(w, "enrolments open: %d; started since %s: %d\n\n", st.Enrolments.Open,
		st.Enrolments.StartedSince.Format(time.RFC3339), st.Enrolments.Started)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tSTARTED\tCOMPLETED\tLOGINS\tBY PLATFORM AND LEVEL")
	for _, d := range st.Days {
		started := "-"
		if d.EnrolmentsStarted != nil {
			started = fmt.Sprint(*d.EnrolmentsStarted)
		}
		var by []string
		for _, a := range d.Authentications {
			by = append(by, fmt.Sprintf("%s/%s %d", a.ClientID, a.Level, a.Count))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", d.Date, started, d.EnrolmentsCompleted, d.AuthenticationsTotal, strings.Join(by, ", "))
	}
	tw.Flush()
	fmt.Fprintln(w, "\n(started per day is known only since the time above: older enrolments are deleted when they expire)")
}

func newAdminAudit(stdout, stderr io.Writer) *ffcli.Command {
	var since string
	var limit int
	var asJSON bool
	return adminCommand("admin audit", "netid admin audit [--since 24h|TIME] [--limit N] [--json] [storage flags]",
		"list the admin audit trail",
		`List the admin actions (API and commands) from --since on, oldest first:
time, admin, channel, action, target, outcome and detail. Refused and failed
attempts are listed too. Listing the trail is not itself audited.`,
		func(fs *flag.FlagSet) {
			fs.StringVar(&since, "since", "24h", "list from this `time`: a duration back from now (24h, 720h) or an RFC 3339 time; 0 for the whole trail")
			fs.IntVar(&limit, "limit", 1000, "list at most `n` records (1 to 10000)")
			fs.BoolVar(&asJSON, "json", false, "print a JSON array")
		}, stderr,
		func(ctx context.Context, env *adminEnv, args []string) error {
			if err := wantArgs("admin audit", args); err != nil {
				return err
			}
			from, err := parseSince(since, time.Now())
			if err != nil {
				return configErrors([]error{err})
			}
			recs, err := env.admin.Audit(ctx, from, limit)
			if err != nil {
				return adminFailed(err)
			}
			views := make([]admin.AuditView, len(recs))
			for i, r := range recs {
				views[i] = admin.ViewAudit(r)
			}
			if asJSON {
				return printJSON(stdout, views)
			}
			tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tADMIN\tCHANNEL\tACTION\tTARGET\tOUTCOME\tDETAIL")
			for _, v := range views {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.At.Format(time.RFC3339), v.Admin, v.Channel,
					v.Action, v.Target, v.Outcome, v.Detail)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(recs) == limit {
				fmt.Fprintf(stderr, "netid: listed the first %d records; raise --limit or move --since for more\n", limit)
			}
			return nil
		})
}

// parseSince reads --since: a duration back from now, an RFC 3339 time, or
// 0 for the beginning.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "0" || s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since: %q is negative", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since: %q is neither a duration (24h) nor an RFC 3339 time", s)
	}
	return t, nil
}

// adminServer is the admin API's own HTTP server, for serve --admin-addr.
type adminServer struct {
	addr string
	srv  *httpapi.Server
}

// checkAdminAddr validates --admin-addr: empty (the admin API is off) or
// host:port, not the public address.
func checkAdminAddr(addr, public string) []error {
	if addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return []error{fmt.Errorf("--admin-addr (%s): %q is not host:port", env("admin-addr"), addr)}
	}
	if addr == public {
		return []error{fmt.Errorf("--admin-addr (%s) must differ from --addr: the admin API has its own listener", env("admin-addr"))}
	}
	return nil
}

// setUpAdmin registers the statistics collector on the public server's
// /metrics and, when addr is set, builds the admin API on a server of its
// own, with the same middleware (request ids, logs, metrics, problems,
// body limit) and readiness checks of the store and keys.
func setUpAdmin(svc *service, en *enrolment, prov *oidc.Provider, pub *httpapi.Server, cfg httpapi.Config, addr string, log *slog.Logger) (*adminServer, error) {
	// A change made through this node's admin API takes effect here at
	// once; other nodes see it when their client cache expires.
	a, err := buildAdmin(svc, en, log, admin.WithRPChanged(prov.ForgetClient))
	if err != nil {
		return nil, err
	}
	if err := pub.Registry().Register(admin.NewCollector(a, 0, admin.WithCollectorLogger(log))); err != nil {
		return nil, fmt.Errorf("registering statistics: %w", err)
	}
	if addr == "" {
		return nil, nil
	}
	api, err := admin.NewAPI(a, svc.store, svc.keys, admin.WithAPILogger(log))
	if err != nil {
		return nil, err
	}
	srv := httpapi.New(cfg, log,
		httpapi.WithReadyCheck(httpapi.ReadyCheck{Name: "store", Check: svc.store.Ping}),
		httpapi.WithReadyCheck(httpapi.ReadyCheck{Name: "keys", Check: func(context.Context) error { return svc.keys.Check() }}))
	for pattern, h := range api.Routes() {
		srv.Handle(pattern, h)
	}
	return &adminServer{addr: addr, srv: srv}, nil
}

// serveAll serves the public server on ln and, if adm is set, the admin API
// on its own address, until ctx ends; both then shut down gracefully. If
// either stops with an error, the other is stopped too and the first error
// is returned.
func serveAll(ctx context.Context, ln net.Listener, pub http.Handler, adm *adminServer, t httpapi.Timeouts, log *slog.Logger) error {
	if adm == nil {
		return httpapi.Run(ctx, ln, pub, t, log)
	}
	aln, err := net.Listen("tcp", adm.addr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listening on --admin-addr %s: %w", adm.addr, err)
	}
	log.Info("netid admin API serving", "admin_addr", aln.Addr().String())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	adminDone := make(chan error, 1)
	go func() {
		err := httpapi.Run(ctx, aln, adm.srv, t, log.With("listener", "admin"))
		if err != nil {
			cancel()
		}
		adminDone <- err
	}()
	err = httpapi.Run(ctx, ln, pub, t, log)
	cancel()
	if aerr := <-adminDone; err == nil && aerr != nil {
		err = fmt.Errorf("admin API: %w", aerr)
	}
	return err
}
