package envelope

import (
	"encoding/binary"
	"fmt"

	"github.com/netid/netid/internal/crypto/suite"
)

// Ciphertext format of a sealed field:
//
//	format (1 byte) || nonce (12 bytes) || AEAD ciphertext and tag (16 bytes)
//
// The format byte names the layout and the AEAD: formatIntl is AES-256-GCM,
// formatSM is SM4-GCM. A future layout takes a new byte, so that old
// ciphertexts stay readable.
const (
	formatIntl byte = 0x01
	formatSM   byte = 0x02
)

// formatFor returns the format byte of suite s.
func formatFor(s suite.Suite) byte {
	if s.Name() == suite.SM {
		return formatSM
	}
	return formatIntl
}

// Domain-separation labels of the associated data.
const (
	labelDataKey = "netid/envelope/data-key/v1"
	labelField   = "netid/envelope/field/v1"
)

// associatedData encodes parts, each preceded by its length, so that no two
// different lists give the same bytes (owner "a", field "bc" differs from
// owner "ab", field "c").
func associatedData(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// dataKeyAAD binds a wrapped data key to its owner: a wrapped key copied to
// another owner's row does not unwrap.
func dataKeyAAD(owner string) []byte { return associatedData(labelDataKey, owner) }

// fieldAAD binds a field ciphertext to its format, owner and field name: it
// cannot be moved to another resident or another field.
func fieldAAD(format byte, owner, field string) []byte {
	return associatedData(labelField, string([]byte{format}), owner, field)
}

// splitCiphertext checks the layout of a sealed field and returns its parts.
func splitCiphertext(ct []byte, wantFormat byte, nonceSize, overhead int) (nonce, body []byte, err error) {
	if len(ct) < 1+nonceSize+overhead {
		return nil, nil, fmt.Errorf("%w: %d bytes is too short", ErrInvalidCiphertext, len(ct))
	}
	switch ct[0] {
	case wantFormat:
	case formatIntl, formatSM:
		return nil, nil, fmt.Errorf("%w: sealed with the other crypto suite (format %#x)", ErrInvalidCiphertext, ct[0])
	default:
		return nil, nil, fmt.Errorf("%w: unknown format %#x", ErrInvalidCiphertext, ct[0])
	}
	return ct[1 : 1+nonceSize], ct[1+nonceSize:], nil
}
