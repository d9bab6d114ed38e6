package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/wallet"
)

// exitLogTampered is the exit code of netid wallet history --verify when
// the transparency log does not verify: distinct from a refusal or a
// network failure, so that a script can tell the operator cheated.
const exitLogTampered = 4

// signedIn opens the wallet, signs in to the resident API with its device
// key and runs fn with the session, signing out after.
func (f *walletFlags) signedIn(ctx context.Context, stderr io.Writer, fn func(w *wallet.Wallet, c *wallet.Client, token string) error) error {
	w, c, err := f.openClient(stderr)
	if err != nil {
		return err
	}
	s, err := c.SignIn(ctx, w, time.Now())
	if err != nil {
		return walletError(err)
	}
	defer func() {
		// A session that cannot be ended expires within minutes.
		_ = c.SignOut(context.WithoutCancel(ctx), s.Token)
	}()
	return fn(w, c, s.Token)
}

// noArgs refuses positional arguments.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return exitError{code: exitUsage, msg: fmt.Sprintf("wallet %s takes no arguments, got %q", name, args)}
	}
	return nil
}

const signInNote = `The wallet signs in to the resident API (/v1/me) with its device key, by a
presentation of its certificate answering the server's challenge; no
password is needed, and a lock on the password or the account does not
stop it (the device key is what unlocks them).`

func newWalletHistoryCommand(stdout, stderr io.Writer) *ffcli.Command {
	var wf walletFlags
	var verify, asJSON bool
	fs := flag.NewFlagSet("netid wallet history", flag.ContinueOnError)
	wf.register(fs)
	fs.BoolVar(&verify, "verify", false, "verify the history against the transparency log: signatures, inclusion, consistency, chain")
	fs.BoolVar(&asJSON, "json", false, "print the entries as JSON")
	return newCommand(&ffcli.Command{
		Name:       "history",
		ShortUsage: "netid wallet history [--wallet DIR] [--verify] [--json]",
		ShortHelp:  "list, and verify, everything the transparency log recorded about you",
		LongHelp: `List the resident's transparency log: every disclosure to a platform, consent
given or withdrawn, certificate issued or revoked, account event (locks,
export, a guardian's actions), lawful access. Entries name platforms and
claims, never values.

With --verify the wallet trusts nothing the server says: it pins the log's
verifier keys from /translog/keys the first time (kept in wallet.json), checks
that each checkpoint is signed by them, that every entry is in the tree of
the checkpoint (inclusion proof), that the log extends the checkpoint the
wallet saved last time (consistency proof), and that the entries form an
unbroken chain through the last one it saw. On success it saves the new
checkpoint; on failure it exits 4 with "the operator dropped or rewrote
entries of your transparency log" and what failed.

` + signInNote,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs("history", args); err != nil {
				return err
			}
			return wf.signedIn(ctx, stderr, func(w *wallet.Wallet, c *wallet.Client, token string) error {
				var es []wallet.HistoryEntry
				if verify {
					report, err := wallet.VerifyHistory(ctx, w, c, token, time.Now())
					if errors.Is(err, wallet.ErrLogTampered) {
						return exitError{code: exitLogTampered, msg: "VERIFICATION FAILED: " + err.Error()}
					}
					if err != nil {
						return walletError(err)
					}
					es = report.Entries
					if report.Pinned {
						fmt.Fprintf(stderr, "Pinned the verifier keys of log %s (first check).\n", report.Origin)
					}
					fmt.Fprintf(stderr, "Verified: %d entries, each in the log's tree of %d entries signed at %s; ",
						len(es), report.TreeSize, report.CheckpointTime.Format(time.RFC3339))
					if report.PreviousSize > 0 {
						fmt.Fprintf(stderr, "the log extends the %d entries seen before; %d new.\n", report.PreviousSize, report.New)
					} else {
						fmt.Fprintln(stderr, "checkpoint saved for the next check.")
					}
				} else {
					for after := uint64(0); ; {
						p, err := c.History(ctx, token, -1, after)
						if err != nil {
							return walletError(err)
						}
						es = append(es, p.Entries...)
						if !p.More || len(p.Entries) == 0 {
							break
						}
						after = p.Entries[len(p.Entries)-1].Seq
					}
				}
				if asJSON {
					return printJSON(stdout, es)
				}
				return printHistory(stdout, es)
			})
		},
	})
}

// printHistory prints entries as a table.
func printHistory(out io.Writer, es []wallet.HistoryEntry) error {
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tWHAT\tPLATFORM\tCLAIMS\tDETAIL")
	for _, e := range es {
		if e.Entry == nil {
			fmt.Fprintf(tw, "%d\t\twithheld (a lawful access whose notice is delayed)\t\t\t\n", e.Seq)
			continue
		}
		en := e.Entry
		what := en.Kind
		if en.Event != "" {
			what += " " + en.Event
		}
		detail := en.Ref
		if e.Guardian != "" {
			detail = "by your guardian " + e.Guardian
		}
		if en.Authority != "" {
			detail = en.Authority + " " + en.LegalBasis
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, en.Time.Format(time.RFC3339), what, en.ClientID,
			strings.Join(en.Claims, ","), detail)
	}
	return tw.Flush()
}

func newWalletExportCommand(stdout, stderr io.Writer) *ffcli.Command {
	var wf walletFlags
	var out string
	fs := flag.NewFlagSet("netid wallet export", flag.ContinueOnError)
	wf.register(fs)
	fs.StringVar(&out, "out", "", "`file` or directory to write the export to (0600); default: standard output")
	return newCommand(&ffcli.Command{
		Name:       "export",
		ShortUsage: "netid wallet export [--wallet DIR] [--out FILE|DIR]",
		ShortHelp:  "download everything netid holds about you, as one JSON file",
		LongHelp: `Download the export of all the resident's data: the data held (identity
attributes, phone, guardians or minors, locks), every disclosure, the
consents, the certificates, and the whole transparency log with its
proofs; one JSON document. It holds personal data: the file is written 0600.
The export is recorded in the resident's transparency log.

` + signInNote,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs("export", args); err != nil {
				return err
			}
			return wf.signedIn(ctx, stderr, func(w *wallet.Wallet, c *wallet.Client, token string) error {
				b, name, err := c.Export(ctx, token)
				if err != nil {
					return walletError(err)
				}
				if out == "" {
					_, err := stdout.Write(b)
					return err
				}
				path := out
				if st, err := os.Stat(out); err == nil && st.IsDir() {
					path = filepath.Join(out, name)
				}
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return refused(fmt.Errorf("writing the export: %w", err))
				}
				if _, err := f.Write(b); err != nil {
					f.Close()
					return refused(fmt.Errorf("writing the export: %w", err))
				}
				if err := f.Close(); err != nil {
					return refused(fmt.Errorf("writing the export: %w", err))
				}
				fmt.Fprintf(stderr, "Export written to %s (%d bytes).\n", path, len(b))
				return nil
			})
		},
	})
}

func newWalletConsentsCommand(stdout, stderr io.Writer) *ffcli.Command {
	var wf walletFlags
	var withdraw, minor string
	fs := flag.NewFlagSet("netid wallet consents", flag.ContinueOnError)
	wf.register(fs)
	registerMinorFlag(fs, &minor)
	fs.StringVar(&withdraw, "withdraw", "", "withdraw the consent given to the platform of this client `id`: its tokens are revoked")
	return newCommand(&ffcli.Command{
		Name:       "consents",
		ShortUsage: "netid wallet consents [--wallet DIR] [--minor ID] [--withdraw CLIENT_ID]",
		ShortHelp:  "list the consents you gave platforms, or withdraw one",
		LongHelp: `Print, as JSON, every platform with a consent the resident asked netid
to remember or with live access (tokens from a consent given for one
login, such as a refresh token): the platform, the claims with their
stated purposes and whether each was granted, "remembered", "live_access"
and the access (claims released, expiry, refresh token). With --withdraw,
withdraw the consent given to that platform, remembered or not: its access
and refresh tokens are revoked at once, its next login asks again, and the
withdrawal is recorded in the transparency log.

` + minorNote + `

` + signInNote,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs("consents", args); err != nil {
				return err
			}
			return wf.signedIn(ctx, stderr, func(_ *wallet.Wallet, c *wallet.Client, token string) error {
				acct := accountAPI{c: c, token: token, minor: minor}
				if withdraw != "" {
					if err := acct.withdrawConsent(ctx, withdraw); err != nil {
						return walletError(err)
					}
					fmt.Fprintf(stderr, "Consent to %s withdrawn; its tokens are revoked.\n", withdraw)
				}
				cs, err := acct.consents(ctx)
				if err != nil {
					return walletError(err)
				}
				return printJSON(stdout, cs)
			})
		},
	})
}

func newWalletCertificatesCommand(stdout, stderr io.Writer) *ffcli.Command {
	var wf walletFlags
	var revoke, reason, minor string
	fs := flag.NewFlagSet("netid wallet certificates", flag.ContinueOnError)
	wf.register(fs)
	registerMinorFlag(fs, &minor)
	fs.StringVar(&revoke, "revoke", "", "revoke the certificate of this `serial` (hexadecimal)")
	fs.StringVar(&reason, "reason", "unspecified", "`reason` of a revocation: unspecified, keyCompromise (lost or stolen device) or cessationOfOperation")
	return newCommand(&ffcli.Command{
		Name:       "certificates",
		ShortUsage: "netid wallet certificates [--wallet DIR] [--minor ID] [--revoke SERIAL [--reason R]]",
		ShortHelp:  "list your internet certificates, or revoke one",
		LongHelp: `Print the resident's internet certificates as JSON: serial, status (valid,
expired, revoked), validity, device-key fingerprint, PEM. With --revoke,
revoke that certificate first (recorded in the transparency log); revoking
this wallet's own certificate ends its ability to sign in or present.

` + minorNote + `

` + signInNote,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs("certificates", args); err != nil {
				return err
			}
			return wf.signedIn(ctx, stderr, func(_ *wallet.Wallet, c *wallet.Client, token string) error {
				acct := accountAPI{c: c, token: token, minor: minor}
				if revoke != "" {
					if err := acct.revokeCertificate(ctx, revoke, reason); err != nil {
						return walletError(err)
					}
					fmt.Fprintf(stderr, "Certificate %s revoked (%s).\n", revoke, reason)
				}
				cs, err := acct.certificates(ctx)
				if err != nil {
					return walletError(err)
				}
				return printJSON(stdout, cs)
			})
		},
	})
}

func newWalletLockCommand(stdout, stderr io.Writer, lock bool) *ffcli.Command {
	var wf walletFlags
	name, verb := "unlock", "Unlock"
	if lock {
		name, verb = "lock", "Lock"
	}
	var minor string
	fs := flag.NewFlagSet("netid wallet "+name, flag.ContinueOnError)
	wf.register(fs)
	registerMinorFlag(fs, &minor)
	return newCommand(&ffcli.Command{
		Name:       name,
		ShortUsage: "netid wallet " + name + " [--wallet DIR] [--minor ID] password|dynamic-code|wallet|account",
		ShortHelp:  strings.ToLower(verb) + " a way of signing in, or the whole account",
		LongHelp: verb + ` a way of signing in: password, dynamic-code, wallet, or account (every
way at once). A locked method fails at once, with a message saying so, at
every platform and at the resident API; a lock and an unlock are recorded in
the transparency log. Prints the lock's state as JSON.

` + minorNote + `

` + signInNote,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("wallet %s takes one method: password, dynamic-code, wallet or account", name)}
			}
			return wf.signedIn(ctx, stderr, func(_ *wallet.Wallet, c *wallet.Client, token string) error {
				st, err := accountAPI{c: c, token: token, minor: minor}.setLock(ctx, args[0], lock)
				if err != nil {
					return walletError(err)
				}
				return printJSON(stdout, st)
			})
		},
	})
}

func newWalletDeleteCommand(stdout, stderr io.Writer) *ffcli.Command {
	var wf walletFlags
	var confirm string
	fs := flag.NewFlagSet("netid wallet delete", flag.ContinueOnError)
	wf.register(fs)
	fs.StringVar(&confirm, "confirm", "", "the account's internet `number`, typed again to confirm the deletion (required)")
	return newCommand(&ffcli.Command{
		Name:       "delete",
		ShortUsage: "netid wallet delete [--wallet DIR] --confirm INTERNET_NUMBER",
		ShortHelp:  "delete your account for good",
		LongHelp: `Delete the account, for good: every certificate and every platform's tokens
are revoked, consents forgotten, the data key destroyed (the encrypted
identity can never be read again, by anyone), the internet number retired
and never given to anyone else. The transparency log keeps its entries,
which name no one. The wallet signs a fresh challenge to confirm; the
internet number must be typed again with --confirm. Export first (netid
wallet export) if you want a copy. Prints the outcome as JSON.

` + signInNote,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs("delete", args); err != nil {
				return err
			}
			if confirm == "" {
				return exitError{code: exitUsage, msg: "wallet delete needs --confirm with the account's internet number"}
			}
			return wf.signedIn(ctx, stderr, func(w *wallet.Wallet, c *wallet.Client, token string) error {
				d, err := c.DeleteAccount(ctx, token, w, confirm, time.Now())
				if err != nil {
					return walletError(err)
				}
				fmt.Fprintf(stderr, "Account %s deleted. This wallet can no longer sign in.\n", d.InternetNumber)
				return printJSON(stdout, d)
			})
		},
	})
}
