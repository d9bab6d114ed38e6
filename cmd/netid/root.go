package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// envPrefix prefixes the environment variable of every flag: --data-dir is
// NETID_DATA_DIR.
const envPrefix = "NETID"

// exitUsage is the exit code for a command line netid cannot act on.
const exitUsage = 2

// env returns the environment variable that sets flag name.
func env(name string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseOptions are the ff options of every command: flags first, then
// environment variables, then the config file given by --config.
func parseOptions() []ff.Option {
	return []ff.Option{
		ff.WithEnvVarPrefix(envPrefix),
		ff.WithConfigFileFlag("config"),
		ff.WithConfigFileParser(configFileParser),
	}
}

// newCommand fills in what every command shares: the options and a usage
// text that names each flag's environment variable and default.
func newCommand(c *ffcli.Command) *ffcli.Command {
	if c.FlagSet == nil {
		c.FlagSet = flag.NewFlagSet(c.Name, flag.ContinueOnError)
	}
	c.Options = append(parseOptions(), c.Options...)
	c.UsageFunc = usage
	return c
}

// usage prints help in the form an operator needs: what the command does,
// its subcommands, and for each flag its environment variable and default.
func usage(c *ffcli.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "USAGE\n  %s\n\n", c.ShortUsage)
	if c.LongHelp != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(c.LongHelp))
	} else if c.ShortHelp != "" {
		fmt.Fprintf(&b, "%s\n\n", c.ShortHelp)
	}
	if len(c.Subcommands) > 0 {
		fmt.Fprintf(&b, "COMMANDS\n")
		tw := tabwriter.NewWriter(&b, 0, 2, 2, ' ', 0)
		for _, s := range c.Subcommands {
			fmt.Fprintf(tw, "  %s\t%s\n", s.Name, s.ShortHelp)
		}
		tw.Flush()
		b.WriteString("\n")
	}
	n := 0
	c.FlagSet.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(&b, "FLAGS (each may also be set by its environment variable or in the --config file;\n       a flag beats its variable, a variable beats the file)\n")
		c.FlagSet.VisitAll(func(f *flag.Flag) {
			name, text := flag.UnquoteUsage(f)
			arg := ""
			if name != "" {
				arg = " " + name
			}
			fmt.Fprintf(&b, "  --%s%s\n", f.Name, arg)
			fmt.Fprintf(&b, "        %s\n", text)
			def := f.DefValue
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(&b, "        env %s, default %s\n", env(f.Name), def)
		})
	}
	return b.String()
}

// run parses args, runs the selected command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	if err := root.Parse(args); err != nil {
		var noExec ffcli.NoExecError
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &noExec):
			// A command group ("netid document") without a subcommand.
			fmt.Fprint(stderr, usage(noExec.Command))
		default:
			fmt.Fprintf(stderr, "netid: %v\n", err)
		}
		return exitUsage
	}
	if err := root.Run(ctx); err != nil {
		var ee exitError
		switch {
		case errors.Is(err, flag.ErrHelp):
			// ffcli has printed the command's usage already.
			return exitUsage
		case errors.As(err, &ee):
			if ee.msg != "" {
				fmt.Fprintf(stderr, "netid: %s\n", ee.msg)
			}
			return ee.code
		default:
			fmt.Fprintf(stderr, "netid: %v\n", err)
			return 1
		}
	}
	return 0
}

// exitError ends the program with a specific exit code.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// walk calls fn for c and every command below it.
func walk(c *ffcli.Command, fn func(*ffcli.Command)) {
	fn(c)
	for _, s := range c.Subcommands {
		walk(s, fn)
	}
}

func newRootCommand(stdout, stderr io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("netid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := newCommand(&ffcli.Command{
		Name:       "netid",
		ShortUsage: "netid <command> [flags] [args...]",
		LongHelp: `netid is a national online identity authentication service: residents enrol once
with an identity document and receive an internet number and an internet
certificate; platforms authenticate them through OpenID Connect.

Run "netid <command> --help" for a command's flags.`,
		FlagSet: fs,
		Exec:    func(context.Context, []string) error { return flag.ErrHelp },
	})
	root.Subcommands = []*ffcli.Command{
		newServeCommand(stdout, stderr),
		newMigrateCommand(stdout, stderr),
		newBackupCommand(stdout, stderr),
		newRestoreCommand(stdout, stderr),
		newDocumentCommand(stdout, stderr),
		newTestdocCommand(stdout),
		newRegistrarCommand(stdout, stderr),
		newRPCommand(stdout, stderr),
		newAdminCommand(stdout, stderr),
		newWalletCommand(stdout, stderr),
		newVerifyCommand(stdout),
		newSeedCommand(stdout, stderr),
		newLoadtestCommand(stdout, stderr),
		newVersionCommand(stdout),
	}
	walk(root, func(c *ffcli.Command) { c.FlagSet.SetOutput(stderr) })
	return root
}
