package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/store/pgtest"
)

// archiveMembers reads a backup archive into memory, in order.
func archiveMembers(t testing.TB, data []byte) (names []string, content map[string][]byte) {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	content = map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names, content
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Mode != 0o600 {
			t.Errorf("member %s has mode %o, want 0600", hdr.Name, hdr.Mode)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		content[hdr.Name] = b
	}
}

// rewriteArchive writes members as a gzip tar, as they are: no manifest
// is recomputed, so a test can damage an archive precisely.
func rewriteArchive(t testing.TB, names []string, content map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Size: int64(len(content[n])), Mode: 0o600}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(content[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkPrivate checks that dir and everything below it is private to the
// service user: directories 0700, files 0600.
func checkPrivate(t *testing.T, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A resident enrols; netid backup runs while the server serves; the
// archive restores into a new data dir, a server starts on it, and the
// resident logs in to a platform with the password.
func TestBackupRestoreLogin(t *testing.T) {
	addr := freeAddr(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startLoggedServer(t, addr, "--demo", "--data-dir", dataDir)
	tmp := t.TempDir()
	pwFile := passwordFile(t, demoPassword)
	enrolled, _ := enrolWallet(t, s, filepath.Join(tmp, "wallet"), pwFile, demoAdult...)
	// The server keeps writing while the backup is taken: another
	// resident enrols meanwhile.
	youth := make(chan string, 1)
	go func() {
		_, stderr, code := runNetid(t, "wallet", "enrol", "--wallet", filepath.Join(tmp, "youth"), "--server", s.base(),
			"--password-file", pwFile, "--demo-document", "youth", "--phone", "+8613800138001", "--json")
		if code != 0 {
			youth <- stderr
		}
		close(youth)
	}()
	archive := filepath.Join(t.TempDir(), "netid-backup.tar.gz")
	stdout, stderr, code := runNetid(t, "backup", "--data-dir", dataDir, "--out", archive)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
	}
	if failed, ok := <-youth; ok {
		t.Errorf("the enrolment during the backup failed: %s", failed)
	}
	if !strings.Contains(stdout, "sqlite store, suite intl") {
		t.Errorf("backup said %q", stdout)
	}
	fi, err := os.Stat(archive)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the archive has mode %v, want 0600", fi.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(archive), ".netid-backup-*")); len(leftovers) > 0 {
		t.Errorf("backup left %v behind", leftovers)
	}

	// The manifest: first member, every other member's size and digest,
	// the key ids, the schema version.
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	names, content := archiveMembers(t, data)
	if len(names) == 0 || names[0] != manifestMember {
		t.Fatalf("archive members %v: want %s first", names, manifestMember)
	}
	var m backupManifest
	if err := json.Unmarshal(content[manifestMember], &m); err != nil {
		t.Fatal(err)
	}
	known, err := knownMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != backupFormat || m.Suite != "intl" || m.Engine != "sqlite" || !slices.Equal(m.Migrations, known) ||
		m.SchemaVersion != schemaVersionOf(known) {
		t.Errorf("manifest %+v: want format %s, suite intl, engine sqlite, schema %v", m, backupFormat, known)
	}
	for _, mem := range m.Members {
		sum := sha256.Sum256(content[mem.Name])
		if hex.EncodeToString(sum[:]) != mem.SHA256 || int64(len(content[mem.Name])) != mem.Size {
			t.Errorf("member %s does not match its manifest entry", mem.Name)
		}
	}
	if len(names) != len(m.Members)+1 {
		t.Errorf("archive has %d members, manifest lists %d (+ itself)", len(names), len(m.Members))
	}
	var ids []string
	for _, k := range m.Keys {
		ids = append(ids, k.ID)
	}
	for _, p := range keystore.Purposes() {
		for _, id := range keyIDs(t, dataDir, p, keystore.StateActive) {
			if !slices.Contains(ids, id) {
				t.Errorf("manifest keys %v lack the active %s key %s", ids, p, id)
			}
		}
	}
	s.stop(t)

	// Restore into a new data dir and serve it at the same address (the
	// issuer, which the transparency log is named after).
	restored := filepath.Join(t.TempDir(), "restored")
	stdout, stderr, code = runNetid(t, "restore", "--from", archive, "--data-dir", restored)
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "netid serve --data-dir "+restored+" --suite intl") {
		t.Errorf("restore said %q", stdout)
	}
	checkPrivate(t, restored)
	if _, _, code := runNetid(t, "restore", "--from", archive, "--data-dir", restored); code == 0 {
		t.Error("a second restore into the now full data dir succeeded")
	}

	s = startLoggedServer(t, addr, "--demo", "--data-dir", restored)
	page := loginThroughDemoPlatform(t, s.base(), enrolled["internet_number"], demoPassword, false)
	if !strings.Contains(page, "You were verified by netid") {
		t.Errorf("login after restore: the platform's page lacks the verification:\n%s", page)
	}
	if strings.Contains(s.logs.String(), "created key") {
		t.Error("the restored server created keys: the archive's keys were not used")
	}
	s.stop(t)
}

// restoreArchive writes data to a file and runs netid restore into a new
// directory, returning the exit code, the output and the target.
func restoreArchive(t *testing.T, data []byte) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive.tar.gz")
	if err := os.WriteFile(archive, data, 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target")
	stdout, stderr, code := runNetid(t, "restore", "--from", archive, "--data-dir", target)
	return code, stdout + stderr, target
}

// Restore refuses, before anything appears in the target, every archive
// that is not exactly what backup wrote, and any target that is not empty.
func TestRestoreRefuses(t *testing.T) {
	dataDir, _ := keysDataDir(t, 2)
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, stderr, code := runNetid(t, "backup", "--data-dir", dataDir, "--out", archive); code != 0 {
		t.Fatalf("backup: %s", stderr)
	}
	if _, stderr, code := runNetid(t, "backup", "--data-dir", dataDir, "--out", archive); code != 1 || !strings.Contains(stderr, "never overwrites") {
		t.Errorf("backup over an existing file: exit %d, %q", code, stderr)
	}
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	names, content := archiveMembers(t, good)
	var keyMember string
	for _, n := range names {
		if strings.HasPrefix(n, keysPrefix) {
			keyMember = n
			break
		}
	}
	clone := func() ([]string, map[string][]byte) {
		c := map[string][]byte{}
		for k, v := range content {
			c[k] = bytes.Clone(v)
		}
		return slices.Clone(names), c
	}
	editManifest := func(c map[string][]byte, edit func(*backupManifest)) {
		var m backupManifest
		if err := json.Unmarshal(c[manifestMember], &m); err != nil {
			t.Fatal(err)
		}
		edit(&m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		c[manifestMember] = b
	}
	tests := []struct {
		name    string
		archive func() []byte
		want    string
	}{
		{"a flipped byte in a key file", func() []byte {
			n, c := clone()
			c[keyMember][10] ^= 1
			return rewriteArchive(t, n, c)
		}, "SHA-256"},
		{"a flipped byte in the database", func() []byte {
			n, c := clone()
			c[databaseMember][len(c[databaseMember])/2] ^= 1
			return rewriteArchive(t, n, c)
		}, "SHA-256"},
		{"a member missing", func() []byte {
			n, c := clone()
			return rewriteArchive(t, slices.DeleteFunc(n, func(s string) bool { return s == keyMember }), c)
		}, "is missing"},
		{"a member not in the manifest", func() []byte {
			n, c := clone()
			c["keys/ca-0123456789abcdef01234567.json"] = []byte("{}")
			return rewriteArchive(t, append(n, "keys/ca-0123456789abcdef01234567.json"), c)
		}, "not in the manifest"},
		{"a member twice", func() []byte {
			n, c := clone()
			return rewriteArchive(t, append(n, keyMember), c)
		}, "appears twice"},
		{"a path outside the layout", func() []byte {
			n, c := clone()
			editManifest(c, func(m *backupManifest) {
				m.Members = append(m.Members, backupMember{Name: "../escape", Size: 1, SHA256: strings.Repeat("0", 64)})
			})
			c["../escape"] = []byte("x")
			return rewriteArchive(t, append(n, "../escape"), c)
		}, "outside the backup layout"},
		{"the manifest not first", func() []byte {
			n, c := clone()
			n[0], n[1] = n[1], n[0]
			return rewriteArchive(t, n, c)
		}, "the first member must be manifest.json"},
		{"another format", func() []byte {
			n, c := clone()
			editManifest(c, func(m *backupManifest) { m.Format = "netid-backup/9" })
			return rewriteArchive(t, n, c)
		}, `format "netid-backup/9"`},
		{"a key list that is not the files'", func() []byte {
			n, c := clone()
			editManifest(c, func(m *backupManifest) { m.Keys[0].State = "retired" })
			return rewriteArchive(t, n, c)
		}, "do not match the manifest's key list"},
		{"another suite", func() []byte {
			n, c := clone()
			editManifest(c, func(m *backupManifest) { m.Suite = "sm" })
			return rewriteArchive(t, n, c)
		}, "suite sm"},
		{"not gzip", func() []byte { return []byte("hello") }, "not a valid netid backup"},
		{"truncated", func() []byte { return good[:len(good)/2] }, "not a valid netid backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, target := restoreArchive(t, tt.archive())
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Errorf("restore: exit %d, %q; want a refusal mentioning %q", code, out, tt.want)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Errorf("the refused restore created %s", target)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".netid-restore-*")); len(left) > 0 {
				t.Errorf("the refused restore left %v", left)
			}
		})
	}

	// A target that holds anything is refused and left alone.
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "netid.db"), []byte("live"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runNetid(t, "restore", "--from", archive, "--data-dir", full)
	if code != 1 || !strings.Contains(stderr, "is not empty") {
		t.Errorf("restore into a non-empty dir: exit %d, %q", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(full, "netid.db")); string(b) != "live" {
		t.Error("the refused restore touched the existing data dir")
	}
	// An empty existing directory is fine.
	empty := t.TempDir()
	if _, stderr, code := runNetid(t, "restore", "--from", archive, "--data-dir", empty); code != 0 {
		t.Errorf("restore into an empty dir: exit %d, %s", code, stderr)
	}
	checkPrivate(t, empty)
}

// FuzzReadArchive feeds restore's archive reader arbitrary bytes: it must
// refuse or accept without panicking, and what it accepts must be the
// members the manifest lists, each with its size.
func FuzzReadArchive(f *testing.F) {
	m := backupManifest{Format: backupFormat, NetidVersion: "test", Suite: "intl", Engine: "postgres", Migrations: []string{"0001_init"}, SchemaVersion: 1,
		Keys: []backupKey{{ID: "ca-0123456789abcdef01234567", Purpose: "ca", Algorithm: "ecdsa-p256", State: "active"}}}
	members := []archiveMember{{name: "keys/ca-0123456789abcdef01234567.json", data: []byte(`{"version":1}`)}}
	for i := range members {
		if err := members[i].digest(); err != nil {
			f.Fatal(err)
		}
		m.Members = append(m.Members, backupMember{Name: members[i].name, Size: members[i].size, SHA256: members[i].sum})
	}
	var good bytes.Buffer
	if err := writeArchive(&good, m, members); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()/2])
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		stage, err := os.MkdirTemp(base, "")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(stage)
		got, err := readArchive(bytes.NewReader(data), stage)
		if err != nil {
			return
		}
		for _, mem := range got.Members {
			fi, err := os.Stat(filepath.Join(stage, filepath.FromSlash(mem.Name)))
			if err != nil || fi.Size() != mem.Size || fi.Mode().Perm() != 0o600 {
				t.Errorf("accepted member %s: %v, %v", mem.Name, fi, err)
			}
		}
	})
}

// The PostgreSQL path as docs/operations.md tells it: pg_dump, netid backup
// (the keys), then on the new side pg_restore into a new database, netid
// restore (the keys), serve, and the resident logs in.
func TestBackupRestorePostgres(t *testing.T) {
	src := pgtest.New(t)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	addr := freeAddr(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startLoggedServer(t, addr, "--demo", "--data-dir", dataDir, "--database-url", src)
	tmp := t.TempDir()
	pwFile := passwordFile(t, demoPassword)
	enrolled, _ := enrolWallet(t, s, filepath.Join(tmp, "wallet"), pwFile, demoAdult...)

	dump := filepath.Join(tmp, "netid.pgdump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	archive := filepath.Join(tmp, "keys.tar.gz")
	stdout, stderr, code := runNetid(t, "backup", "--data-dir", dataDir, "--database-url", src, "--out", archive)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "postgres store") || !strings.Contains(stdout, "pg_dump --format=custom") {
		t.Errorf("backup with --database-url said %q; want the keys-only notice and the pg_dump command", stdout)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := archiveMembers(t, data)
	if slices.Contains(names, databaseMember) {
		t.Error("a PostgreSQL backup holds a database file")
	}
	s.stop(t)

	dst := pgtest.New(t)
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	stdout, stderr, code = runNetid(t, "restore", "--from", archive, "--data-dir", restored)
	if code != 0 || !strings.Contains(stdout, "pg_restore") {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	checkPrivate(t, restored)
	s = startLoggedServer(t, addr, "--demo", "--data-dir", restored, "--database-url", dst)
	page := loginThroughDemoPlatform(t, s.base(), enrolled["internet_number"], demoPassword, false)
	if !strings.Contains(page, "You were verified by netid") {
		t.Errorf("login after restore: the platform's page lacks the verification:\n%s", page)
	}
	s.stop(t)
}

// FuzzParseManifest feeds the manifest parser arbitrary JSON: it refuses
// or accepts without panicking, and an accepted manifest lists only names
// within the backup layout, each once, with well-formed digests.
func FuzzParseManifest(f *testing.F) {
	good := `{"format":"netid-backup/1","netid_version":"v1","created":"2026-01-01T00:00:00Z","suite":"intl","engine":"sqlite",` +
		`"schema_version":1,"migrations":["0001_init"],"keys":[{"id":"ca-0123456789abcdef01234567","purpose":"ca","algorithm":"ecdsa-p256","state":"active"}],` +
		`"members":[{"name":"netid.db","size":4096,"sha256":"` + strings.Repeat("ab", 32) + `"},` +
		`{"name":"keys/ca-0123456789abcdef01234567.json","size":500,"sha256":"` + strings.Repeat("cd", 32) + `"}]}`
	f.Add(good)
	f.Add(strings.Replace(good, "netid.db", "../netid.db", 1))
	f.Add(strings.Replace(good, `"engine":"sqlite"`, `"engine":"postgres"`, 1))
	f.Add(strings.Replace(good, `"schema_version":1`, `"schema_version":-1`, 1))
	f.Add(good + " {}")
	f.Add(`{"format":"netid-backup/1","unknown":1}`)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseManifest(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, errBackup) {
				t.Errorf("parseManifest error %v does not wrap errBackup", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, mem := range m.Members {
			inLayout := mem.Name == databaseMember ||
				(strings.HasPrefix(mem.Name, keysPrefix) && keystore.IsKeyFileName(strings.TrimPrefix(mem.Name, keysPrefix)))
			if !inLayout || seen[mem.Name] || mem.Size < 0 || len(mem.SHA256) != 64 {
				t.Errorf("accepted member %+v", mem)
			}
			seen[mem.Name] = true
		}
	})
}
