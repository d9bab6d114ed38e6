package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"
)

// sharedTestdata returns ../shared/testdata/emrtd relative to the module
// root; the test is skipped when it is absent, except under CI=true.
func sharedTestdata(tb testing.TB) string {
	tb.Helper()
	td := sharedTestdataPath()
	if _, err := os.Stat(td); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared test data %s is missing (CI=true): %v", td, err)
		}
		tb.Skipf("shared test data %s is missing: %v", td, err)
	}
	return td
}

// sharedTestdataPath returns where the shared test data should be: next
// to the module root (the directory holding go.mod).
func sharedTestdataPath() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "testdata", "emrtd")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// masterListEntries returns the DER certificates of a real master list,
// found with a minimal walk of the CMS structure (the full parser lives in
// package emrtd, which imports this one).
func masterListEntries(tb testing.TB, name string) [][]byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(sharedTestdata(tb), "trust", name))
	if err != nil {
		tb.Fatal(err)
	}
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(b, &ci); err != nil {
		tb.Fatal(err)
	}
	var sd struct {
		Version int
		Digests []pkix.AlgorithmIdentifier `asn1:"set"`
		Encap   struct {
			Type    asn1.ObjectIdentifier
			Content asn1.RawValue `asn1:"explicit,tag:0"`
		}
		// certificates and signerInfos follow; encoding/asn1 ignores them.
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		tb.Fatal(err)
	}
	var content []byte
	if _, err := asn1.Unmarshal(sd.Encap.Content.Bytes, &content); err != nil {
		tb.Fatal(err)
	}
	var list struct {
		Version int
		Certs   []asn1.RawValue `asn1:"set"`
	}
	if _, err := asn1.Unmarshal(content, &list); err != nil {
		tb.Fatal(err)
	}
	out := make([][]byte, len(list.Certs))
	for i, c := range list.Certs {
		out[i] = c.FullBytes
	}
	return out
}
