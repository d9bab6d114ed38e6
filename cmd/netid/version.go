package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the VCS revision recorded by the Go toolchain is shown.
var version = "dev"

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

func newVersionCommand(stdout io.Writer) *ffcli.Command {
	return newCommand(&ffcli.Command{
		Name:       "version",
		ShortUsage: "netid version",
		ShortHelp:  "print the netid version",
		FlagSet:    flag.NewFlagSet("netid version", flag.ContinueOnError),
		Exec: func(context.Context, []string) error {
			_, err := fmt.Fprintf(stdout, "netid %s\n", versionString())
			return err
		},
	})
}
