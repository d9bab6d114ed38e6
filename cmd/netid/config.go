package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/httpapi"
)

// knownConfigKeys returns every flag name of every netid command. One config
// file serves all commands, so a key that only `serve` knows must not break
// `migrate`; a key no command knows is a typo and is refused. It is computed
// once from a command tree of its own, so commands run concurrently (as the
// tests do) never write a shared map.
func knownConfigKeys() map[string]bool {
	configKeysOnce.Do(func() {
		configKeys = map[string]bool{}
		walk(newRootCommand(io.Discard, io.Discard), func(c *ffcli.Command) {
			c.FlagSet.VisitAll(func(f *flag.Flag) { configKeys[f.Name] = true })
		})
	})
	return configKeys
}

var (
	configKeysOnce sync.Once
	configKeys     map[string]bool
)

// configFileParser reads the --config file: JSON if it starts with '{',
// otherwise one "flag-name value" pair per line with # comments.
func configFileParser(r io.Reader, set func(name, value string) error) error {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return fmt.Errorf("reading config file: %w", err)
	}
	checked := func(name, value string) error {
		name = strings.TrimLeft(name, "-")
		if !knownConfigKeys()[name] {
			return fmt.Errorf("config file: unknown setting %q (settings are flag names without dashes, see netid <command> --help)", name)
		}
		if err := set(name, value); err != nil && !strings.Contains(err.Error(), "not defined") {
			return fmt.Errorf("config file: %s: %w", name, err)
		}
		return nil
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		return ff.JSONParser(bytes.NewReader(b), checked)
	}
	return ff.PlainParser(bytes.NewReader(b), checked)
}

// storageFlags are the flags every command that opens the data dir or the
// store shares, so that operator commands work beside a running server with
// the same settings.
type storageFlags struct {
	config      string
	dataDir     string
	databaseURL string
	suite       string
	dbMaxConns  int
}

func (s *storageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.config, "config", "", "config `file`: one \"flag-name value\" per line, or a JSON object")
	fs.StringVar(&s.dataDir, "data-dir", "./netid-data", "`directory` for keys and the embedded SQLite database (created 0700)")
	fs.StringVar(&s.databaseURL, "database-url", "", "PostgreSQL `url` (postgres://user:pass@host:5432/db); empty uses the embedded SQLite in the data dir")
	fs.IntVar(&s.dbMaxConns, "db-max-conns", 0, "largest number of open database `connections` of this process (0: 4 for SQLite, 20 for PostgreSQL)")
	fs.StringVar(&s.suite, "suite", string(suite.Intl), "crypto `suite` for certificates, blind indexes and encryption at rest: intl (ECDSA P-256, SHA-256, AES-256-GCM) or sm (SM2, SM3, SM4-GCM)")
}

// validate reports every problem at once.
func (s *storageFlags) validate() []error {
	var errs []error
	if s.dataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir (%s) must not be empty", env("data-dir")))
	}
	if s.databaseURL != "" && !strings.HasPrefix(s.databaseURL, "postgres://") && !strings.HasPrefix(s.databaseURL, "postgresql://") {
		errs = append(errs, fmt.Errorf("--database-url (%s) must be a postgres:// URL or empty for SQLite", env("database-url")))
	}
	if s.dbMaxConns < 0 {
		errs = append(errs, fmt.Errorf("--db-max-conns (%s) must not be negative", env("db-max-conns")))
	}
	if _, err := suite.Parse(s.suite); err != nil {
		errs = append(errs, fmt.Errorf("--suite (%s): %w", env("suite"), err))
	}
	return errs
}

// logFlags configure the structured log.
type logFlags struct {
	level  string
	format string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.level, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&l.format, "log-format", "json", "log `format`: json (one object per line) or text")
}

func (l *logFlags) validate() []error {
	var errs []error
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.level)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level (%s): %q is not debug, info, warn or error", env("log-level"), l.level))
	}
	if l.format != "json" && l.format != "text" {
		errs = append(errs, fmt.Errorf("--log-format (%s): %q is not json or text", env("log-format"), l.format))
	}
	return errs
}

// logger builds the process logger. Every line logged with a request's
// context carries its request id (httpapi.LogHandler).
func (l *logFlags) logger(w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(l.level))
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	if l.format == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(httpapi.LogHandler(h))
}

// configErrors joins validation problems into one error that lists them all.
func configErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = "  - " + e.Error()
	}
	return exitError{code: exitUsage, msg: "invalid configuration:\n" + strings.Join(msgs, "\n")}
}

// ensureDataDir creates the data dir private to the service user, and
// refuses one that others can read: it holds keys and personal data.
func ensureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating data dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("data dir %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("data dir %s has mode %v: others may read keys and personal data; run chmod 700 %s", dir, fi.Mode().Perm(), dir)
	}
	return nil
}
