package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/wallet"
)

// exitNeedsInput is the exit code of a wallet command that stopped for an
// input it was not given (a code, a liveness attestation): its enrolment
// is saved, and running the command again with the input continues it.
const exitNeedsInput = 3

// defaultWalletServer is the server a wallet talks to when neither
// --server nor the wallet names one: `netid serve` on this machine.
const defaultWalletServer = "http://127.0.0.1:8080"

// walletPasswordEnv is read when neither --password nor --password-file
// is given, so that a script can keep the password out of the command
// line.
const walletPasswordEnv = "NETID_PASSWORD"

func newWalletCommand(stdout, stderr io.Writer) *ffcli.Command {
	return newCommand(&ffcli.Command{
		Name:       "wallet",
		ShortUsage: "netid wallet <command> [flags]",
		ShortHelp:  "the resident's wallet: device key, enrolment, sign-in approvals, rights over the account",
		LongHelp: `The resident's wallet: a directory holding a device key (device.key, PKCS#8)
and what the wallet knows (wallet.json: the enrolment in progress, then the
internet number, certificate, openings and dynamic-code secret). The
directory is created 0700 and its files 0600; a wallet others can read is
refused. Everything works without a terminal: inputs come from flags,
files and environment variables. The commands are listed below.

An enrolment that stops for a missing input (the phone code, a liveness
attestation) exits 3 and is saved: run netid wallet enrol again with it.

  netid wallet init --wallet ./w --suite intl
  netid wallet enrol --wallet ./w --server http://127.0.0.1:8080 --demo-document adult \
      --phone +8613800138000 --password-file ./pw --json`,
		FlagSet: flag.NewFlagSet("netid wallet", flag.ContinueOnError),
		Subcommands: []*ffcli.Command{
			newWalletInitCommand(stdout),
			newWalletEnrolCommand(stdout, stderr),
			newWalletUpgradeCommand(stdout, stderr),
			newWalletRenewCommand(stdout, stderr),
			newWalletApproveMinorCommand(stdout, stderr),
			newWalletShowCommand(stdout),
			newWalletCodeCommand(stdout, stderr),
			newWalletPresentCommand(stdout),
			newWalletHistoryCommand(stdout, stderr),
			newWalletExportCommand(stdout, stderr),
			newWalletConsentsCommand(stdout, stderr),
			newWalletCertificatesCommand(stdout, stderr),
			newWalletLockCommand(stdout, stderr, true),
			newWalletLockCommand(stdout, stderr, false),
			newWalletMinorsCommand(stdout, stderr),
			newWalletDeleteCommand(stdout, stderr),
			newWalletApproveCommand(stdout, stderr),
		},
	})
}

// walletFlags are the flags every wallet command shares.
type walletFlags struct {
	dir     string
	server  string
	timeout time.Duration
	fs      *flag.FlagSet
}

func (f *walletFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.dir, "wallet", "./netid-wallet", "wallet `directory`: device.key and wallet.json (created 0700)")
	fs.StringVar(&f.server, "server", defaultWalletServer, "base `URL` of the netid server; default: the server the wallet enrolled with, else this")
	fs.DurationVar(&f.timeout, "timeout", wallet.DefaultTimeout, "time limit of each request to the server")
}

// set reports whether flag name was given, by flag or environment.
func (f *walletFlags) set(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// client returns a client of the server: --server if given, else the one
// the wallet (which may be nil) names, else the default. It warns when
// passwords would cross the network unencrypted.
func (f *walletFlags) client(w *wallet.Wallet, stderr io.Writer) (*wallet.Client, error) {
	server := f.server
	if w != nil && !f.set("server") && w.State().Server != "" {
		server = w.State().Server
	}
	c, err := wallet.NewClient(server, wallet.WithTimeout(f.timeout), wallet.WithUserAgent("netid-wallet/"+version))
	if err != nil {
		return nil, exitError{code: exitUsage, msg: fmt.Sprintf("--server (%s): %v", env("server"), err)}
	}
	if c.Insecure() {
		fmt.Fprintf(stderr, "warning: %s is plain http to another machine: passwords and codes cross the network unencrypted\n", c.Server())
	}
	return c, nil
}

// open opens the wallet, with the fix in the message when there is none.
func (f *walletFlags) open() (*wallet.Wallet, error) {
	w, err := wallet.Open(f.dir)
	if err != nil {
		return nil, walletError(err)
	}
	return w, nil
}

// openClient opens the wallet and makes a client of its server (see
// client).
func (f *walletFlags) openClient(stderr io.Writer) (*wallet.Wallet, *wallet.Client, error) {
	w, err := f.open()
	if err != nil {
		return nil, nil, err
	}
	c, err := f.client(w, stderr)
	if err != nil {
		return nil, nil, err
	}
	return w, c, nil
}

// walletError turns a wallet error into the command's exit: a missing
// input exits 3 with what to give, anything else 1 with the reason.
func walletError(err error) error {
	var need *wallet.InputNeededError
	if errors.As(err, &need) {
		return exitError{code: exitNeedsInput, msg: err.Error() + "\n  " + inputHint(need)}
	}
	if errors.Is(err, wallet.ErrNoWallet) {
		return exitError{code: exitRefused, msg: err.Error() + " (or give --wallet DIR)"}
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee
	}
	return refused(err)
}

// inputHint says which flags give what an enrolment is waiting for.
func inputHint(need *wallet.InputNeededError) string {
	switch need.Input {
	case wallet.InputEvidence:
		return "give a document: --chip FILE --mrz TEXT, --authority-number NUMBER --name NAME --birth-date YYYY-MM-DD, or --demo-document NAME"
	case wallet.InputPassword:
		return "give --password, --password-file FILE or " + walletPasswordEnv
	case wallet.InputPhone:
		return "give --phone NUMBER"
	case wallet.InputCode:
		return "run netid wallet enrol again with --code CODE or --code-file FILE (--resend-code sends a new one)"
	case wallet.InputFace:
		return "give --face FILE (JPEG, PNG or JPEG 2000)"
	case wallet.InputLiveness:
		command := "netid wallet enrol"
		if need.For == "the upgrade" {
			command = "netid wallet upgrade"
		}
		return fmt.Sprintf("have the image of --face attested for challenge %s, then run %s again with --liveness FILE", need.Challenge, command)
	}
	return ""
}

// passwordFlags read a password from a flag, a file or the environment.
type passwordFlags struct {
	value, file string
}

func (p *passwordFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&p.value, "password", "", what+" (visible to other users in the process list: prefer --password-file or "+walletPasswordEnv+")")
	fs.StringVar(&p.file, "password-file", "", "`file` whose first line is "+what)
}

// password returns the password given, "" if none was given; an empty
// password given explicitly is refused.
func (p *passwordFlags) password(wf *walletFlags) (string, error) {
	switch {
	case p.value != "" && p.file != "":
		return "", exitError{code: exitUsage, msg: "give --password or --password-file, not both"}
	case p.value != "":
		return p.value, nil
	case wf.set("password"):
		return "", exitError{code: exitUsage, msg: "--password is empty"}
	case p.file != "":
		pw, err := wallet.ReadPasswordFile(p.file)
		if err != nil {
			return "", exitError{code: exitUsage, msg: fmt.Sprintf("--password-file: %v", err)}
		}
		return pw, nil
	}
	// NETID_PASSWORD reaches --password through the usual flag/env rule.
	return "", nil
}

func newWalletInitCommand(stdout io.Writer) *ffcli.Command {
	var wf walletFlags
	var suiteName string
	fs := flag.NewFlagSet("netid wallet init", flag.ContinueOnError)
	wf.register(fs)
	fs.StringVar(&suiteName, "suite", string(suite.Intl), "`suite` of the device key: intl (ECDSA P-256) or sm (SM2; only for a server of the sm suite)")
	return newCommand(&ffcli.Command{
		Name:       "init",
		ShortUsage: "netid wallet init [--wallet DIR] [--suite intl|sm] [--server URL]",
		ShortHelp:  "create the wallet directory and its device key",
		LongHelp: `Create a wallet: the directory (0700), a new device key of the suite in
device.key (0600) and wallet.json. An existing wallet or device key is never
replaced. Prints the wallet's summary as JSON. A server given here is the
wallet's server from then on.`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if err := noArgs("init", args); err != nil {
				return err
			}
			name, err := suite.Parse(suiteName)
			if err != nil {
				return exitError{code: exitUsage, msg: fmt.Sprintf("--suite (%s): %v", env("suite"), err)}
			}
			server := ""
			if wf.set("server") {
				server = wf.server
			}
			w, err := wallet.Create(wf.dir, name, server, nil, time.Now())
			if err != nil {
				return walletError(err)
			}
			return printJSON(stdout, w.Summary(false, time.Now()))
		},
	})
}

func newWalletShowCommand(stdout io.Writer) *ffcli.Command {
	var wf walletFlags
	var secrets bool
	fs := flag.NewFlagSet("netid wallet show", flag.ContinueOnError)
	wf.register(fs)
	fs.BoolVar(&secrets, "show-secrets", false, "also print the secrets: enrolment token, dynamic-code secret, openings, guardian approval code")
	return newCommand(&ffcli.Command{
		Name:       "show",
		ShortUsage: "netid wallet show [--wallet DIR] [--show-secrets]",
		ShortHelp:  "print the wallet's state as JSON",
		LongHelp: `Print the wallet as JSON: its suite, server and device-key fingerprint; the
enrolment in progress, if any; the internet number, status at enrolment,
and the certificate's subject, issuer, serial and validity. Secrets only
with --show-secrets. It reads the wallet only: the status is the one the
server gave at enrolment.`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if err := noArgs("show", args); err != nil {
				return err
			}
			w, err := wf.open()
			if err != nil {
				return err
			}
			return printJSON(stdout, w.Summary(secrets, time.Now()))
		},
	})
}

func newWalletCodeCommand(stdout, stderr io.Writer) *ffcli.Command {
	var wf walletFlags
	var asJSON bool
	fs := flag.NewFlagSet("netid wallet code", flag.ContinueOnError)
	wf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print {\"code\", \"valid_until\"} instead of the code alone")
	return newCommand(&ffcli.Command{
		Name:       "code",
		ShortUsage: "netid wallet code [--wallet DIR] [--json]",
		ShortHelp:  "print the current dynamic code",
		LongHelp: `Print the wallet's current dynamic code (RFC 6238: 8 digits, a new one every
30 seconds), the second factor typed at login. It works offline.`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if err := noArgs("code", args); err != nil {
				return err
			}
			w, err := wf.open()
			if err != nil {
				return err
			}
			now := time.Now()
			dc, err := w.DynamicCode(now)
			if err != nil {
				return walletError(err)
			}
			if asJSON {
				return printJSON(stdout, map[string]any{"code": dc.Code, "valid_until": dc.ValidUntil})
			}
			fmt.Fprintln(stdout, dc.Code)
			fmt.Fprintf(stderr, "valid for %d more seconds\n", int(dc.ValidUntil.Sub(now).Seconds()))
			return nil
		},
	})
}

func newWalletApproveMinorCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		wf walletFlags
		pf passwordFlags
		a  wallet.MinorApproval
	)
	fs := flag.NewFlagSet("netid wallet approve-minor", flag.ContinueOnError)
	wf.register(fs)
	pf.register(fs, "the guardian's password")
	fs.StringVar(&a.MinorInternetNumber, "minor", "", "the minor's internet `number`")
	fs.StringVar(&a.ApprovalCode, "approval-code", "", "the approval `code` the minor's wallet shows (netid wallet show --show-secrets)")
	fs.StringVar(&a.Relationship, "relationship", "parent", "`relationship` to the minor: parent or legal-guardian")
	fs.StringVar(&a.EvidenceKind, "evidence-kind", "household-register", "`kind` of evidence of the relationship: household-register, birth-certificate, court-order or other")
	fs.StringVar(&a.EvidenceReference, "evidence-reference", "", "`reference` of that evidence: the register or certificate number")
	fs.StringVar(&a.EvidenceNotes, "evidence-notes", "", "free `text` about the evidence, for the record")
	return newCommand(&ffcli.Command{
		Name:       "approve-minor",
		ShortUsage: "netid wallet approve-minor --minor NUMBER --approval-code CODE --evidence-reference REF [flags]",
		ShortHelp:  "as a guardian, approve a minor of 15 to 17",
		LongHelp: `Approve, as the guardian whose wallet this is, a minor of 15 to 17 who
enrolled in their own name and waits for a guardian: the guardian logs in
with the wallet's internet number and their password; the approval code
proves that the minor chose this guardian. Prints {"status": "approved"}.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			var errs []error
			if len(args) > 0 {
				errs = append(errs, fmt.Errorf("approve-minor takes no arguments, got %q", args))
			}
			for name, v := range map[string]string{"minor": a.MinorInternetNumber, "approval-code": a.ApprovalCode,
				"evidence-reference": a.EvidenceReference} {
				if v == "" {
					errs = append(errs, fmt.Errorf("--%s (%s) is required", name, env(name)))
				}
			}
			if err := configErrors(errs); err != nil {
				return err
			}
			pw, err := pf.password(&wf)
			if err != nil {
				return err
			}
			w, c, err := wf.openClient(stderr)
			if err != nil {
				return err
			}
			if err := wallet.ApproveMinor(ctx, w, c, pw, a); err != nil {
				return walletError(err)
			}
			return printJSON(stdout, map[string]string{"status": "approved", "minor_internet_number": a.MinorInternetNumber})
		},
	})
}

func newWalletUpgradeCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		wf             walletFlags
		pf             passwordFlags
		doc            documentFlags
		face, liveness string
	)
	fs := flag.NewFlagSet("netid wallet upgrade", flag.ContinueOnError)
	wf.register(fs)
	pf.register(fs, "the account's password")
	doc.addFlags(fs, "take demo document `name`, with its holder's face and a liveness attestation, from a server started with --demo")
	fs.StringVar(&face, "face", "", "`file` with a photo of the resident's face (JPEG, PNG or JPEG 2000)")
	fs.StringVar(&liveness, "liveness", "", "`file` with the liveness attestation (compact JWS) of --face for the server's upgrade challenge")
	return newCommand(&ffcli.Command{
		Name:       "upgrade",
		ShortUsage: "netid wallet upgrade [--wallet DIR] (--chip FILE --mrz TEXT | --authority-number N --name NAME --birth-date D | --demo-document NAME) --face FILE [--liveness FILE] (--password-file FILE | --password P)",
		ShortHelp:  "add a document to the account (after an assisted enrolment)",
		LongHelp: `Add a document to the wallet's account: typically after an enrolment assisted
by a registrar, once the resident has a passport or an identity card. The
resident logs in with the wallet's internet number and the password, and
shows a live face: a capture (--face) with a liveness attestation for the
server's upgrade challenge (--liveness). For a chip the face must match the
chip's portrait. The account keeps its internet number; its evidence
pathway and assurance ceiling rise to the document's (at most substantial),
and the wallet records them. The document must be the account holder's
(same birth date) and not another account's. Upgrading again with the same
document changes nothing.

Without --liveness the command exits 3 with the challenge, which the wallet
keeps: have the image attested for it and run the command again with
--liveness FILE. With --demo-document the face and the attestation come
from the demo server.

Prints the wallet's summary as JSON, as netid wallet show does.

  netid wallet upgrade --wallet ./w --chip chips/passport.json --mrz "$(cat mrz.txt)" \
      --face selfie.jpg --password-file pw                 # exits 3 with the challenge
  netid wallet upgrade --wallet ./w --chip chips/passport.json --mrz "$(cat mrz.txt)" \
      --face selfie.jpg --liveness att.jws --password-file pw`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			var errs []error
			if len(args) > 0 {
				errs = append(errs, fmt.Errorf("wallet upgrade takes no arguments, got %q", args))
			}
			given := 0
			for _, v := range []string{doc.chip, doc.authorityNumber, doc.demo} {
				if v != "" {
					given++
				}
			}
			if given > 1 {
				errs = append(errs, errors.New("give one of --chip, --authority-number and --demo-document"))
			}
			errs = append(errs, doc.check()...)
			if err := configErrors(errs); err != nil {
				return err
			}
			pw, err := pf.password(&wf)
			if err != nil {
				return err
			}
			w, err := wf.open()
			if err != nil {
				return err
			}
			if w.State().Account == nil {
				// Before a demo document is fetched for nothing.
				return walletError(wallet.ErrNotEnrolled)
			}
			c, err := wf.client(w, stderr)
			if err != nil {
				return err
			}
			ev, err := doc.read()
			if err != nil {
				return err
			}
			o := wallet.UpgradeOptions{Password: pw, Face: wallet.FaceFromFile(face), Liveness: wallet.LivenessFromFile(liveness)}
			if doc.demo != "" {
				demo, err := wallet.NewDemoSource(ctx, c, doc.demo)
				if err != nil {
					return refused(err)
				}
				if ev, err = demo.Evidence(ctx); err != nil {
					return refused(err)
				}
				// Explicit inputs beat the demo's.
				if face == "" {
					o.Face = demo.Face
				}
				if liveness == "" {
					o.Liveness = demo.Liveness
				}
			}
			if ev != nil {
				// Otherwise wallet.Upgrade asks for the document, with the
				// flags' hint.
				o.Evidence = *ev
			}
			up, err := wallet.Upgrade(ctx, w, c, o)
			if err != nil {
				return walletError(err)
			}
			fmt.Fprintf(stderr, "Account %s upgraded: evidence pathway %s, assurance ceiling %s.\n", up.InternetNumber, up.Pathway, up.AssuranceCeiling)
			return printJSON(stdout, w.Summary(false, time.Now()))
		},
	})
}

// walletEnrolFlags are the flags of netid wallet enrol.
type walletEnrolFlags struct {
	walletFlags
	documentFlags
	pw                                        passwordFlags
	suite                                     string
	started                                   string
	phone, locale, code, codeFile             string
	resendCode                                bool
	face, liveness                            string
	keepFace                                  bool
	demoFaceSeed                              int
	guardianNumber                            string
	guardianPassword, relationship            string
	guardianEvidenceKind, guardianEvidenceRef string
	asJSON                                    bool
}

func newWalletEnrolCommand(stdout, stderr io.Writer) *ffcli.Command {
	var f walletEnrolFlags
	fs := flag.NewFlagSet("netid wallet enrol", flag.ContinueOnError)
	f.register(fs)
	f.pw.register(fs, "the password to set")
	f.documentFlags.addFlags(fs, "take demo document `name` with its face, liveness attestation and SMS code from a server started with --demo")
	fs.StringVar(&f.suite, "suite", string(suite.Intl), "`suite` of the device key when enrol creates the wallet: intl or sm")
	fs.StringVar(&f.started, "started", "", "`file` with the JSON a registrar's assisted start returned (id, token, csr_nonce...): continue that enrolment")
	fs.StringVar(&f.phone, "phone", "", "mobile phone `number` to confirm (+86... or a Chinese mobile number); optional for children and assisted enrolments")
	fs.StringVar(&f.locale, "locale", "", "`language` of the SMS: zh-CN or en (default: the server's)")
	fs.StringVar(&f.code, "code", "", "the `code` sent to the phone")
	fs.StringVar(&f.codeFile, "code-file", "", "`file` holding the code sent to the phone, read when needed")
	fs.BoolVar(&f.resendCode, "resend-code", false, "send a new code even if one was sent to this number before")
	fs.StringVar(&f.face, "face", "", "`file` with a photo of the resident's face (JPEG, PNG or JPEG 2000)")
	fs.StringVar(&f.liveness, "liveness", "", "`file` with the liveness attestation (compact JWS) of --face for the server's challenge")
	fs.BoolVar(&f.keepFace, "keep-face", false, "consent to keep the face template for high-assurance logins")
	fs.IntVar(&f.demoFaceSeed, "demo-face-seed", 0, "with --demo-document: take the face of the synthetic person of this portrait `seed` instead of the holder's (to see a face mismatch)")
	fs.StringVar(&f.guardianNumber, "guardian-number", "", "for a child of 14 or under: the guardian's internet `number`")
	fs.StringVar(&f.guardianPassword, "guardian-password", "", "the guardian's `password`")
	fs.StringVar(&f.relationship, "relationship", "parent", "the guardian's `relationship` to the child: parent or legal-guardian")
	fs.StringVar(&f.guardianEvidenceKind, "guardian-evidence-kind", "household-register", "`kind` of evidence of the relationship: household-register, birth-certificate, court-order or other")
	fs.StringVar(&f.guardianEvidenceRef, "guardian-evidence-reference", "", "`reference` of that evidence: the register or certificate number")
	fs.BoolVar(&f.asJSON, "json", false, "print {\"internet_number\", \"certificate_pem\", \"wallet_dir\", \"status\"} on stdout")
	return newCommand(&ffcli.Command{
		Name:       "enrol",
		ShortUsage: "netid wallet enrol [--wallet DIR] [--server URL] (--chip FILE --mrz TEXT | --authority-number N --name NAME --birth-date D | --demo-document NAME) [flags]",
		ShortHelp:  "enrol: document, phone, face, password, certificate",
		LongHelp: `Enrol with the server: the document, the phone (a one-time code), the face
(a capture with a liveness attestation for the server's challenge), the
password, then the internet certificate for the wallet's device key, which
the wallet verifies against the CA before it declares success. Progress goes
to stderr. The wallet is created (--suite) if the directory has none.

Each step is saved: an interrupted or stopped enrolment continues from where
the server says it stands when the command runs again; a document is not
needed again. When an input is missing the command exits 3 and says which:

  netid wallet enrol --chip chips/adult.json --mrz "$(cat mrz.txt)" --phone +8613800138000 \
      --face selfie.jpg --password-file pw          # exits 3: code sent, and the face challenge
  netid wallet enrol --code 123456 --face selfie.jpg --password-file pw
                                                    # exits 3: attest selfie.jpg for challenge C
  netid wallet enrol --face selfie.jpg --liveness att.jws --password-file pw

Against a server started with --demo, --demo-document NAME takes everything from it:

  netid wallet enrol --demo-document adult --phone +8613800138000 --password-file pw --json

A child of 14 or under is enrolled with a guardian's application
(--guardian-number, --guardian-password, --guardian-evidence-reference); a
minor of 15 to 17 enrols alone and waits for a guardian's approval
(netid wallet approve-minor, in the guardian's wallet).`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs("enrol", args); err != nil {
				return err
			}
			return runWalletEnrol(ctx, &f, stdout, stderr)
		},
	})
}

// validate reports every conflict among the enrol flags at once.
func (f *walletEnrolFlags) validate() error {
	var errs []error
	evidence := 0
	for _, given := range []bool{f.chip != "", f.authorityNumber != "", f.demo != "", f.started != ""} {
		if given {
			evidence++
		}
	}
	if evidence > 1 {
		errs = append(errs, errors.New("give one of --chip, --authority-number, --demo-document and --started"))
	}
	errs = append(errs, f.documentFlags.check()...)
	if f.code != "" && f.codeFile != "" {
		errs = append(errs, errors.New("give --code or --code-file, not both"))
	}
	if (f.guardianNumber == "") != (f.guardianPassword == "") {
		errs = append(errs, errors.New("--guardian-number and --guardian-password go together"))
	}
	if f.guardianNumber != "" && f.guardianEvidenceRef == "" {
		errs = append(errs, errors.New("a guardian's application needs --guardian-evidence-reference"))
	}
	if _, err := suite.Parse(f.suite); err != nil {
		errs = append(errs, fmt.Errorf("--suite (%s): %w", env("suite"), err))
	}
	return configErrors(errs)
}

// openOrCreate opens the wallet, creating it when the directory has none.
func (f *walletEnrolFlags) openOrCreate(stderr io.Writer) (*wallet.Wallet, error) {
	w, err := wallet.Open(f.dir)
	if errors.Is(err, wallet.ErrNoWallet) {
		name, _ := suite.Parse(f.suite)
		if w, err = wallet.Create(f.dir, name, "", nil, time.Now()); err == nil {
			fmt.Fprintf(stderr, "Created wallet %s with a new %s device key.\n", f.dir, name)
		}
	}
	if err != nil {
		return nil, walletError(err)
	}
	if f.set("suite") && string(w.Suite().Name()) != f.suite {
		return nil, exitError{code: exitUsage, msg: fmt.Sprintf("the wallet in %s has a %s device key, not %s", f.dir, w.Suite().Name(), f.suite)}
	}
	return w, nil
}

func runWalletEnrol(ctx context.Context, f *walletEnrolFlags, stdout, stderr io.Writer) error {
	if err := f.validate(); err != nil {
		return err
	}
	pw, err := f.pw.password(&f.walletFlags)
	if err != nil {
		return err
	}
	w, err := f.openOrCreate(stderr)
	if err != nil {
		return err
	}
	c, err := f.client(w, stderr)
	if err != nil {
		return err
	}
	o := wallet.EnrolOptions{
		Phone: f.phone, Locale: f.locale, ResendCode: f.resendCode, KeepFace: f.keepFace,
		Password: pw, Progress: stderr,
		Face: wallet.FaceFromFile(f.face), Liveness: wallet.LivenessFromFile(f.liveness),
		Code: wallet.StaticCode(f.code),
	}
	if f.codeFile != "" {
		o.Code = wallet.CodeFromFile(f.codeFile)
	}
	resuming := w.State().Enrolment != nil
	if f.demo != "" {
		demo, err := wallet.NewDemoSource(ctx, c, f.demo)
		if err != nil {
			return refused(err)
		}
		demo.FaceSeed = f.demoFaceSeed
		if !resuming {
			if o.Evidence, err = demo.Evidence(ctx); err != nil {
				return refused(err)
			}
		}
		// Explicit inputs beat the demo's.
		if f.code == "" && f.codeFile == "" {
			o.Code = demo.Code
		}
		if f.face == "" {
			o.Face = demo.Face
		}
		if f.liveness == "" {
			o.Liveness = demo.Liveness
		}
	}
	if !resuming && f.demo == "" {
		if o.Evidence, o.Started, err = f.evidence(); err != nil {
			return err
		}
	}
	if f.guardianNumber != "" {
		o.Guardian = &wallet.GuardianApplication{InternetNumber: f.guardianNumber, Password: f.guardianPassword,
			Relationship: f.relationship, EvidenceKind: f.guardianEvidenceKind, EvidenceReference: f.guardianEvidenceRef}
	}
	acct, err := wallet.Enrol(ctx, w, c, o)
	if err != nil {
		return walletError(err)
	}
	if acct.GuardianApprovalCode != "" {
		fmt.Fprintf(stderr, "The approval code for your guardian: netid wallet show --wallet %s --show-secrets\n", w.Dir())
	}
	if f.asJSON {
		return printJSON(stdout, map[string]string{"internet_number": acct.InternetNumber, "certificate_pem": acct.CertificatePEM,
			"wallet_dir": w.Dir(), "status": acct.Status})
	}
	fmt.Fprintf(stdout, "internet number: %s\nstatus: %s\n", acct.InternetNumber, acct.Status)
	return nil
}

// evidence reads the document flags: a chip dump with its MRZ, authority
// evidence, an assisted enrolment to continue, or nothing.
func (f *walletEnrolFlags) evidence() (*wallet.Evidence, *wallet.Started, error) {
	if f.started == "" {
		ev, err := f.documentFlags.read()
		return ev, nil, err
	}
	b, err := readBounded(f.started, 64<<10)
	if err != nil {
		return nil, nil, exitError{code: exitUsage, msg: fmt.Sprintf("--started: %v", err)}
	}
	var st wallet.Started
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, nil, exitError{code: exitUsage, msg: fmt.Sprintf("--started %s: %v", f.started, err)}
	}
	return nil, &st, nil
}

// documentFlags give a document: a chip dump with its printed MRZ, a
// document the issuing authority verifies, or a demo server's document.
// wallet enrol and wallet upgrade share them.
type documentFlags struct {
	chip, mrz                                  string
	authorityType, authorityNumber, name, born string
	demo                                       string
}

// addFlags adds the document flags to fs; demoHelp is the help of
// --demo-document, which takes more from the demo server for an enrolment
// than for an upgrade.
func (d *documentFlags) addFlags(fs *flag.FlagSet, demoHelp string) {
	fs.StringVar(&d.chip, "chip", "", "chip dump `file` of the identity document (JSON: {\"format\": \"netid-chip/1\", \"files\": {...}})")
	fs.StringVar(&d.mrz, "mrz", "", "the printed `MRZ` of the data page, lines separated by newlines (or \\n)")
	fs.StringVar(&d.authorityType, "authority-type", "resident-id-card", "document `type` the issuing authority verifies online")
	fs.StringVar(&d.authorityNumber, "authority-number", "", "document `number` to verify with the issuing authority (instead of --chip)")
	fs.StringVar(&d.name, "name", "", "the `name` as printed on that document")
	fs.StringVar(&d.born, "birth-date", "", "the birth `date` on that document (YYYY-MM-DD)")
	fs.StringVar(&d.demo, "demo-document", "", demoHelp)
}

// check reports the flags that need another. Whether more than one
// document is given is the command's to check: enrol has --started too.
func (d *documentFlags) check() []error {
	var errs []error
	if d.mrz != "" && d.chip == "" {
		errs = append(errs, errors.New("--mrz goes with --chip"))
	}
	if d.authorityNumber != "" && (d.name == "" || d.born == "") {
		errs = append(errs, errors.New("--authority-number needs --name and --birth-date"))
	}
	return errs
}

// read reads a chip dump with its MRZ or authority evidence; nil when
// neither is given (a demo document is read from the server by the
// command).
func (d *documentFlags) read() (*wallet.Evidence, error) {
	switch {
	case d.chip != "":
		b, err := readBounded(d.chip, emrtd.MaxChipDumpSize)
		if err != nil {
			return nil, exitError{code: exitUsage, msg: fmt.Sprintf("--chip: %v", err)}
		}
		if !json.Valid(b) {
			return nil, exitError{code: exitUsage, msg: fmt.Sprintf("--chip: %s is not a JSON chip dump", d.chip)}
		}
		// A shell cannot always pass a newline; an MRZ never holds a
		// backslash, so "\n" is unambiguous.
		mrz := strings.ReplaceAll(d.mrz, `\n`, "\n")
		return &wallet.Evidence{Chip: b, PrintedMRZ: mrz}, nil
	case d.authorityNumber != "":
		return &wallet.Evidence{Authority: &wallet.AuthorityEvidence{DocType: d.authorityType, Number: d.authorityNumber,
			Name: d.name, BirthDate: d.born}}, nil
	}
	return nil, nil
}
