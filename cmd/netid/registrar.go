package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/peterbourgon/ff/v3/ffcli"
)

func newRegistrarCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		storage storageFlags
		name    string
		asJSON  bool
	)
	fs := flag.NewFlagSet("netid registrar create", flag.ContinueOnError)
	storage.register(fs)
	fs.StringVar(&name, "name", "", "the registrar's `name` as it will appear on the enrolments they make (an office and an officer)")
	fs.BoolVar(&asJSON, "json", false, "print {\"id\", \"token\"} as JSON")
	create := newCommand(&ffcli.Command{
		Name:       "create",
		ShortUsage: "netid registrar create --name NAME [storage flags]",
		ShortHelp:  "create a registrar account and print its token once",
		LongHelp: `Create an accredited registrar: an enrolment officer who enrols, in person,
people who cannot enrol themselves (no foundational document, no NFC phone).
The token is printed once and stored only as a hash: hand it to the officer
over a secure channel. The registrar authenticates with it as a bearer token
on POST /v1/assisted-enrolments, and every assisted enrolment records the
registrar's id.

Takes the same storage flags as serve, so it works beside a running server.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			errs := storage.validate()
			if name == "" {
				errs = append(errs, fmt.Errorf("--name is required"))
			}
			if len(args) > 0 {
				errs = append(errs, fmt.Errorf("registrar create takes no arguments, got %q", args))
			}
			if err := configErrors(errs); err != nil {
				return err
			}
			quiet := slog.New(slog.DiscardHandler)
			svc, err := openService(ctx, storage, quiet, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			var ef enrolFlags
			ef.register(flag.NewFlagSet("defaults", flag.ContinueOnError))
			en, err := buildEnrolment(ctx, svc, ef, "127.0.0.1", nil, true, quiet)
			if err != nil {
				return err
			}
			defer en.Close()
			id, token, err := en.svc.CreateRegistrar(ctx, name)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(stdout, map[string]string{"id": id, "token": token})
			}
			fmt.Fprintf(stdout, "registrar %s created for %q\ntoken (shown once): %s\n", id, name, token)
			return nil
		},
	})
	return newCommand(&ffcli.Command{
		Name:        "registrar",
		ShortUsage:  "netid registrar create [flags]",
		ShortHelp:   "manage registrars of the assisted enrolment pathway",
		FlagSet:     flag.NewFlagSet("netid registrar", flag.ContinueOnError),
		Subcommands: []*ffcli.Command{create},
	})
}
