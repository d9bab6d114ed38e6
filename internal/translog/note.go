package translog

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/suite"
)

// Signature types of c2sp.org/signed-note. intl uses the assigned type
// 0x02, ECDSA as github.com/transparency-dev/witness implements it (ECDSA
// P-256 over SHA-256 of the note text, ASN.1 DER, key ID = the first four
// bytes of SHA-256 of the key's SPKI DER), so that witnesses and their
// tooling verify netid checkpoints as they are. SM2 has no assigned type:
// the spec reserves 0xff followed by a longer identifier for such types,
// and the key ID follows the spec's recommended formula,
// SHA-256(key name || 0x0A || type || SPKI DER)[:4]. The key ID is an
// identifier, not a security hash (the spec says so), which is why it is
// SHA-256 in both suites.
const sigTypeECDSA = 0x02

var sigTypeSM2 = []byte("\xffnetid-sm2-sm3")

// sigType returns the signature type identifier of suite s.
func sigType(s suite.Suite) []byte {
	if s.Name() == suite.SM {
		return sigTypeSM2
	}
	return []byte{sigTypeECDSA}
}

// keyHash returns the note key ID of a key of suite s named name.
func keyHash(name string, s suite.Suite, spki []byte) uint32 {
	var sum [sha256.Size]byte
	if s.Name() == suite.SM {
		h := sha256.New()
		h.Write([]byte(name + "\n"))
		h.Write(sigTypeSM2)
		h.Write(spki)
		h.Sum(sum[:0])
	} else {
		sum = sha256.Sum256(spki)
	}
	return binary.BigEndian.Uint32(sum[:4])
}

// noteVerifier checks note signatures by one log key.
type noteVerifier struct {
	name string
	hash uint32
	s    suite.Suite
	pub  crypto.PublicKey
}

func (v *noteVerifier) Name() string    { return v.name }
func (v *noteVerifier) KeyHash() uint32 { return v.hash }
func (v *noteVerifier) Verify(msg, sig []byte) bool {
	return v.s.Verify(v.pub, msg, sig) == nil
}

// NewNoteVerifier returns the note verifier of the log key pub of suite s
// for the log named origin (the key name of its signatures).
func NewNoteVerifier(origin string, s suite.Suite, pub crypto.PublicKey) (note.Verifier, error) {
	if !ValidOrigin(origin) {
		return nil, fmt.Errorf("%w: origin %q is not a valid key name", ErrConfig, origin)
	}
	spki, err := s.MarshalPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: log key: %w", ErrConfig, err)
	}
	// Parse back, so that a key of the other suite is refused here rather
	// than failing every verification.
	if pub, err = s.ParsePublicKey(spki); err != nil {
		return nil, fmt.Errorf("%w: log key is not a %s key: %w", ErrConfig, s.Name(), err)
	}
	return &noteVerifier{name: origin, hash: keyHash(origin, s, spki), s: s, pub: pub}, nil
}

// VerifierKey returns the text form of a note verifier key,
// "<origin>+<key ID, 8 hex digits>+<base64(type || SPKI DER)>": what the
// service publishes for wallets and witnesses, and what ParseVerifierKey
// reads. For intl keys it is the form that transparency-dev's
// NewECDSAVerifier reads.
func VerifierKey(origin string, s suite.Suite, pub crypto.PublicKey) (string, error) {
	v, err := NewNoteVerifier(origin, s, pub)
	if err != nil {
		return "", err
	}
	spki, err := s.MarshalPublicKey(v.(*noteVerifier).pub)
	if err != nil {
		return "", fmt.Errorf("%w: log key: %w", ErrConfig, err)
	}
	return fmt.Sprintf("%s+%08x+%s", origin, v.KeyHash(), base64.StdEncoding.EncodeToString(append(sigType(s), spki...))), nil
}

// ParseVerifierKey parses a verifier key written by VerifierKey, outside
// data when a wallet or witness reads it from configuration. It checks
// that the key ID matches the key. Errors wrap ErrMalformed.
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	bad := func(what string) (note.Verifier, error) {
		return nil, fmt.Errorf("%w: verifier key: %s", ErrMalformed, what)
	}
	name, rest, ok := strings.Cut(vkey, "+")
	if !ok || !ValidOrigin(name) {
		return bad("name")
	}
	hexHash, b64, ok := strings.Cut(rest, "+")
	if !ok || len(hexHash) != 8 || strings.ToLower(hexHash) != hexHash {
		return bad("key ID")
	}
	hash, err := strconv.ParseUint(hexHash, 16, 32)
	if err != nil {
		return bad("key ID")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || base64.StdEncoding.EncodeToString(raw) != b64 {
		return bad("base64")
	}
	var name2 suite.Name
	switch {
	case bytes.HasPrefix(raw, []byte{sigTypeECDSA}):
		name2, raw = suite.Intl, raw[1:]
	case bytes.HasPrefix(raw, sigTypeSM2):
		name2, raw = suite.SM, raw[len(sigTypeSM2):]
	default:
		return bad("unknown signature type")
	}
	s, err := suite.New(name2)
	if err != nil {
		return nil, err
	}
	pub, err := s.ParsePublicKey(raw)
	if err != nil {
		return bad(fmt.Sprintf("public key: %v", err))
	}
	// One key, one text: the key ID hashes these bytes, so a second
	// encoding of the same key (a compressed point, BER lengths) would be
	// a second key ID for it.
	if der, err := s.MarshalPublicKey(pub); err != nil || !bytes.Equal(der, raw) {
		return bad("public key is not in canonical DER")
	}
	v, err := NewNoteVerifier(name, s, pub)
	if err != nil {
		return nil, fmt.Errorf("%w: verifier key: %w", ErrMalformed, err)
	}
	if v.KeyHash() != uint32(hash) {
		return bad("key ID does not match the key")
	}
	return v, nil
}

// noteSigner signs notes with a log key.
type noteSigner struct {
	name   string
	hash   uint32
	s      suite.Suite
	signer crypto.Signer
	rand   io.Reader
}

func (n *noteSigner) Name() string    { return n.name }
func (n *noteSigner) KeyHash() uint32 { return n.hash }
func (n *noteSigner) Sign(msg []byte) ([]byte, error) {
	return n.s.Sign(n.rand, n.signer, msg)
}

// NewNoteSigner returns a note signer for the log named origin with the
// log key signer of suite s. rand may be nil (crypto/rand).
func NewNoteSigner(origin string, s suite.Suite, signer crypto.Signer, rand io.Reader) (note.Signer, error) {
	v, err := NewNoteVerifier(origin, s, signer.Public())
	if err != nil {
		return nil, err
	}
	return &noteSigner{name: origin, hash: v.KeyHash(), s: s, signer: signer, rand: rand}, nil
}
