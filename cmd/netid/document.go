package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
)

// exitRefused is the exit code of a document that was checked and refused,
// as distinct from a command line netid could not act on (exitUsage).
const exitRefused = 1

func newDocumentCommand(stdout, stderr io.Writer) *ffcli.Command {
	return newCommand(&ffcli.Command{
		Name:       "document",
		ShortUsage: "netid document <check|verify-sod|verify> [flags] [args...]",
		ShortHelp:  "check identity documents: ID numbers, MRZs, eMRTD chips",
		LongHelp: `Check identity documents the way enrolment does, from the command line.

  check       parse and check a resident ID number, TYPE NUMBER, or an MRZ
  verify-sod  verify an eMRTD security object (EF.SOD) against CSCA trust data
  verify      run full passive authentication on a chip dump

Each prints JSON on stdout, or exits 1 with the precise reason on stderr.`,
		FlagSet: flag.NewFlagSet("netid document", flag.ContinueOnError),
		Subcommands: []*ffcli.Command{
			newDocumentCheckCommand(stdout),
			newDocumentVerifySODCommand(stdout),
			newDocumentVerifyCommand(stdout),
		},
	})
}

// atFlag is a --at TIME flag: the reference time of a check.
type atFlag struct{ t time.Time }

func (a *atFlag) String() string {
	if a.t.IsZero() {
		return ""
	}
	return a.t.Format(time.RFC3339)
}

func (a *atFlag) Set(s string) error {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			a.t = t
			return nil
		}
	}
	return fmt.Errorf("%q is neither RFC 3339 (2026-01-02T15:04:05Z) nor a date (2026-01-02)", s)
}

func (a *atFlag) or(now time.Time) time.Time {
	if a.t.IsZero() {
		return now
	}
	return a.t
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// refused ends the command with exitRefused and the reason.
func refused(err error) error { return exitError{code: exitRefused, msg: err.Error()} }

func newDocumentCheckCommand(stdout io.Writer) *ffcli.Command {
	var at atFlag
	fs := flag.NewFlagSet("netid document check", flag.ContinueOnError)
	fs.Var(&at, "at", "reference `time` for birth dates, two-digit years and expiry (RFC 3339 or YYYY-MM-DD; default now)")
	return newCommand(&ffcli.Command{
		Name:       "check",
		ShortUsage: "netid document check [--at TIME] ARG...",
		ShortHelp:  "check a resident ID number, TYPE NUMBER, or an MRZ",
		LongHelp: `Check a document number or a machine-readable zone and print its fields as JSON.

  netid document check 11010519491231002X
  netid document check passport E12345678
  netid document check 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<' 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'

An ID number (GB 11643: resident identity card, Hong Kong/Macao/Taiwan
residence permits, foreign permanent resident card) has its type inferred;
other types are given as TYPE NUMBER, TYPE one of resident-id-card,
hk-macao-residence-permit, taiwan-residence-permit, hk-macao-travel-permit,
taiwan-travel-permit, foreign-permanent-resident-card, passport. An MRZ is
given as its 2 (TD2, TD3) or 3 (TD1) lines, as separate arguments or one
argument with newlines. A refusal exits 1 and names the field, line, column
and check digit at fault.`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			res, err := document.Check(args, at.or(time.Now()))
			if err != nil {
				return refused(err)
			}
			return printJSON(stdout, res)
		},
	})
}

// loadTrust loads a trust directory; a failure is a refusal with the reason.
func loadTrust(dir string, now time.Time) (*emrtd.TrustStore, error) {
	if dir == "" {
		return nil, exitError{code: exitUsage, msg: "--trust DIR is required: a directory of CSCA certificates (*.pem, *.cer, *.crt, *.der), master lists (*.ml) and CRLs (*.crl)"}
	}
	ts, err := emrtd.LoadTrustDir(dir, now)
	if err != nil {
		return nil, refused(fmt.Errorf("loading trust dir %s: %w", dir, err))
	}
	return ts, nil
}

func newDocumentVerifySODCommand(stdout io.Writer) *ffcli.Command {
	var (
		at    atFlag
		sod   string
		trust string
	)
	fs := flag.NewFlagSet("netid document verify-sod", flag.ContinueOnError)
	fs.StringVar(&sod, "sod", "", "EF.SOD `file` as read from the chip (or EF.CardSecurity)")
	fs.StringVar(&trust, "trust", "", "trust `directory`: CSCA certificates, master lists (their signatures are verified) and CRLs")
	fs.Var(&at, "at", "`time` at which the document signer must be valid (RFC 3339 or YYYY-MM-DD; default: the SOD's signing time, else now)")
	return newCommand(&ffcli.Command{
		Name:       "verify-sod",
		ShortUsage: "netid document verify-sod --sod FILE --trust DIR [--at TIME]",
		ShortHelp:  "verify an eMRTD security object against CSCA trust data",
		LongHelp: `Verify an EF.SOD (or EF.CardSecurity): its CMS signature by the document
signer certificate, the signer's chain to a CSCA of the trust directory, and
revocation by the CRLs there. Prints the issuing country, the signer, the
algorithms and the data-group hashes as JSON, or exits 1 with the reason.

Document signer certificates are valid for a few months only while the
documents they sign are valid for years, so by default the signer is checked
at the SOD's signing time.`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 || sod == "" {
				return exitError{code: exitUsage, msg: "usage: netid document verify-sod --sod FILE --trust DIR [--at TIME]"}
			}
			now := time.Now()
			ts, err := loadTrust(trust, now)
			if err != nil {
				return err
			}
			b, err := readBounded(sod, emrtd.MaxChipDumpSize)
			if err != nil {
				return refused(err)
			}
			rep, err := emrtd.VerifySOD(b, ts, emrtd.VerifyOptions{At: at.t, Now: now})
			if err != nil {
				return refused(err)
			}
			return printJSON(stdout, rep)
		},
	})
}

func newDocumentVerifyCommand(stdout io.Writer) *ffcli.Command {
	var (
		at      atFlag
		chip    string
		trust   string
		printed string
	)
	fs := flag.NewFlagSet("netid document verify", flag.ContinueOnError)
	fs.StringVar(&chip, "chip", "", "chip dump `file` (JSON: {\"format\": \"netid-chip/1\", \"files\": {\"COM\", \"DG1\", \"DG2\", \"SOD\": base64}})")
	fs.StringVar(&trust, "trust", "", "trust `directory`: CSCA certificates, master lists and CRLs")
	fs.StringVar(&printed, "mrz", "", "the printed `MRZ` of the data page, lines separated by newlines; DG1 must equal it")
	fs.Var(&at, "at", "`time` at which the document signer must be valid (default: the SOD's signing time, else now)")
	return newCommand(&ffcli.Command{
		Name:       "verify",
		ShortUsage: "netid document verify --chip FILE --trust DIR [--mrz MRZ] [--at TIME]",
		ShortHelp:  "run full passive authentication on a chip dump",
		LongHelp: `Run passive authentication (ICAO 9303 part 11) on a chip dump: the SOD's
signature and chain as verify-sod does, every data group's hash against the
SOD, DG1 against the printed MRZ when --mrz is given, and the document's
expiry. Prints the report as JSON, or exits 1 with the reason: a tampered
data group, an unknown CSCA, an expired or revoked document signer, an
expired document and a mismatching MRZ each have their own.`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 || chip == "" {
				return exitError{code: exitUsage, msg: "usage: netid document verify --chip FILE --trust DIR [--mrz MRZ] [--at TIME]"}
			}
			now := time.Now()
			ts, err := loadTrust(trust, now)
			if err != nil {
				return err
			}
			b, err := readBounded(chip, emrtd.MaxChipDumpSize)
			if err != nil {
				return refused(err)
			}
			dump, err := emrtd.ParseChipDump(b)
			if err != nil {
				return refused(err)
			}
			rep, err := emrtd.VerifyChip(dump, ts, emrtd.VerifyOptions{At: at.t, Now: now, PrintedMRZ: printed})
			if err != nil {
				return refused(err)
			}
			return printJSON(stdout, rep)
		},
	})
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}
