package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/wallet"
)

// A guardian's wallet: netid wallet minors lists the minors the resident
// is guardian of, and --minor ID on consents, certificates, lock and
// unlock acts on a minor's account instead of the resident's own, through
// the routes /v1/me/minors/{id}/...

// registerMinorFlag adds --minor to a command acting on an account.
func registerMinorFlag(fs *flag.FlagSet, minor *string) {
	fs.StringVar(minor, "minor", "", "act, as their guardian, on the account of the minor of this `id` (netid wallet minors lists them)")
}

const minorNote = `With --minor ID the command acts on the account of a minor the resident is
guardian of (netid wallet minors lists the ids): the action is recorded in
the minor's transparency log, naming the guardian. An id that is not a
minor of this resident today, including one who came of age, is refused
as not found.`

// accountAPI is the resident API over one account: the signed-in
// resident's own, or, when minor is set, that minor's in the hands of the
// resident as their guardian.
type accountAPI struct {
	c     *wallet.Client
	token string
	minor string
}

func (a accountAPI) consents(ctx context.Context) ([]wallet.ConsentInfo, error) {
	if a.minor != "" {
		return a.c.MinorConsents(ctx, a.token, a.minor)
	}
	return a.c.Consents(ctx, a.token)
}

func (a accountAPI) withdrawConsent(ctx context.Context, clientID string) error {
	if a.minor != "" {
		return a.c.MinorWithdrawConsent(ctx, a.token, a.minor, clientID)
	}
	return a.c.WithdrawConsent(ctx, a.token, clientID)
}

func (a accountAPI) certificates(ctx context.Context) ([]wallet.CertificateInfo, error) {
	if a.minor != "" {
		return a.c.MinorCertificates(ctx, a.token, a.minor)
	}
	return a.c.Certificates(ctx, a.token)
}

func (a accountAPI) revokeCertificate(ctx context.Context, serial, reason string) error {
	if a.minor != "" {
		return a.c.MinorRevokeCertificate(ctx, a.token, a.minor, serial, reason)
	}
	return a.c.RevokeCertificate(ctx, a.token, serial, reason)
}

func (a accountAPI) setLock(ctx context.Context, method string, lock bool) (*wallet.LockState, error) {
	if a.minor != "" {
		return a.c.MinorSetLock(ctx, a.token, a.minor, method, lock)
	}
	return a.c.SetLock(ctx, a.token, method, lock)
}

func newWalletMinorsCommand(stdout, stderr io.Writer) *ffcli.Command {
	var wf walletFlags
	var asJSON bool
	fs := flag.NewFlagSet("netid wallet minors", flag.ContinueOnError)
	wf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the minors as JSON")
	return newCommand(&ffcli.Command{
		Name:       "minors",
		ShortUsage: "netid wallet minors [--wallet DIR] [--json]",
		ShortHelp:  "as a guardian, list the minors whose accounts you manage",
		LongHelp: `List the minors the resident is guardian of today: the id that --minor
takes (on netid wallet consents, certificates, lock and unlock), the
internet number, the name, the account's status, the relationship, since
when, and the day the guardianship ends (the minor's coming of age, from
which the guardian no longer acts). A resident who guards no one gets an
empty list.

` + signInNote,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs("minors", args); err != nil {
				return err
			}
			return wf.signedIn(ctx, stderr, func(_ *wallet.Wallet, c *wallet.Client, token string) error {
				ms, err := c.Minors(ctx, token)
				if err != nil {
					return walletError(err)
				}
				if asJSON {
					return printJSON(stdout, ms)
				}
				if len(ms) == 0 {
					fmt.Fprintln(stderr, "You are guardian of no minor.")
					return nil
				}
				tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tINTERNET NUMBER\tNAME\tSTATUS\tRELATIONSHIP\tSINCE\tGUARDIANSHIP ENDS")
				for _, m := range ms {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(m.ID), cell(m.InternetNumber), cell(m.Name),
						cell(m.Status), cell(m.Relationship), m.Since.Format(time.DateOnly), cell(m.GuardianshipEnds))
				}
				return tw.Flush()
			})
		},
	})
}

// cell is a server's string made safe for a table on a terminal: a
// control character (an escape sequence, a tab or a newline that would
// break the columns) becomes "?".
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}
