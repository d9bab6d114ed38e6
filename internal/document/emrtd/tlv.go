package emrtd

import "fmt"

// MaxTLVDepth bounds the nesting of constructed TLV objects. The deepest
// LDS structure, DG2 (75 > 7F61 > 7F60 > A1 > 80), has five levels.
const MaxTLVDepth = 16

// maxTLVChildren bounds the number of objects parsed in one constructed
// value, so that a hostile file cannot make us allocate one slice entry
// per two input bytes at every level.
const maxTLVChildren = 4096

// TLV is one BER-TLV data object (ISO/IEC 7816-4 section 5.2, as used by
// the LDS of ICAO 9303 part 10 section 4.4).
type TLV struct {
	// Tag is the tag bytes read as a big-endian number: 0x61, 0x5F1F,
	// 0x7F61.
	Tag uint32
	// Constructed reports whether the value is itself a sequence of TLV
	// objects (bit 6 of the first tag byte).
	Constructed bool
	// Value is the value field.
	Value []byte
	// Raw is the whole object: tag, length and value.
	Raw []byte
	// Children holds the parsed objects of a constructed value (filled by
	// ParseTLV, not by ReadTLV).
	Children []TLV
}

// ReadTLV reads one TLV object from the start of b and returns it with the
// bytes that follow. Tags may have up to three bytes; lengths use the
// short form or the long form with one to four length bytes. The
// indefinite length form (0x80), which ICAO forbids, and lengths beyond
// the end of b are refused.
func ReadTLV(b []byte) (TLV, []byte, error) {
	if len(b) == 0 {
		return TLV{}, nil, malformed("TLV: no data")
	}
	i := 0
	first := b[0]
	if first == 0x00 || first == 0xFF {
		return TLV{}, nil, malformed("TLV: invalid tag byte %#02x", first)
	}
	tag := uint32(first)
	i++
	if first&0x1F == 0x1F {
		// Subsequent tag bytes: bit 8 set means another one follows.
		for {
			if i >= len(b) {
				return TLV{}, nil, malformed("TLV: truncated tag")
			}
			if i >= 3 {
				return TLV{}, nil, malformed("TLV: tag longer than 3 bytes")
			}
			tag = tag<<8 | uint32(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return TLV{}, nil, malformed("TLV %X: missing length", tag)
	}
	l := int(b[i])
	i++
	if l > 0x7F {
		n := l & 0x7F
		if n == 0 {
			return TLV{}, nil, malformed("TLV %X: indefinite length", tag)
		}
		if n > 4 {
			return TLV{}, nil, malformed("TLV %X: %d length bytes", tag, n)
		}
		if i+n > len(b) {
			return TLV{}, nil, malformed("TLV %X: truncated length", tag)
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if l < 0 || l > len(b)-i {
		return TLV{}, nil, malformed("TLV %X: length %d exceeds the %d bytes left", tag, l, len(b)-i)
	}
	t := TLV{
		Tag:         tag,
		Constructed: first&0x20 != 0,
		Value:       b[i : i+l],
		Raw:         b[:i+l],
	}
	return t, b[i+l:], nil
}

// ParseTLV parses b as exactly one TLV object and, recursively, the
// children of constructed objects, up to MaxTLVDepth levels.
func ParseTLV(b []byte) (TLV, error) {
	t, rest, err := ReadTLV(b)
	if err != nil {
		return TLV{}, err
	}
	if len(rest) != 0 {
		return TLV{}, malformed("TLV %X: %d bytes of trailing data", t.Tag, len(rest))
	}
	if err := t.parseChildren(1); err != nil {
		return TLV{}, err
	}
	return t, nil
}

func (t *TLV) parseChildren(depth int) error {
	if !t.Constructed {
		return nil
	}
	if depth >= MaxTLVDepth {
		return malformed("TLV %X: nesting deeper than %d", t.Tag, MaxTLVDepth)
	}
	rest := t.Value
	for len(rest) > 0 {
		if len(t.Children) >= maxTLVChildren {
			return malformed("TLV %X: more than %d objects", t.Tag, maxTLVChildren)
		}
		c, r, err := ReadTLV(rest)
		if err != nil {
			return fmt.Errorf("in %X: %w", t.Tag, err)
		}
		if err := c.parseChildren(depth + 1); err != nil {
			return fmt.Errorf("in %X: %w", t.Tag, err)
		}
		t.Children = append(t.Children, c)
		rest = r
	}
	return nil
}

// Child returns the first child object with the given tag.
func (t TLV) Child(tag uint32) (TLV, bool) {
	for _, c := range t.Children {
		if c.Tag == tag {
			return c, true
		}
	}
	return TLV{}, false
}

// All returns every child object with the given tag, in order.
func (t TLV) All(tag uint32) []TLV {
	var out []TLV
	for _, c := range t.Children {
		if c.Tag == tag {
			out = append(out, c)
		}
	}
	return out
}
