package envelope

import (
	"bytes"
	"context"
	"testing"

	"github.com/netid/netid/internal/crypto/suite"
)

// FuzzOpen feeds arbitrary ciphertexts to Open, the parser of stored data:
// it must never panic, and only the genuine ciphertext may open, to the
// genuine plaintext.
func FuzzOpen(f *testing.F) {
	ctx := context.Background()
	envs := map[suite.Name]*Envelope{}
	const owner, field = "alice", "person-number"
	plaintext := []byte("110101199003077777")
	for _, n := range suite.Names() {
		e, _, _ := newTestEnvelope(f, n)
		mustCreate(f, e, owner)
		envs[n] = e
		ct, err := e.Seal(ctx, owner, field, plaintext)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct)
		f.Add(ct[:len(ct)-1])
		f.Add(append([]byte{0x03}, ct[1:]...))
	}
	f.Add([]byte{})
	f.Add([]byte{formatIntl})
	f.Add(bytes.Repeat([]byte{formatSM}, 29))
	f.Fuzz(func(t *testing.T, ct []byte) {
		for n, e := range envs {
			got, err := e.Open(ctx, owner, field, ct)
			if err == nil && !bytes.Equal(got, plaintext) {
				t.Fatalf("%s: Open accepted a forged ciphertext, plaintext %q", n, got)
			}
		}
	})
}
