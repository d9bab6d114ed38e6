package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
	"github.com/skip2/go-qrcode"

	"github.com/netid/netid/internal/wallet"
)

func newWalletPresentCommand(stdout io.Writer) *ffcli.Command {
	var wf walletFlags
	var clientID, challenge, disclose string
	var qr bool
	fs := flag.NewFlagSet("netid wallet present", flag.ContinueOnError)
	wf.register(fs)
	fs.StringVar(&clientID, "client-id", "", "the client id of the platform to present to (required)")
	fs.StringVar(&challenge, "challenge", "", "the platform's challenge, 16 to 128 bytes (required)")
	fs.StringVar(&disclose, "disclose", "", "comma-separated attributes whose values to show the platform (name,birth_date)")
	fs.BoolVar(&qr, "qr", false, "also print the presentation as a QR code in the terminal")
	return newCommand(&ffcli.Command{
		Name:       "present",
		ShortUsage: "netid wallet present --client-id ID --challenge C [--disclose name,birth_date] [--qr]",
		ShortHelp:  "print a presentation of the internet certificate for a platform",
		LongHelp: `Print a presentation of the wallet's internet certificate: the certificate,
the platform's client id and challenge and, with --disclose, the values of
the attributes named, signed by the device key and valid for two minutes
("NETID1:..." text, about 1,300 characters). Every presentation differs.
The platform checks it offline (netid verify) or with the verification API
(POST /v1/presentations/verify). It works offline.

The certificate's subject is the internet number: a platform that verifies
offline learns it. Through the API it receives a pairwise subject instead.

  netid wallet present --wallet ./w --client-id rp-... --challenge "$CHALLENGE" --qr`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("wallet present takes no arguments, got %q", args)}
			}
			if clientID == "" || challenge == "" {
				return exitError{code: exitUsage, msg: "wallet present needs --client-id and --challenge"}
			}
			w, err := wf.open()
			if err != nil {
				return err
			}
			var names []string
			for n := range strings.SplitSeq(disclose, ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
			text, err := wallet.Present(w, clientID, []byte(challenge), names, time.Now())
			if err != nil {
				return walletError(err)
			}
			if qr {
				// Level L: the presentation is large, and a screen is not
				// a damaged label.
				code, err := qrcode.New(text, qrcode.Low)
				if err != nil {
					return fmt.Errorf("QR code: %w", err)
				}
				fmt.Fprint(stdout, code.ToSmallString(false))
			}
			_, err = fmt.Fprintln(stdout, text)
			return err
		},
	})
}
