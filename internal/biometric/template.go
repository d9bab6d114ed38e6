package biometric

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
)

// Template limits. A template is a short embedding: real face engines emit
// 128 to 1024 values and the built-in extractor 4608, so anything beyond
// MaxTemplateDim is refused as absurd before any allocation. The dimension
// travels as a uint16 but the limit is far below its range.
const (
	MaxTemplateDim     = 8192
	MaxExtractorName   = 64
	templateMagic      = "NIDT" // netid template
	templateVersion1   = 1
	templateHeaderSize = len(templateMagic) + 1 + 1 // magic, version, name length
	// MaxTemplateSize is the largest valid binary encoding, for callers that
	// bound what they read from storage.
	MaxTemplateSize = templateHeaderSize + MaxExtractorName + 2 + 4*MaxTemplateDim
)

// Template is a face embedding: a fixed-dimension vector and the name of
// the extractor (with its version) that produced it. Two templates are
// comparable only when both fields agree on extractor and dimension.
//
// Templates are biometric data: enrolment seals MarshalBinary's output under
// the resident's data key and deletes it after enrolment unless the resident
// consents to keep it. A Template prints as a summary (extractor and
// dimension), never its values.
type Template struct {
	Extractor string    // e.g. "netid-appearance/1"; printable ASCII, no spaces
	Vector    []float32 // finite, not all zero
}

// Validate checks the invariants MarshalBinary and the matchers rely on.
func (t *Template) Validate() error {
	if t == nil {
		return fmt.Errorf("%w: nil template", ErrBadTemplate)
	}
	if err := checkExtractorName(t.Extractor); err != nil {
		return err
	}
	if n := len(t.Vector); n == 0 || n > MaxTemplateDim {
		return fmt.Errorf("%w: dimension %d outside 1..%d", ErrBadTemplate, n, MaxTemplateDim)
	}
	nonZero := false
	for i, v := range t.Vector {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: value %d is not finite", ErrBadTemplate, i)
		}
		if v != 0 {
			nonZero = true
		}
	}
	if !nonZero {
		return fmt.Errorf("%w: all-zero vector", ErrBadTemplate)
	}
	return nil
}

func checkExtractorName(s string) error {
	if s == "" || len(s) > MaxExtractorName {
		return fmt.Errorf("%w: extractor name must have 1 to %d characters", ErrBadTemplate, MaxExtractorName)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("%w: extractor name must be printable ASCII without spaces", ErrBadTemplate)
		}
	}
	return nil
}

// MarshalBinary encodes the template, version 1:
//
//	"NIDT"  magic
//	0x01    format version
//	n       extractor name length, 1..64
//	name    n bytes of printable ASCII
//	d       dimension, uint16 big-endian, 1..8192
//	values  d IEEE 754 float32, big-endian
//
// The encoding is canonical (one template, one encoding), so its SHA-256
// can be bound by a liveness attestation.
func (t *Template) MarshalBinary() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, templateHeaderSize+len(t.Extractor)+2+4*len(t.Vector))
	b = append(b, templateMagic...)
	b = append(b, templateVersion1, byte(len(t.Extractor)))
	b = append(b, t.Extractor...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.Vector)))
	for _, v := range t.Vector {
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary produced. It checks the length
// against the declared dimension before allocating and refuses trailing
// bytes, unknown versions and every value Validate refuses. On error t is
// left unchanged.
func (t *Template) UnmarshalBinary(data []byte) error {
	if len(data) > MaxTemplateSize {
		return fmt.Errorf("%w: %d bytes, more than the %d of the largest template", ErrBadTemplate, len(data), MaxTemplateSize)
	}
	if len(data) < templateHeaderSize || string(data[:len(templateMagic)]) != templateMagic {
		return fmt.Errorf("%w: not a netid template", ErrBadTemplate)
	}
	if v := data[len(templateMagic)]; v != templateVersion1 {
		return fmt.Errorf("%w: unknown template version %d", ErrBadTemplate, v)
	}
	n := int(data[len(templateMagic)+1])
	rest := data[templateHeaderSize:]
	if len(rest) < n+2 {
		return fmt.Errorf("%w: truncated header", ErrBadTemplate)
	}
	name := string(rest[:n])
	if err := checkExtractorName(name); err != nil {
		return err
	}
	d := int(binary.BigEndian.Uint16(rest[n:]))
	rest = rest[n+2:]
	if d == 0 || d > MaxTemplateDim {
		return fmt.Errorf("%w: dimension %d outside 1..%d", ErrBadTemplate, d, MaxTemplateDim)
	}
	if len(rest) != 4*d {
		return fmt.Errorf("%w: %d value bytes for dimension %d", ErrBadTemplate, len(rest), d)
	}
	vec := make([]float32, d)
	for i := range vec {
		vec[i] = math.Float32frombits(binary.BigEndian.Uint32(rest[4*i:]))
	}
	got := Template{Extractor: name, Vector: vec}
	if err := got.Validate(); err != nil {
		return err
	}
	*t = got
	return nil
}

// String summarises the template; it has a value receiver so that a
// Template printed by value is summarised too.
func (t Template) String() string {
	return fmt.Sprintf("Template{%s, dim %d}", t.Extractor, len(t.Vector))
}

// GoString makes %#v print the summary too.
func (t Template) GoString() string { return t.String() }

// LogValue implements slog.LogValuer with the summary.
func (t Template) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Cosine returns the cosine similarity of two comparable templates, in
// [-1, 1]. It refuses templates from different extractors or of different
// dimensions with ErrIncompatibleTemplates.
func Cosine(a, b *Template) (float64, error) {
	if err := a.Validate(); err != nil {
		return 0, err
	}
	if err := b.Validate(); err != nil {
		return 0, err
	}
	if a.Extractor != b.Extractor || len(a.Vector) != len(b.Vector) {
		return 0, fmt.Errorf("%w: %v and %v", ErrIncompatibleTemplates, a, b)
	}
	var dot, na, nb float64
	for i, x := range a.Vector {
		y := float64(b.Vector[i])
		dot += float64(x) * y
		na += float64(x) * float64(x)
		nb += y * y
	}
	c := dot / math.Sqrt(na*nb)
	// Rounding can push a self-similarity a hair past 1.
	return math.Max(-1, math.Min(1, c)), nil
}
