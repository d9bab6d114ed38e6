package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/wallet"
)

func newWalletRenewCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		wf walletFlags
		pf passwordFlags
	)
	fs := flag.NewFlagSet("netid wallet renew", flag.ContinueOnError)
	wf.register(fs)
	pf.register(fs, "the account's password")
	return newCommand(&ffcli.Command{
		Name:       "renew",
		ShortUsage: "netid wallet renew [--wallet DIR] (--password-file FILE | --password P)",
		ShortHelp:  "move the internet certificate to a new device key",
		LongHelp: `Renew the internet certificate on a new device key: the wallet makes the new
key, the current device key signs the server's challenge and the new key (so
a password alone can never obtain a certificate), the server issues a
certificate for the new key and revokes the old one as superseded. The new
key replaces device.key only once the new certificate has been verified; if
the server refuses, nothing in the wallet changes.

A lost device cannot be renewed this way: that needs the identity verified
again, which is not available yet.

Prints the wallet's summary as JSON, as netid wallet show does.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("wallet renew takes no arguments, got %q", args)}
			}
			pw, err := pf.password(&wf)
			if err != nil {
				return err
			}
			if pw == "" {
				return exitError{code: exitUsage, msg: "the account's password is needed: --password-file FILE, --password or NETID_PASSWORD"}
			}
			w, err := wf.open()
			if err != nil {
				return err
			}
			c, err := wf.client(w, stderr)
			if err != nil {
				return err
			}
			r, err := wallet.Renew(ctx, w, c, pw)
			if err != nil {
				return walletError(err)
			}
			fmt.Fprintf(stderr, "Internet certificate renewed on a new device key: serial %s; the old certificate is revoked.\n", r.Serial)
			return printJSON(stdout, w.Summary(false, time.Now()))
		},
	})
}
