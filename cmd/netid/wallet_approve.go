package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/wallet"
)

func newWalletApproveCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		wf                                                  walletFlags
		allow                                               string
		deny, plaintext, onward, remember, show, jsonOutput bool
	)
	fs := flag.NewFlagSet("netid wallet approve", flag.ContinueOnError)
	wf.register(fs)
	fs.BoolVar(&deny, "deny", false, "refuse the sign-in: the platform is told the resident declined")
	fs.StringVar(&allow, "allow", "", "comma-separated `claims` to release to the platform (QR login only; age_over_18,name)")
	fs.BoolVar(&plaintext, "allow-plaintext", false, "separately agree that allowed identity data (name, birth date...) is released in plain text (QR login only)")
	fs.BoolVar(&onward, "allow-onward", false, "separately agree that a platform that shares data onward shares it (QR login only)")
	fs.BoolVar(&remember, "remember", false, "remember this consent for the platform's next sign-ins (QR login only)")
	fs.BoolVar(&show, "show", false, "only show what the sign-in asks; answer nothing")
	fs.BoolVar(&jsonOutput, "json", false, "print {\"approval\", \"result\"} as JSON")
	return newCommand(&ffcli.Command{
		Name:       "approve",
		ShortUsage: "netid wallet approve [--deny | --allow CLAIMS [--allow-plaintext] [--allow-onward] [--remember]] [--show] <code-or-url>",
		ShortHelp:  "approve (or deny) a sign-in with the device key",
		LongHelp: `Approve a sign-in waiting for this wallet, named by the code a page shows
(K7QM-3XWD) or by the URL of its QR code:

  <server>/approve/<code>          the second factor of a browser sign-in that
                                   needs level substantial (after the password)
  <server>/device?user_code=<code> a QR login: a platform on another device
                                   (RFC 8628 device authorization)

The wallet fetches what the sign-in asks (the platform, the level, the
claims with the platform's purposes), prints it, and answers with a
presentation of its internet certificate bound to the platform and the
sign-in's challenge, signed by the device key. A browser sign-in must be
approved by the wallet of the account whose password was entered; its
consent is given in the browser. A QR login releases only the claims given
with --allow (and those remembered from earlier sign-ins), plain-text
identity data only with --allow-plaintext, nothing to a platform that
shares onward without --allow-onward. The wallet answers only its own
server: a URL of another server is refused unless --server names it.
Give the flags before the code.

  netid wallet approve --wallet ./w https://id.example/approve/K7QM-3XWD
  netid wallet approve --wallet ./w --allow age_over_18 K7QM-3XWD
  netid wallet approve --wallet ./w --deny K7QM-3XWD`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("wallet approve takes one code or URL, after the flags; got %q", args)}
			}
			ref, err := wallet.ParseApprovalRef(args[0])
			if err != nil {
				return exitError{code: exitUsage, msg: err.Error()}
			}
			opts := wallet.ApproveOptions{Deny: deny, AllowPlaintext: plaintext, AllowOnward: onward, Remember: remember}
			for c := range strings.SplitSeq(allow, ",") {
				if c = strings.TrimSpace(c); c != "" {
					opts.Allow = append(opts.Allow, c)
				}
			}
			w, err := wf.open()
			if err != nil {
				return err
			}
			c, err := wf.client(w, stderr)
			if err != nil {
				return err
			}
			a, err := wallet.FetchApproval(ctx, c, ref)
			if err != nil {
				return walletError(err)
			}
			if show {
				if jsonOutput {
					return printJSON(stdout, map[string]any{"approval": a})
				}
				printApproval(stdout, ref, a)
				return nil
			}
			res, err := wallet.Answer(ctx, w, c, ref, a, opts, time.Now())
			if err != nil {
				return walletError(err)
			}
			if jsonOutput {
				return printJSON(stdout, map[string]any{"approval": a, "result": res})
			}
			printApproval(stdout, ref, a)
			switch {
			case res.Status == "denied":
				fmt.Fprintln(stdout, "denied: the platform is told you declined")
			case a.Kind == wallet.ApprovalKindDevice && len(res.Released) == 0:
				fmt.Fprintln(stdout, "approved: the platform learns only that you were verified, at level "+a.Level)
			case a.Kind == wallet.ApprovalKindDevice:
				fmt.Fprintf(stdout, "approved: the platform receives %s, at level %s\n", strings.Join(res.Released, ", "), a.Level)
			default:
				fmt.Fprintln(stdout, "approved: continue in the browser")
			}
			return nil
		},
	})
}

// printApproval shows the resident what a sign-in asks.
func printApproval(w io.Writer, ref wallet.ApprovalRef, a *wallet.Approval) {
	kind := "QR login on another device"
	if a.Kind == wallet.ApprovalKindLogin {
		kind = "second factor of a browser sign-in (consent is asked in the browser)"
	}
	fmt.Fprintf(w, "sign-in %s at %s (client %s)\n", ref.Display(), a.RPName, a.ClientID)
	fmt.Fprintf(w, "  what:    %s\n", kind)
	fmt.Fprintf(w, "  level:   %s\n", a.Level)
	fmt.Fprintf(w, "  expires: %s\n", a.ExpiresAt.Local().Format(time.TimeOnly))
	if len(a.Claims) == 0 {
		fmt.Fprintln(w, "  asks for nothing but that you were verified")
	}
	for _, c := range a.Claims {
		note := ""
		if c.Identity {
			note = " (identity data in plain text: needs --allow-plaintext)"
		}
		fmt.Fprintf(w, "  asks for %s%s: %s\n", c.Claim, note, c.Purpose)
	}
	if a.SharesOnward {
		fmt.Fprintln(w, "  shares what it receives with third parties (needs --allow-onward)")
	}
}
