package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// netid verify refuses command lines it cannot act on with exit 2 and
// says why, before reading anything else.
func TestVerifyUsage(t *testing.T) {
	tmp := t.TempDir()
	notPEM := filepath.Join(tmp, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no ca", []string{"--cert", "c.pem"}, "needs --ca"},
		{"neither", []string{"--ca", notPEM}, "one of --presentation and --cert"},
		{"both", []string{"--ca", notPEM, "--cert", "c.pem", "--presentation", "NETID1:x"}, "one of --presentation and --cert"},
		{"no challenge", []string{"--ca", notPEM, "--presentation", "NETID1:x", "--client-id", "rp-x"}, "--client-id and --challenge"},
		{"bad ca", []string{"--ca", notPEM, "--cert", "c.pem"}, "no PEM CERTIFICATE"},
		{"argument", []string{"--ca", notPEM, "extra"}, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runNetid(t, append([]string{"verify"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("verify %v: exit %d, stderr %q; want %d, %q", tt.args, code, stderr, exitUsage, tt.want)
			}
		})
	}
}
