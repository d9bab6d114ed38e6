package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
)

// backupFormat names the archive layout: a gzip-compressed tar whose first
// member is manifest.json, then netid.db (SQLite only), then
// keys/<key id>.json.
const backupFormat = "netid-backup/1"

// Members of a backup archive.
const (
	manifestMember = "manifest.json"
	databaseMember = "netid.db" // sqlite.FileName, as it sits in a data dir
	keysPrefix     = "keys/"
)

// Bounds on what restore reads from an archive (outside data).
const (
	maxManifestBytes = 1 << 20
	maxKeyFileBytes  = 64 << 10
	maxBackupMembers = 10000
)

// backupManifest describes an archive: what made it, for which suite and
// schema, which keys, and the SHA-256 of every other member.
type backupManifest struct {
	Format       string    `json:"format"`
	NetidVersion string    `json:"netid_version"`
	Created      time.Time `json:"created"`
	Suite        string    `json:"suite"`
	// Engine is "sqlite" (the database is in the archive) or "postgres"
	// (keys only: the database is backed up with pg_dump).
	Engine string `json:"engine"`
	// SchemaVersion is the highest migration applied to the database
	// backed up (read from the copy for SQLite, from the live database
	// for PostgreSQL); Migrations names them.
	SchemaVersion int            `json:"schema_version"`
	Migrations    []string       `json:"migrations"`
	Keys          []backupKey    `json:"keys"`
	Members       []backupMember `json:"members"`
}

type backupKey struct {
	ID        string `json:"id"`
	Purpose   string `json:"purpose"`
	Algorithm string `json:"algorithm"`
	State     string `json:"state"`
}

type backupMember struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func newBackupCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		storage storageFlags
		out     string
	)
	fs := flag.NewFlagSet("netid backup", flag.ContinueOnError)
	storage.register(fs)
	fs.StringVar(&out, "out", "", "archive `file` to write (tar.gz, mode 0600); must not exist")
	return newCommand(&ffcli.Command{
		Name:       "backup",
		ShortUsage: "netid backup --out FILE [storage flags]",
		ShortHelp:  "write a consistent online backup of the database and the keys",
		LongHelp: `Write one archive (tar.gz, mode 0600) holding a consistent copy of the
embedded SQLite database, taken with VACUUM INTO while servers keep running,
the key files of DATA_DIR/keys, and a manifest: netid version, suite, schema
version, key ids, and the SHA-256 of every member. The keys are read under
the key directory's lock, held until the database copy is complete, so no
rotation or retirement falls between the two: every resident's data key in
the copy is wrapped by a key in the archive.

The archive holds every secret of the service (it decrypts every resident's
data): keep it encrypted and offline. A copy of a live database file is not
a backup; this command is.

With --database-url (PostgreSQL) the archive holds the keys only: run pg_dump
first, then this command (see docs/operations.md, "Backup and restore").

Restore with netid restore.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			errs := storage.validate()
			if out == "" {
				errs = append(errs, errors.New("--out is required"))
			}
			if len(args) > 0 {
				errs = append(errs, fmt.Errorf("backup takes no arguments, got %q", args))
			}
			if err := configErrors(errs); err != nil {
				return err
			}
			m, err := runBackup(ctx, storage, out)
			// Reading every secret of the service is an admin action.
			detail := ""
			if err == nil {
				detail = fmt.Sprintf("%s store, schema version %d, %d key(s)", m.Engine, m.SchemaVersion, len(m.Keys))
			}
			auditKeyCommand(ctx, storage, nil, stderr, "backup", out, detail, err)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "backup written to %s: %s store, suite %s, schema version %d, %d key(s)\n",
				out, m.Engine, m.Suite, m.SchemaVersion, len(m.Keys))
			if m.Engine == "postgres" {
				fmt.Fprintf(stdout, `the PostgreSQL database is NOT in this archive. Back it up with pg_dump,
right before this command, with no key retired in between:
  pg_dump --format=custom --file=netid.pgdump '%s'
Restore: netid restore --from %s --data-dir DIR, then
  createdb NEWDB && pg_restore --no-owner --dbname=NEWDB netid.pgdump
  netid serve --data-dir DIR --database-url URL-OF-NEWDB --suite %s
`, postgres.RedactURL(storage.databaseURL), out, m.Suite)
			}
			return nil
		},
	})
}

// runBackup writes the archive and returns its manifest.
func runBackup(ctx context.Context, f storageFlags, out string) (backupManifest, error) {
	name, err := suite.Parse(f.suite)
	if err != nil {
		return backupManifest{}, err
	}
	if _, err := os.Lstat(out); err == nil {
		return backupManifest{}, exitError{code: 1, msg: fmt.Sprintf("%s exists: backup never overwrites a file", out)}
	}
	// The key store must be the one the flags describe: the manifest's
	// suite is what restore checks the keys against.
	keys, err := openKeysForAdmin(f)
	if err != nil {
		return backupManifest{}, err
	}
	if err := keys.Check(); err != nil {
		return backupManifest{}, fmt.Errorf("the keys in %s are not usable with --suite %s: %w", keyDirOf(f), f.suite, err)
	}
	m := backupManifest{Format: backupFormat, NetidVersion: versionString(), Created: time.Now().UTC().Truncate(time.Second),
		Suite: string(name), Engine: "sqlite", Migrations: []string{}}
	dbPath := filepath.Join(f.dataDir, sqlite.FileName)
	if f.databaseURL != "" {
		m.Engine = "postgres"
	} else if _, err := os.Stat(dbPath); err != nil {
		return backupManifest{}, fmt.Errorf("the SQLite database: %w (is --data-dir the server's, or does it use --database-url?)", err)
	}

	// Work next to the output, in a private directory, so that the copy
	// of the database never sits anywhere readable and the final rename
	// stays on one file system.
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".netid-backup-")
	if err != nil {
		return backupManifest{}, err
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, databaseMember)

	var files []keystore.KeyFile
	err = keystore.Snapshot(ctx, keyDirOf(f), func(ctx context.Context, kf []keystore.KeyFile) error {
		files = kf
		if m.Engine == "sqlite" {
			return vacuumInto(ctx, dbPath, copyPath)
		}
		return nil
	})
	if err != nil {
		return backupManifest{}, err
	}
	for _, k := range files {
		m.Keys = append(m.Keys, backupKey{ID: k.Meta.ID, Purpose: string(k.Meta.Purpose), Algorithm: k.Meta.Algorithm, State: string(k.Meta.State)})
	}

	var members []archiveMember
	if m.Engine == "sqlite" {
		if m.Migrations, err = checkDatabaseCopy(ctx, copyPath); err != nil {
			return backupManifest{}, fmt.Errorf("the database copy: %w", err)
		}
		members = append(members, archiveMember{name: databaseMember, path: copyPath})
	} else {
		st, err := openStore(ctx, f)
		if err != nil {
			return backupManifest{}, err
		}
		pending, err := st.PendingMigrations(ctx)
		if err == nil {
			for _, name := range st.Migrations() {
				if !slices.Contains(pending, name) {
					m.Migrations = append(m.Migrations, name)
				}
			}
		}
		st.Close()
		if err != nil {
			return backupManifest{}, fmt.Errorf("reading the schema version: %w", err)
		}
	}
	m.SchemaVersion = schemaVersionOf(m.Migrations)
	for _, k := range files {
		members = append(members, archiveMember{name: keysPrefix + k.Name, data: k.Data})
	}
	for i := range members {
		if err := members[i].digest(); err != nil {
			return backupManifest{}, err
		}
		m.Members = append(m.Members, backupMember{Name: members[i].name, Size: members[i].size, SHA256: members[i].sum})
	}
	if err := writeArchiveFile(out, tmp, m, members); err != nil {
		return backupManifest{}, err
	}
	return m, nil
}

// vacuumInto writes a consistent copy of the live SQLite database at src to
// dst with VACUUM INTO: SQLite reads the database in one read transaction,
// so the copy is the state of one moment even while servers write (WAL
// readers do not block writers, nor writers them).
func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", sqlite.DSN(src, sqlite.DefaultBusyTimeout))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, dst); err != nil {
		return fmt.Errorf("VACUUM INTO: %w", err)
	}
	return nil
}

// checkDatabaseCopy opens a database file read-only, checks its integrity
// and returns the names of the migrations applied to it.
func checkDatabaseCopy(ctx context.Context, path string) ([]string, error) {
	// Read-only: checking must not change the copy.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	if ok != "ok" {
		return nil, fmt.Errorf("integrity check: %s", ok)
	}
	rows, err := db.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// schemaVersionOf returns the version number of the last migration name
// ("0011_resident" is 11), 0 for none.
func schemaVersionOf(names []string) int {
	if len(names) == 0 {
		return 0
	}
	last := names[len(names)-1]
	v := 0
	for _, c := range last {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// archiveMember is one member to write: from a file (the database copy) or
// from memory (a key file).
type archiveMember struct {
	name string
	path string
	data []byte
	size int64
	sum  string
}

func (a *archiveMember) open() (io.ReadCloser, error) {
	if a.path != "" {
		return os.Open(a.path)
	}
	return io.NopCloser(bytes.NewReader(a.data)), nil
}

// digest computes the member's size and SHA-256.
func (a *archiveMember) digest() error {
	r, err := a.open()
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("reading %s: %w", a.name, err)
	}
	a.size, a.sum = n, hex.EncodeToString(h.Sum(nil))
	return nil
}

// writeArchiveFile writes the archive to a temporary file in tmp (mode
// 0600), syncs it, and links it to out, which fails if out appeared
// meanwhile: the archive is complete or absent, never partial, and never
// replaces a file.
func writeArchiveFile(out, tmp string, m backupManifest, members []archiveMember) (err error) {
	partial := filepath.Join(tmp, "archive.partial")
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	if err := writeArchive(f, m, members); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	f = nil
	if err := os.Link(partial, out); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return syncParent(out)
}

// writeArchive writes m and the members as a gzip-compressed tar.
func writeArchive(w io.Writer, m backupManifest, members []archiveMember) error {
	// Fastest compression: the database is mostly ciphertext, which does
	// not compress, and a backup of a large store should take seconds per
	// gigabyte, not minutes.
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	man = append(man, '\n')
	header := func(name string, size int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: m.Created, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(header(manifestMember, int64(len(man)))); err != nil {
		return err
	}
	if _, err := tw.Write(man); err != nil {
		return err
	}
	for i := range members {
		mem := &members[i]
		if err := tw.WriteHeader(header(mem.name, mem.size)); err != nil {
			return err
		}
		r, err := mem.open()
		if err != nil {
			return err
		}
		// The member must still be what the manifest says.
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tw, h), r)
		r.Close()
		if err != nil {
			return fmt.Errorf("writing %s: %w", mem.name, err)
		}
		if n != mem.size || hex.EncodeToString(h.Sum(nil)) != mem.sum {
			return fmt.Errorf("%s changed while the backup was written", mem.name)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// syncParent makes a new directory entry durable.
func syncParent(p string) error {
	d, err := os.Open(filepath.Dir(p))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func newRestoreCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		from    string
		dataDir string
		cfg     string
	)
	fs := flag.NewFlagSet("netid restore", flag.ContinueOnError)
	fs.StringVar(&cfg, "config", "", "config `file`: one \"flag-name value\" per line, or a JSON object")
	fs.StringVar(&from, "from", "", "backup archive `file` written by netid backup")
	fs.StringVar(&dataDir, "data-dir", "", "`directory` to restore into: must not exist or be empty (created 0700)")
	return newCommand(&ffcli.Command{
		Name:       "restore",
		ShortUsage: "netid restore --from FILE --data-dir DIR",
		ShortHelp:  "restore a backup into a new data dir",
		LongHelp: `Restore an archive written by netid backup into DIR, which must not exist or
be empty: restore never overwrites a data dir. Every member is checked against
the manifest's SHA-256 and size, the keys are opened and checked against the
suite, and the database copy's integrity and schema version are checked,
before anything appears in DIR (the restore is staged beside DIR and renamed
into place). DIR is created 0700, files 0600.

A PostgreSQL backup holds the keys only: restore the database with pg_restore
(see docs/operations.md, "Backup and restore").`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			var errs []error
			if from == "" {
				errs = append(errs, errors.New("--from is required"))
			}
			if dataDir == "" {
				errs = append(errs, fmt.Errorf("--data-dir (%s) is required", env("data-dir")))
			}
			if len(args) > 0 {
				errs = append(errs, fmt.Errorf("restore takes no arguments, got %q", args))
			}
			if err := configErrors(errs); err != nil {
				return err
			}
			m, err := runRestore(ctx, from, dataDir)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "restored the backup of %s (netid %s, %s store, suite %s, schema version %d, %d key(s)) into %s\n",
				m.Created.Format(time.RFC3339), m.NetidVersion, m.Engine, m.Suite, m.SchemaVersion, len(m.Keys), dataDir)
			if m.Engine == "postgres" {
				fmt.Fprintf(stdout, "the keys only: restore the database with pg_restore, then\n  netid serve --data-dir %s --suite %s --database-url URL\n", dataDir, m.Suite)
			} else {
				fmt.Fprintf(stdout, "start it with: netid serve --data-dir %s --suite %s\n", dataDir, m.Suite)
			}
			return nil
		},
	})
}

// runRestore restores the archive at from into dir.
func runRestore(ctx context.Context, from, dir string) (backupManifest, error) {
	if err := checkRestoreTarget(dir); err != nil {
		return backupManifest{}, err
	}
	f, err := os.Open(from)
	if err != nil {
		return backupManifest{}, err
	}
	defer f.Close()
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".netid-restore-")
	if err != nil {
		return backupManifest{}, err
	}
	defer os.RemoveAll(stage) // gone after the rename on success
	m, err := readArchive(f, stage)
	if err != nil {
		return backupManifest{}, fmt.Errorf("%s: %w", from, err)
	}
	if err := checkRestored(ctx, stage, m); err != nil {
		return backupManifest{}, fmt.Errorf("%s: %w", from, err)
	}
	if err := syncTree(stage); err != nil {
		return backupManifest{}, err
	}
	// The target may have appeared, or been filled, meanwhile.
	if err := checkRestoreTarget(dir); err != nil {
		return backupManifest{}, err
	}
	// An empty target directory is replaced: os.Remove fails on one that
	// is not empty, and os.Rename does not move onto a directory.
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return backupManifest{}, fmt.Errorf("replacing the empty %s: %w", dir, err)
	}
	if err := os.Rename(stage, dir); err != nil {
		return backupManifest{}, fmt.Errorf("moving the restored data dir into place: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return backupManifest{}, err
	}
	return m, syncParent(filepath.Clean(dir))
}

// checkRestoreTarget accepts a directory that does not exist or is empty.
func checkRestoreTarget(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return exitError{code: 1, msg: fmt.Sprintf("%s exists and is not a directory: restore needs a new or empty data dir", dir)}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%s is not empty: restore never overwrites a data dir; give a new or empty one", dir)}
	}
	return nil
}

// errBackup marks an archive that is not a valid netid backup.
var errBackup = errors.New("not a valid netid backup")

// readArchive reads a backup archive from r into the directory stage: the
// manifest first, then every member it lists, each checked against its
// size and SHA-256, written with mode 0600 (keys/ 0700). It accepts
// nothing the manifest does not list, no link or directory member, no name
// outside the layout, no duplicate, and no member missing.
func readArchive(r io.Reader, stage string) (backupManifest, error) {
	var m backupManifest
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("%w: %w", errBackup, err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		return m, fmt.Errorf("%w: reading the first member: %w", errBackup, err)
	}
	if hdr.Name != manifestMember || hdr.Typeflag != tar.TypeReg || isSparse(hdr) || hdr.Size > maxManifestBytes {
		return m, fmt.Errorf("%w: the first member must be %s (at most %d bytes), got %q", errBackup, manifestMember, maxManifestBytes, hdr.Name)
	}
	if m, err = parseManifest(io.LimitReader(tr, maxManifestBytes)); err != nil {
		return m, err
	}
	want := map[string]backupMember{}
	for _, mem := range m.Members {
		want[mem.Name] = mem
	}
	if err := os.Mkdir(filepath.Join(stage, strings.TrimSuffix(keysPrefix, "/")), 0o700); err != nil {
		return m, err
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("%w: %w", errBackup, err)
		}
		mem, ok := want[hdr.Name]
		switch {
		case !ok:
			return m, fmt.Errorf("%w: member %q is not in the manifest", errBackup, hdr.Name)
		case seen[hdr.Name]:
			return m, fmt.Errorf("%w: member %q appears twice", errBackup, hdr.Name)
		case hdr.Typeflag != tar.TypeReg || isSparse(hdr):
			return m, fmt.Errorf("%w: member %q is not a plain regular file", errBackup, hdr.Name)
		case hdr.Size != mem.Size:
			return m, fmt.Errorf("%w: member %q is %d bytes, the manifest says %d", errBackup, hdr.Name, hdr.Size, mem.Size)
		}
		seen[hdr.Name] = true
		if err := extractMember(tr, filepath.Join(stage, filepath.FromSlash(hdr.Name)), mem); err != nil {
			return m, err
		}
	}
	for _, mem := range m.Members {
		if !seen[mem.Name] {
			return m, fmt.Errorf("%w: member %q listed in the manifest is missing", errBackup, mem.Name)
		}
	}
	return m, nil
}

// isSparse reports a PAX sparse file, which archive/tar presents as a
// regular file whose holes it fills with zeros: a few bytes of archive
// could claim terabytes. backup never writes one.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// extractMember copies one member to dst (mode 0600), checking its SHA-256.
// runRestore syncs everything once all is checked.
func extractMember(r io.Reader, dst string, mem backupMember) (err error) {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, mem.Size))
	if err != nil {
		return fmt.Errorf("%w: member %q: %w", errBackup, mem.Name, err)
	}
	if n != mem.Size {
		return fmt.Errorf("%w: member %q is truncated", errBackup, mem.Name)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != mem.SHA256 {
		return fmt.Errorf("%w: member %q has SHA-256 %s, the manifest says %s (the archive is damaged or was altered)", errBackup, mem.Name, got, mem.SHA256)
	}
	return nil
}

// syncTree makes the staged files and directories durable before the
// rename that publishes them.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

// parseManifest decodes a manifest strictly and checks its shape: the
// format, the engine, member names within the layout (netid.db for SQLite
// only, keys/<key id>.json), sizes and digests well formed, no duplicate,
// and a key file for every key listed.
func parseManifest(r io.Reader) (backupManifest, error) {
	var m backupManifest
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: manifest: %w", errBackup, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return m, fmt.Errorf("%w: manifest: data after the JSON object", errBackup)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.Format != backupFormat {
		bad("format %q, want %q", m.Format, backupFormat)
	}
	if _, err := suite.Parse(m.Suite); err != nil {
		bad("suite: %v", err)
	}
	if m.Engine != "sqlite" && m.Engine != "postgres" {
		bad("engine %q, want sqlite or postgres", m.Engine)
	}
	if m.SchemaVersion < 0 || m.SchemaVersion != schemaVersionOf(m.Migrations) {
		bad("schema version %d does not match the migrations listed", m.SchemaVersion)
	}
	if len(m.Members) > maxBackupMembers {
		bad("%d members, more than %d", len(m.Members), maxBackupMembers)
	}
	names := map[string]bool{}
	hasDB := false
	for _, mem := range m.Members {
		switch {
		case names[mem.Name]:
			bad("member %q listed twice", mem.Name)
		case mem.Name == databaseMember:
			hasDB = true
		case strings.HasPrefix(mem.Name, keysPrefix) && keystore.IsKeyFileName(strings.TrimPrefix(mem.Name, keysPrefix)):
			if mem.Size > maxKeyFileBytes {
				bad("key file %q is %d bytes, more than %d", mem.Name, mem.Size, maxKeyFileBytes)
			}
		default:
			bad("member %q is outside the backup layout", mem.Name)
		}
		names[mem.Name] = true
		if mem.Size < 0 {
			bad("member %q has a negative size", mem.Name)
		}
		if b, err := hex.DecodeString(mem.SHA256); err != nil || len(b) != sha256.Size || mem.SHA256 != strings.ToLower(mem.SHA256) {
			bad("member %q: sha256 %q is not 64 lower-case hex digits", mem.Name, mem.SHA256)
		}
	}
	if m.Engine == "sqlite" && !hasDB {
		bad("a SQLite backup without %s", databaseMember)
	}
	if m.Engine == "postgres" && hasDB {
		bad("a PostgreSQL backup with %s", databaseMember)
	}
	if len(m.Keys) == 0 {
		bad("no keys")
	}
	for _, k := range m.Keys {
		if !names[keysPrefix+k.ID+".json"] {
			bad("key %q has no key file", k.ID)
		}
	}
	if len(errs) > 0 {
		return m, fmt.Errorf("%w: manifest: %w", errBackup, errors.Join(errs...))
	}
	return m, nil
}

// checkRestored checks a staged restore before it is moved into place: the
// keys open, match the manifest and are ready for its suite; the database
// copy is intact and its schema is the manifest's and not newer than this
// binary knows.
func checkRestored(ctx context.Context, stage string, m backupManifest) error {
	name, err := suite.Parse(m.Suite)
	if err != nil {
		return err
	}
	s, err := suite.New(name)
	if err != nil {
		return err
	}
	keys, err := keystore.OpenDir(filepath.Join(stage, "keys"), s)
	if err != nil {
		return fmt.Errorf("the keys: %w", err)
	}
	if err := keys.Check(); err != nil {
		return fmt.Errorf("the keys: %w", err)
	}
	var got, want []string
	for _, k := range keys.List("") {
		got = append(got, fmt.Sprintf("%s %s %s %s", k.ID, k.Purpose, k.Algorithm, k.State))
	}
	for _, k := range m.Keys {
		want = append(want, fmt.Sprintf("%s %s %s %s", k.ID, k.Purpose, k.Algorithm, k.State))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("%w: the key files do not match the manifest's key list", errBackup)
	}
	if m.Engine != "sqlite" {
		return nil
	}
	migs, err := checkDatabaseCopy(ctx, filepath.Join(stage, databaseMember))
	if err != nil {
		return fmt.Errorf("the database: %w", err)
	}
	if !slices.Equal(migs, m.Migrations) {
		return fmt.Errorf("%w: the database's migrations %v differ from the manifest's %v", errBackup, migs, m.Migrations)
	}
	known, err := knownMigrations()
	if err != nil {
		return err
	}
	for _, mig := range migs {
		if !slices.Contains(known, mig) {
			return fmt.Errorf("the backup's database has migration %s, which this netid (%s) does not know: restore with the netid that made it (%s) or a newer one",
				mig, versionString(), m.NetidVersion)
		}
	}
	return nil
}

// knownMigrations lists the migrations this binary embeds ("0001_init",
// ...); both engines have the same list.
func knownMigrations() ([]string, error) {
	files, err := fs.Glob(sqlite.Dialect().Migrations, "*.sql")
	if err != nil {
		return nil, err
	}
	for i, f := range files {
		files[i] = strings.TrimSuffix(f, ".sql")
	}
	return files, nil
}
