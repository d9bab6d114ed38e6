package keystore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netid/netid/internal/crypto/suite"
)

// FuzzParseKeyFile feeds arbitrary content to the key file parser. Seeds are
// real key files of every purpose in both suites, a retired one and a
// pending one. A file the parser accepts must re-encode to a file it
// accepts with the same metadata, and carry an activation time if and only
// if it is pending.
func FuzzParseKeyFile(f *testing.F) {
	for _, n := range suite.Names() {
		st, dir := bootstrapped(f, n)
		if _, err := st.Rotate(context.Background(), KeyEncryption); err != nil {
			f.Fatal(err)
		}
		if _, err := st.Rotate(context.Background(), TokenSigning, WithActivation(time.Hour)); err != nil {
			f.Fatal(err)
		}
		for _, m := range st.List("") {
			if m.State == StateRetiring {
				if _, err := st.Retire(context.Background(), m.ID); err != nil {
					f.Fatal(err)
				}
			}
		}
		for _, m := range st.List("") {
			data, err := os.ReadFile(filepath.Join(dir, m.ID+".json"))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(m.ID+".json", data)
		}
	}
	f.Add("x.json", []byte(`{}`))
	f.Add("x.json", []byte(`{"version":1} {}`))
	f.Add("x.json", []byte(`not json`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		k, err := parseKeyFile(name, data)
		if err != nil {
			return
		}
		if name != k.file.ID+".json" || !ValidID(k.file.ID) || strings.ContainsAny(k.file.ID, "/.") {
			t.Fatalf("accepted file %q for key id %q", name, k.file.ID)
		}
		if k.file.State != StateRetired && k.alg.kind == kindSign && k.signer == nil {
			t.Fatal("accepted a usable signing key without a signer")
		}
		if pending := k.file.State == StatePending; pending != !k.file.ActivateAt.IsZero() || (pending && !k.file.ActivateAt.After(k.file.Created)) {
			t.Fatalf("accepted a %s key with activation time %v (created %v)", k.file.State, k.file.ActivateAt, k.file.Created)
		}
		enc, err := k.file.encode()
		if err != nil {
			t.Fatal(err)
		}
		k2, err := parseKeyFile(name, enc)
		if err != nil {
			t.Fatalf("re-encoded file refused: %v", err)
		}
		if diff := cmp.Diff(k.file.meta(), k2.file.meta()); diff != "" {
			t.Fatalf("metadata changed by re-encoding (-before +after):\n%s", diff)
		}
	})
}
