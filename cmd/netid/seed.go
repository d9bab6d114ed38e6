package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/loadtest"
	"github.com/netid/netid/internal/password"
)

// maxSeedCount bounds --count: ten million residents is past any load
// test this tool is for, and a typo of a few zeros should not fill a disk.
const maxSeedCount = 10_000_000

type seedFlags struct {
	storage      storageFlags
	count        int
	password     string
	batch        int
	numbersOut   string
	certificates bool
	publicURL    string
	certValidity time.Duration
	argon2       password.Params
	asJSON       bool
}

func newSeedCommand(stdout, stderr io.Writer) *ffcli.Command {
	var f seedFlags
	fs := flag.NewFlagSet("netid seed", flag.ContinueOnError)
	f.storage.register(fs)
	p := password.DefaultParams()
	f.argon2 = p
	fs.IntVar(&f.count, "count", 0, fmt.Sprintf("number of synthetic residents to create (`n`, 1 to %d)", maxSeedCount))
	fs.StringVar(&f.password, "password", "", "the `password` of every seeded resident (empty: a random one, printed at the end)")
	fs.IntVar(&f.batch, "batch", loadtest.DefaultSeedBatch, fmt.Sprintf("residents per transaction (`n`, 1 to %d)", loadtest.MaxSeedBatch))
	fs.StringVar(&f.numbersOut, "numbers-out", "", "write the internet numbers, one a line, to this `file` (created 0600; appended to if it exists) for netid loadtest --numbers")
	fs.BoolVar(&f.certificates, "certificates", false, "also issue each resident an internet certificate (over one throwaway device key: for store size, not for presenting)")
	fs.StringVar(&f.publicURL, "public-url", "", "public `url` of the service, as given to serve, for the certificates' CRL and OCSP locations; default http://127.0.0.1:8080")
	fs.DurationVar(&f.certValidity, "cert-validity", 365*24*time.Hour, "validity of the certificates, as given to serve")
	fs.Func("argon2-memory", fmt.Sprintf("argon2id memory in `KiB` of the one hash, as given to serve (default %d)", p.Memory), uintSetter(&f.argon2.Memory))
	fs.Func("argon2-time", fmt.Sprintf("argon2id passes (`t`) of the one hash, as given to serve (default %d)", p.Time), uintSetter(&f.argon2.Time))
	fs.BoolVar(&f.asJSON, "json", false, "print the summary as JSON")
	return newCommand(&ffcli.Command{
		Name:       "seed",
		ShortUsage: "netid seed --count N [--password P] [--batch B] [--numbers-out FILE] [storage flags]",
		ShortHelp:  "bulk-create synthetic residents for load tests (never in production)",
		LongHelp: `Create N synthetic residents, fast, for load tests and capacity planning.
NEVER RUN IT ON A PRODUCTION STORE: the residents are fake and share one password.

Each resident is a real record, as an enrolment leaves it: a data key wrapped by
the key-encryption key, a sealed identity (an adult "Seed Resident", with an
identity anchor under the authority "netid-seed" that no document has, unique
per run), an argon2id password hash, a sealed dynamic-code secret, an internet
number and, with --certificates, an internet certificate. So that a million
residents take minutes, not days, the argon2id hash is computed ONCE and shared
by every resident of the run (same salt, same hash): acceptable for synthetic
residents only. Seeded residents have no transparency-log entries and no
enrolment records.

Residents are written --batch at a time, each batch in one transaction (on
PostgreSQL with multi-row INSERTs, on SQLite with one prepared statement per
table); a progress bar goes to stderr. Takes the same storage flags as serve,
so it works beside a running server: on SQLite the server waits for each
batch's write lock, under a second at the default --batch (lower it on a busy
server). Interrupted, the batches committed stay.

Write the numbers with --numbers-out and give them, with the password, to
netid loadtest --numbers --password.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("seed takes no arguments, got %q", args)}
			}
			return runSeed(ctx, f, stdout, stderr)
		},
	})
}

func (f *seedFlags) validate() error {
	errs := f.storage.validate()
	if f.count < 1 || f.count > maxSeedCount {
		errs = append(errs, fmt.Errorf("--count (%s) must be 1 to %d", env("count"), maxSeedCount))
	}
	if f.batch < 1 || f.batch > loadtest.MaxSeedBatch {
		errs = append(errs, fmt.Errorf("--batch (%s) must be 1 to %d", env("batch"), loadtest.MaxSeedBatch))
	}
	if err := f.argon2.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("--argon2-memory/--argon2-time: %w", err))
	}
	if f.certValidity < time.Hour {
		errs = append(errs, fmt.Errorf("--cert-validity (%s) must be at least 1h", env("cert-validity")))
	}
	return configErrors(errs)
}

// seedSummary is what seed prints.
type seedSummary struct {
	Residents    int     `json:"residents"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"residents_per_second"`
	Store        string  `json:"store"`
	Run          string  `json:"run"`
	Certificates bool    `json:"certificates"`
	NumbersFile  string  `json:"numbers_file,omitempty"`
	Password     string  `json:"password,omitempty"`
}

func runSeed(ctx context.Context, f seedFlags, stdout, stderr io.Writer) error {
	if err := f.validate(); err != nil {
		return err
	}
	pw, generated := f.password, false
	if pw == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		pw, generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	svc, err := openService(ctx, f.storage, slog.New(slog.DiscardHandler), true)
	if err != nil {
		return err
	}
	defer svc.Close()

	// The one hash of the run, with the parameters serve verifies with (a
	// hash of other parameters would be rehashed at each first login).
	hasher, err := password.NewHasher(f.argon2, 1)
	if err != nil {
		return fmt.Errorf("password hasher: %w", err)
	}
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("hashing the password: %w", err)
	}

	var numbers io.Writer
	if f.numbersOut != "" {
		nf, err := os.OpenFile(f.numbersOut, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("--numbers-out: %w", err)
		}
		defer nf.Close()
		numbers = nf
	}
	publicURL := f.publicURL
	if publicURL == "" {
		publicURL = "http://127.0.0.1:8080"
	}
	bar := loadtest.NewProgress(stderr, f.count, "seeding")
	res, err := loadtest.Seed(ctx, svc.suite, svc.keys, svc.store, loadtest.SeedConfig{
		Count: f.count, Batch: f.batch, PasswordHash: hash, Certificates: f.certificates,
		CertBaseURL: publicURL, CertValidity: f.certValidity, Numbers: numbers, Progress: bar.Set,
	})
	bar.Finish()
	if err != nil {
		if res.Count > 0 {
			fmt.Fprintf(stderr, "netid seed: %d residents were committed before the error\n", res.Count)
		}
		if errors.Is(err, context.Canceled) {
			return exitError{code: 1, msg: "interrupted"}
		}
		return err
	}
	sum := seedSummary{Residents: res.Count, Seconds: res.Elapsed.Seconds(), PerSecond: res.PerSecond(),
		Store: svc.store.Engine(), Run: res.Run, Certificates: f.certificates, NumbersFile: f.numbersOut}
	if generated {
		sum.Password = pw
	}
	if f.asJSON {
		return printJSON(stdout, sum)
	}
	fmt.Fprintf(stdout, "seeded %s residents in %.1fs (%s residents/s) on %s, run %s\n",
		loadtest.Thousands(int64(sum.Residents)), sum.Seconds, loadtest.Thousands(int64(sum.PerSecond)), sum.Store, sum.Run)
	if f.numbersOut != "" {
		fmt.Fprintf(stdout, "internet numbers appended to %s\n", f.numbersOut)
	}
	if generated {
		fmt.Fprintf(stdout, "password of every seeded resident: %s\n", pw)
	}
	return nil
}
