package translog

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/suite"
)

const testOrigin = "id.example.cn/translog"

func newKey(tb testing.TB, s suite.Suite) crypto.Signer {
	tb.Helper()
	k, err := s.GenerateSigner(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// signCheckpoint signs cp with key as the log named name.
func signCheckpoint(tb testing.TB, s suite.Suite, name string, key crypto.Signer, cp Checkpoint) []byte {
	tb.Helper()
	signer, err := NewNoteSigner(name, s, key, nil)
	if err != nil {
		tb.Fatal(err)
	}
	text, err := cp.Text()
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

func testCheckpoint(size uint64) Checkpoint {
	return Checkpoint{Origin: testOrigin, Size: size, Root: testRoot, Time: time.Unix(1752573600, 0).UTC()}
}

// TestNoteRoundTrip signs a checkpoint in each suite, opens it with
// golang.org/x/mod/sumdb/note and our verifier (built directly and from
// its published text), and checks that another key does not verify it.
func TestNoteRoundTrip(t *testing.T) {
	for _, name := range suite.Names() {
		t.Run(string(name), func(t *testing.T) {
			s := mustSuite(t, name)
			key, other := newKey(t, s), newKey(t, s)
			msg := signCheckpoint(t, s, testOrigin, key, testCheckpoint(42))

			v, err := NewNoteVerifier(testOrigin, s, key.Public())
			if err != nil {
				t.Fatal(err)
			}
			vkey, err := VerifierKey(testOrigin, s, key.Public())
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParseVerifierKey(vkey)
			if err != nil {
				t.Fatalf("ParseVerifierKey(%q) error = %v", vkey, err)
			}
			if parsed.KeyHash() != v.KeyHash() || parsed.Name() != testOrigin {
				t.Errorf("ParseVerifierKey() = (%s, %08x), want (%s, %08x)", parsed.Name(), parsed.KeyHash(), testOrigin, v.KeyHash())
			}
			for _, verifier := range []note.Verifier{v, parsed} {
				n, err := note.Open(msg, note.VerifierList(verifier))
				if err != nil {
					t.Fatalf("note.Open() error = %v", err)
				}
				if len(n.Sigs) != 1 || n.Sigs[0].Name != testOrigin {
					t.Errorf("note.Open() signatures = %+v, want one by %s", n.Sigs, testOrigin)
				}
				if cp, err := ParseCheckpoint(n.Text); err != nil || cp.Size != 42 {
					t.Errorf("ParseCheckpoint(note text) = %+v, %v; want size 42", cp, err)
				}
			}

			ov, err := NewNoteVerifier(testOrigin, s, other.Public())
			if err != nil {
				t.Fatal(err)
			}
			var unverified *note.UnverifiedNoteError
			if _, err := note.Open(msg, note.VerifierList(ov)); !errors.As(err, &unverified) {
				t.Errorf("note.Open() with another key = %v, want *note.UnverifiedNoteError", err)
			}
			a, err := NewAuditor(s, testOrigin, ov)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.VerifyCheckpoint(msg); !errors.Is(err, ErrBadSignature) {
				t.Errorf("VerifyCheckpoint() with another key = %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestNoteIntlIsWitnessECDSA checks the intl signatures against the
// signed-note spec's type 0x02 independently of our verifier: key ID =
// SHA-256(SPKI)[:4], signature = ECDSA over SHA-256 of the text, DER; and
// the verifier key text carries 0x02 || SPKI.
func TestNoteIntlIsWitnessECDSA(t *testing.T) {
	s := mustSuite(t, suite.Intl)
	key := newKey(t, s)
	msg := signCheckpoint(t, s, testOrigin, key, testCheckpoint(7))
	spki, err := s.MarshalPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(spki)
	wantHash := binary.BigEndian.Uint32(sum[:4])

	text, sigs, _ := strings.Cut(string(msg), "\n\n")
	line, ok := strings.CutPrefix(strings.TrimSuffix(sigs, "\n"), "— "+testOrigin+" ")
	if !ok {
		t.Fatalf("signature line %q, want one by %s", sigs, testOrigin)
	}
	raw, err := base64.StdEncoding.DecodeString(line)
	if err != nil || len(raw) < 5 {
		t.Fatalf("signature %q does not decode", line)
	}
	if got := binary.BigEndian.Uint32(raw[:4]); got != wantHash {
		t.Errorf("key ID = %08x, want SHA-256(SPKI)[:4] = %08x", got, wantHash)
	}
	digest := sha256.Sum256([]byte(text + "\n"))
	if !ecdsa.VerifyASN1(key.Public().(*ecdsa.PublicKey), digest[:], raw[4:]) {
		t.Error("the signature is not ECDSA-SHA256 over the note text")
	}
	vkey, err := VerifierKey(testOrigin, s, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%s+%08x+%s", testOrigin, wantHash, base64.StdEncoding.EncodeToString(append([]byte{2}, spki...))); vkey != want {
		t.Errorf("VerifierKey() = %q, want %q", vkey, want)
	}
}

// TestNoteSMKeyHash checks the sm key ID: the spec's recommended formula
// with the 0xff type and our identifier.
func TestNoteSMKeyHash(t *testing.T) {
	s := mustSuite(t, suite.SM)
	key := newKey(t, s)
	spki, err := s.MarshalPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(testOrigin + "\n\xffnetid-sm2-sm3" + string(spki)))
	v, err := NewNoteVerifier(testOrigin, s, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.KeyHash(), binary.BigEndian.Uint32(sum[:4]); got != want {
		t.Errorf("KeyHash() = %08x, want %08x", got, want)
	}
}

func TestNoteVerifierRefusesOtherSuite(t *testing.T) {
	intl, sm := mustSuite(t, suite.Intl), mustSuite(t, suite.SM)
	if _, err := NewNoteVerifier(testOrigin, intl, newKey(t, sm).Public()); !errors.Is(err, ErrConfig) {
		t.Errorf("NewNoteVerifier(intl, SM2 key) = %v, want ErrConfig", err)
	}
	if _, err := NewNoteVerifier("bad name", intl, newKey(t, intl).Public()); !errors.Is(err, ErrConfig) {
		t.Errorf("NewNoteVerifier(bad name) = %v, want ErrConfig", err)
	}
}

func TestParseVerifierKeyRejects(t *testing.T) {
	intl, sm := mustSuite(t, suite.Intl), mustSuite(t, suite.SM)
	good, err := VerifierKey(testOrigin, intl, newKey(t, intl).Public())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(good, "+", 3)
	smSPKI, err := sm.MarshalPublicKey(newKey(t, sm).Public())
	if err != nil {
		t.Fatal(err)
	}
	smAsECDSA := base64.StdEncoding.EncodeToString(append([]byte{2}, smSPKI...))
	// The SM2 key ID covers the key name (the ECDSA one, by the witness
	// convention, does not), so renaming an sm key breaks it.
	smKey, err := VerifierKey(testOrigin, sm, newKey(t, sm).Public())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, vkey string }{
		{"empty", ""},
		{"two parts", parts[0] + "+" + parts[1]},
		{"name with a space", "a b+" + parts[1] + "+" + parts[2]},
		{"wrong key ID", parts[0] + "+00000000+" + parts[2]},
		{"upper-case key ID", parts[0] + "+" + strings.ToUpper(parts[1]) + "+" + parts[2]},
		{"short key ID", parts[0] + "+" + parts[1][:7] + "+" + parts[2]},
		{"bad base64", parts[0] + "+" + parts[1] + "+!" + parts[2][1:]},
		{"Ed25519 type", parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, make([]byte, 32)...))},
		{"SM2 key labelled ECDSA", parts[0] + "+" + parts[1] + "+" + smAsECDSA},
		{"sm key renamed", "other.example/log" + strings.TrimPrefix(smKey, testOrigin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseVerifierKey(tt.vkey); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseVerifierKey(%q) = %v, want ErrMalformed", tt.vkey, err)
			}
		})
	}
}

func TestVerifyCheckpoint(t *testing.T) {
	s := mustSuite(t, suite.Intl)
	key := newKey(t, s)
	v, err := NewNoteVerifier(testOrigin, s, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuditor(s, testOrigin, v)
	if err != nil {
		t.Fatal(err)
	}
	good := signCheckpoint(t, s, testOrigin, key, testCheckpoint(42))

	// A witness cosignature by a key the auditor does not know is ignored.
	witness := newKey(t, s)
	ws, err := NewNoteSigner("witness.example/w1", s, witness, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(good, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, ws)
	if err != nil {
		t.Fatal(err)
	}

	otherText := testCheckpoint(42)
	otherText.Origin = "other.example/log"
	emptyWithRoot := testCheckpoint(0)
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"signed", good, nil},
		{"cosigned by a witness", cosigned, nil},
		{"size changed after signing", []byte(strings.Replace(string(good), "\n42\n", "\n43\n", 1)), ErrBadSignature},
		{"signed by another key", signCheckpoint(t, s, testOrigin, newKey(t, s), testCheckpoint(42)), ErrBadSignature},
		{"signed under another key name", signCheckpoint(t, s, "other.example/log", key, testCheckpoint(42)), ErrBadSignature},
		{"checkpoint of another log", signCheckpoint(t, s, testOrigin, key, otherText), ErrBadSignature},
		{"not a note", []byte("hello\n"), ErrMalformed},
		{"empty tree with a root", signCheckpoint(t, s, testOrigin, key, emptyWithRoot), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp, err := a.VerifyCheckpoint(tt.msg)
			if !errors.Is(err, tt.want) || tt.want != nil && err == nil {
				t.Fatalf("VerifyCheckpoint() = %v, want %v", err, tt.want)
			}
			if tt.want == nil && !sameHead(cp, testCheckpoint(42)) {
				t.Errorf("VerifyCheckpoint() = %+v, want %+v", cp, testCheckpoint(42))
			}
		})
	}
	if _, err := NewAuditor(s, testOrigin); !errors.Is(err, ErrConfig) {
		t.Errorf("NewAuditor() without keys = %v, want ErrConfig", err)
	}
	wv, _ := NewNoteVerifier("witness.example/w1", s, witness.Public())
	if _, err := NewAuditor(s, testOrigin, wv); !errors.Is(err, ErrConfig) {
		t.Errorf("NewAuditor() with a key of another name = %v, want ErrConfig", err)
	}
}
