package oidc

import (
	"fmt"
	"io"
	"strings"
)

// An approval code is what the resident reads off a page or scans: the
// RFC 8628 user code of a device authorization, and the code of a login's
// wallet approval. It is 8 symbols of a 32-symbol alphabet without the
// look-alikes 0/O and 1/I, shown as two groups of four ("K7QM-3XWD"): 40
// bits, typed in a few seconds, read aloud without spelling. That is far
// too little to stand alone (RFC 8628 section 5.1), so every lookup of a
// code is throttled per client address (Config.ApprovalLookups), a code
// lives minutes (Config.ApprovalLifetime), and a code is only ever an
// address: approving needs a presentation signed by a resident's device
// key. Guessing a code therefore yields at most the name of a relying
// party and the claims it asks for, and that slowly.
const (
	codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	codeLen      = 8
	// maxCodeInput bounds what normalCode reads from outside.
	maxCodeInput = 64
)

// newApprovalCode draws an approval code: 40 bits, 5 per symbol, so every
// symbol is uniform.
func newApprovalCode(r io.Reader) (string, error) {
	var b [5]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("oidc: random: %w", err)
	}
	v := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	out := make([]byte, codeLen)
	for i := codeLen - 1; i >= 0; i-- {
		out[i] = codeAlphabet[v&31]
		v >>= 5
	}
	return string(out), nil
}

// normalCode returns the normal form of a typed or scanned approval code:
// upper case, without the separators people type (hyphens, spaces).
// ok is false for anything that is not 8 symbols of the alphabet.
func normalCode(s string) (string, bool) {
	if len(s) > maxCodeInput {
		return "", false
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '-' || c == ' ' || c == '\t':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if c > 0x7f || strings.IndexByte(codeAlphabet, byte(c)) < 0 {
			return "", false
		}
		b.WriteRune(c)
	}
	if b.Len() != codeLen {
		return "", false
	}
	return b.String(), true
}

// displayCode shows a normal code as people read it: ABCD-EFGH.
func displayCode(normal string) string {
	if len(normal) != codeLen {
		return normal
	}
	return normal[:4] + "-" + normal[4:]
}

// codeHash is what the store keeps of an approval code.
func codeHash(normal string) []byte { return hashID("netid/approval-code/v1\x00" + normal) }
