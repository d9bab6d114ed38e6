package translog

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Checkpoint is a tree head: the log's origin, its size, the root hash of
// the tree of that size, and when the log signed it. Its text is a C2SP
// tlog-checkpoint (c2sp.org/tlog-checkpoint) body:
//
//	<origin>
//	<size, decimal>
//	<root hash, standard base64>
//	time <Unix seconds, decimal>
//
// The fourth line is an extension line (the format allows them and tools
// that do not know it carry it unchanged): the signing time, so that a
// signed checkpoint proves when the log contained an entry, which matters
// for lawful-access entries whose notice is delayed.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Time   time.Time
}

// SignedCheckpoint is a checkpoint with its signed note, the bytes that
// every node serves and that witnesses cosign.
type SignedCheckpoint struct {
	Checkpoint
	// Note is the C2SP signed note: the checkpoint text, a blank line and
	// one signature line per signature.
	Note []byte
}

// maxOrigin bounds the origin, a short schema-less URL.
const maxOrigin = 255

// ValidOrigin reports whether origin can name a log: 1 to 255 printable
// ASCII characters without spaces or '+', so that it is also a valid note
// key name (c2sp.org/signed-note).
func ValidOrigin(origin string) bool {
	if origin == "" || len(origin) > maxOrigin {
		return false
	}
	for i := 0; i < len(origin); i++ {
		if c := origin[i]; c <= ' ' || c > '~' || c == '+' {
			return false
		}
	}
	return true
}

// Text returns the checkpoint's note text. It fails if the checkpoint
// could not be parsed back identically.
func (c Checkpoint) Text() (string, error) {
	switch {
	case !ValidOrigin(c.Origin):
		return "", fmt.Errorf("%w: checkpoint origin %q", ErrMalformed, c.Origin)
	case c.Size > math.MaxInt64:
		return "", fmt.Errorf("%w: checkpoint size %d", ErrMalformed, c.Size)
	case len(c.Root) != HashSize:
		return "", fmt.Errorf("%w: checkpoint root of %d bytes, want %d", ErrMalformed, len(c.Root), HashSize)
	case c.Time.Unix() < 0 || c.Time.Nanosecond() != 0:
		return "", fmt.Errorf("%w: checkpoint time %v, want whole seconds after 1970", ErrMalformed, c.Time)
	}
	return fmt.Sprintf("%s\n%d\n%s\ntime %d\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root), c.Time.Unix()), nil
}

// ParseCheckpoint parses checkpoint text (the note text, without the
// signatures). It accepts only the canonical form that Text writes: four
// lines, each ending in a newline, no leading zeros, canonical base64 of
// exactly HashSize bytes. A parsed checkpoint is not yet trusted: use
// Auditor.VerifyCheckpoint on the signed note.
func ParseCheckpoint(text string) (Checkpoint, error) {
	bad := func(what string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint: %s", ErrMalformed, what)
	}
	if !strings.HasSuffix(text, "\n") {
		return bad("text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 {
		return bad(fmt.Sprintf("%d lines, want 4", len(lines)))
	}
	var c Checkpoint
	if c.Origin = lines[0]; !ValidOrigin(c.Origin) {
		return bad("origin")
	}
	size, ok := parseDecimal(lines[1])
	if !ok {
		return bad("tree size")
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return bad("root hash")
	}
	c.Root = root
	secs, ok := strings.CutPrefix(lines[3], "time ")
	if !ok {
		return bad("no time line")
	}
	t, ok := parseDecimal(secs)
	if !ok {
		return bad("time")
	}
	c.Time = time.Unix(int64(t), 0).UTC()
	return c, nil
}

// parseDecimal parses a non-negative decimal below 2^63 with no sign and
// no leading zeros.
func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 63)
	return n, err == nil
}

// sameHead reports whether two checkpoints name the same tree: same
// origin, size and root (the time may differ).
func sameHead(a, b Checkpoint) bool {
	return a.Origin == b.Origin && a.Size == b.Size && bytes.Equal(a.Root, b.Root)
}
