package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a private PostgreSQL server that one test owns and may stop
// and start again, to see what netid does while its database is away. New
// is the right choice for everything else: a shared server is cheaper.
//
// The cluster lives in a temporary directory, listens on a free loopback
// port that stays the same across restarts (so that a client's URL stays
// valid) and is destroyed when the test ends. As root it runs as the
// unprivileged account "netidpg" (created if missing, as .ci/pg.sh does),
// because PostgreSQL refuses to run as root.
type Cluster struct {
	bin  string   // directory of initdb and pg_ctl
	dir  string   // the cluster's directory: data/, the log, the socket
	as   []string // the command prefix that runs as the cluster's owner
	port int
}

// NewCluster initialises and starts a private cluster. Without initdb it
// skips the test, or fails it when CI is true (like New, see the package
// documentation).
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin, err := serverBinaries()
	if err != nil {
		unavailable(tb, ci(), err.Error())
		return nil
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if err := ensureOwner(); err != nil {
			tb.Fatalf("pgtest: %v", err)
			return nil
		}
		c.as = []string{"runuser", "-u", clusterOwner, "--"}
	}
	// Not t.TempDir: its parents are private to root, and the owner
	// account must reach the directory.
	if c.dir, err = os.MkdirTemp("", "netid-pgcluster-"); err != nil {
		tb.Fatalf("pgtest: %v", err)
		return nil
	}
	tb.Cleanup(func() {
		c.pgctl("stop", "-m", "immediate") // already stopped is fine
		os.RemoveAll(c.dir)
	})
	if len(c.as) > 0 {
		if out, err := exec.Command("chown", clusterOwner, c.dir).CombinedOutput(); err != nil {
			tb.Fatalf("pgtest: chown %s: %v: %s", c.dir, err, out)
			return nil
		}
	}
	if c.port, err = freePort(); err != nil {
		tb.Fatalf("pgtest: %v", err)
		return nil
	}
	initdb := append(append([]string{}, c.as...), filepath.Join(bin, "initdb"),
		"-D", c.dataDir(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	if out, err := command(initdb...).CombinedOutput(); err != nil {
		tb.Fatalf("pgtest: initdb: %v\n%s", err, out)
		return nil
	}
	c.Start(tb)
	return c
}

// clusterOwner is the account a cluster runs as when the test runs as
// root; .ci/pg.sh uses the same.
const clusterOwner = "netidpg"

// URL is the connection URL of the cluster's "postgres" database, as the
// superuser "postgres".
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Addr is the cluster's host:port.
func (c *Cluster) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)) }

// Start starts the stopped cluster and returns once it accepts
// connections.
func (c *Cluster) Start(tb testing.TB) {
	tb.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.port, c.dir)
	if out, err := c.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(c.dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		tb.Fatalf("pgtest: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the cluster with the pg_ctl shutdown mode given: "fast"
// (connections are terminated, the server shuts down cleanly) or
// "immediate" (the server stops as after a crash and recovers at the next
// start).
func (c *Cluster) Stop(tb testing.TB, mode string) {
	tb.Helper()
	if out, err := c.pgctl("stop", "-w", "-t", "60", "-m", mode); err != nil {
		tb.Fatalf("pgtest: pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) pgctl(args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.as...), filepath.Join(c.bin, "pg_ctl"), "-D", c.dataDir())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], args...)...)
	return cmd.CombinedOutput()
}

func command(argv ...string) *exec.Cmd { return exec.Command(argv[0], argv[1:]...) }

// serverBinaries finds the directory of initdb and pg_ctl: on PATH, else
// in Debian's /usr/lib/postgresql/*/bin (newest first).
func serverBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("initdb not found (install PostgreSQL's server package: apt-get install postgresql)")
}

// ensureOwner creates the cluster's owner account if it does not exist.
func ensureOwner() error {
	if _, err := user.Lookup(clusterOwner); err == nil {
		return nil
	}
	out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", clusterOwner).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already exists") {
		return fmt.Errorf("useradd %s: %v: %s", clusterOwner, err, out)
	}
	return nil
}

// freePort returns a loopback port nobody listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
