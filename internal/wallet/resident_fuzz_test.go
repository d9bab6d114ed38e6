package wallet

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/netid/netid/internal/translog"
)

// FuzzExportFileName: whatever Content-Disposition the server sends, the
// file name is a plain name in the directory the resident chose.
func FuzzExportFileName(f *testing.F) {
	for _, s := range []string{
		`attachment; filename="netid-export-ABCDE12345-20250901T100000Z.json"`, `attachment; filename="../../etc/passwd"`,
		`attachment; filename="a/b"`, `attachment; filename="..\\x"`, `attachment; filename=".bashrc"`, `attachment`,
		`inline; filename*=UTF-8''%E6%B5%8B.json`, `attachment; filename="a\x00b"`, ``, `;;;`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		name := exportFileName(header)
		if name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`) || len(name) > 255 ||
			strings.ContainsFunc(name, unicode.IsControl) {
			t.Fatalf("exportFileName(%q) = %q, not a plain file name", header, name)
		}
	})
}

// FuzzVerifierKeySuite: the suite read from a verifier key the server
// publishes never panics, and for a key translog accepts it is the key's.
func FuzzVerifierKeySuite(f *testing.F) {
	for _, s := range []string{
		"id.example.test/translog+0a1b2c3d+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABA==",
		"id.example.test/translog+0a1b2c3d+/25ldGlkLXNtMi1zbTM=", "a+b+", "+", "", "x+00000000+AA==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, vkey string) {
		name, err := vkeySuite(vkey)
		if _, perr := translog.ParseVerifierKey(vkey); perr == nil && err != nil {
			t.Fatalf("vkeySuite(%q) = %v for a key translog accepts", vkey, err)
		}
		if err == nil && name != "intl" && name != "sm" {
			t.Fatalf("vkeySuite(%q) = %q", vkey, name)
		}
	})
}

// FuzzCheckDecoding: the comparison of the server's reading with a leaf
// never panics on any leaf bytes, and accepts a withheld record only
// without content.
func FuzzCheckDecoding(f *testing.F) {
	leaf, err := translog.Leaf{LogID: translog.LogID(strings.Repeat("A", 43)), Seq: 1, Entry: translog.Entry{
		ID: "d-1", Kind: translog.KindDisclosure, Time: time.Unix(1_750_000_000, 0), ClientID: "rp-1",
		Claims: []string{"age_over_18"}, Level: translog.LevelLow, Event: translog.EventAuthorizationCode,
	}}.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(leaf, "d-1", "disclosure", false)
	f.Add(leaf, "d-2", "disclosure", false)
	f.Add([]byte{1, 2, 3}, "x", "disclosure", false)
	f.Add([]byte(nil), "", "", true)
	f.Fuzz(func(t *testing.T, b []byte, id, kind string, withheld bool) {
		e := HistoryEntry{Leaf: b, Withheld: withheld, Entry: &HistoryEvent{ID: id, Kind: kind}}
		if err := checkDecoding(e); err == nil && (withheld || b == nil) {
			t.Fatalf("a withheld record with content passed")
		}
		_ = checkDecoding(HistoryEntry{Leaf: b})
	})
}
