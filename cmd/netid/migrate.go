package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/peterbourgon/ff/v3/ffcli"
)

func newMigrateCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		storage storageFlags
		logf    logFlags
		check   bool
	)
	fs := flag.NewFlagSet("netid migrate", flag.ContinueOnError)
	storage.register(fs)
	logf.register(fs)
	fs.BoolVar(&check, "check", false, "only list pending migrations; exit 3 if there are any")
	return newCommand(&ffcli.Command{
		Name:       "migrate",
		ShortUsage: "netid migrate [flags]",
		ShortHelp:  "apply pending database migrations",
		LongHelp: `Apply the database migrations embedded in this binary that the database has
not seen yet, each in its own transaction, and print their names. Safe to run
while other nodes serve, and safe to run from several nodes at once (the
migrations take a lock). Use with netid serve --no-auto-migrate to control
when the schema changes.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			errs := append(storage.validate(), logf.validate()...)
			if len(args) > 0 {
				errs = append(errs, fmt.Errorf("migrate takes no arguments, got %q", args))
			}
			if err := configErrors(errs); err != nil {
				return err
			}
			st, err := openStore(ctx, storage)
			if err != nil {
				return err
			}
			defer st.Close()
			if check {
				pending, err := st.PendingMigrations(ctx)
				if err != nil {
					return err
				}
				for _, p := range pending {
					fmt.Fprintf(stdout, "pending %s\n", p)
				}
				if len(pending) > 0 {
					return exitError{code: 3, msg: fmt.Sprintf("%d migration(s) pending", len(pending))}
				}
				fmt.Fprintln(stdout, "schema is up to date")
				return nil
			}
			applied, err := st.Migrate(ctx)
			if err != nil {
				return err
			}
			for _, a := range applied {
				fmt.Fprintf(stdout, "applied %s\n", a)
			}
			if len(applied) == 0 {
				fmt.Fprintln(stdout, "schema is up to date")
			}
			return nil
		},
	})
}
