package biometric

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
)

// Format is the media type of an image. The values are the IANA media
// types, so that they travel unchanged in the remote protocol.
type Format string

// The image formats netid knows. DG2 portraits are JPEG or JPEG 2000 (ICAO
// 9303 part 10); phone captures are JPEG or PNG.
const (
	FormatJPEG     Format = "image/jpeg"
	FormatPNG      Format = "image/png"
	FormatJPEG2000 Format = "image/jp2" // a JP2 file or a bare J2K codestream
)

// DetectFormat returns the format of an image from its first bytes (its
// signature), or "" when it is none of the known formats.
func DetectFormat(img []byte) Format {
	switch {
	case bytes.HasPrefix(img, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG
	case bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(img, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), // JP2 signature box
		bytes.HasPrefix(img, []byte{0xFF, 0x4F, 0xFF, 0x51}): // SOC then SIZ
		return FormatJPEG2000
	}
	return ""
}

// resolveFormat checks a declared format against the bytes. An empty
// declaration accepts whatever the signature says. A declaration that
// disagrees with the bytes is refused rather than trusted: a DG2 header
// claiming JPEG over JPEG 2000 bytes means something upstream is wrong.
func resolveFormat(img []byte, declared Format) (Format, error) {
	got := DetectFormat(img)
	switch {
	case got == "":
		return "", fmt.Errorf("%w: the image is not JPEG, PNG or JPEG 2000", ErrBadSample)
	case declared != "" && declared != got:
		return "", fmt.Errorf("%w: declared %s but the bytes are %s", ErrBadSample, declared, got)
	}
	return got, nil
}

// Capture is the live sample taken by the resident's phone: either an image
// or an embedding that a trusted component on the phone extracted, together
// with the liveness attestation of that component or of the engine.
//
// Capture prints as a summary (String, GoString and LogValue give only the
// format and sizes) so that a careless %v or slog attribute never writes a
// face into the logs.
type Capture struct {
	Image  []byte // the captured image; empty when Embedding is set
	Format Format // the media type of Image; "" means detect it
	// Embedding is a template extracted on the device, instead of Image.
	// It can only be trusted because the liveness attestation binds its
	// digest (CaptureDigest).
	Embedding *Template
	Liveness  LivenessAttestation
}

// Reference is what a capture is matched against: the document portrait
// (DG2) at enrolment, or the template the resident consented to keep for
// high-assurance logins. Exactly one of Image and Template is set. Like
// Capture, it prints as a summary only.
type Reference struct {
	Image    []byte
	Format   Format
	Template *Template
}

func checkOneOf(what string, image []byte, t *Template) error {
	switch {
	case len(image) == 0 && t == nil:
		return fmt.Errorf("%w: %s has neither an image nor a template", ErrBadSample, what)
	case len(image) != 0 && t != nil:
		return fmt.Errorf("%w: %s has both an image and a template", ErrBadSample, what)
	}
	return nil
}

// Validate checks that exactly one of Image and Embedding is set.
func (c Capture) Validate() error { return checkOneOf("capture", c.Image, c.Embedding) }

// Validate checks that exactly one of Image and Template is set.
func (r Reference) Validate() error { return checkOneOf("reference", r.Image, r.Template) }

// CaptureDigest is the SHA-256 that a liveness attestation binds: of the
// image bytes exactly as sent, or, for an embedding capture, of the
// template's binary encoding (MarshalBinary).
func CaptureDigest(c Capture) ([32]byte, error) {
	if err := c.Validate(); err != nil {
		return [32]byte{}, err
	}
	if c.Embedding != nil {
		b, err := c.Embedding.MarshalBinary()
		if err != nil {
			return [32]byte{}, err
		}
		return sha256.Sum256(b), nil
	}
	return sha256.Sum256(c.Image), nil
}

func (c Capture) String() string {
	if c.Embedding != nil {
		return fmt.Sprintf("Capture{embedding %v, attested %t}", c.Embedding, c.Liveness != "")
	}
	return fmt.Sprintf("Capture{%s, %d bytes, attested %t}", formatName(c.Format), len(c.Image), c.Liveness != "")
}

func (r Reference) String() string {
	if r.Template != nil {
		return fmt.Sprintf("Reference{template %v}", r.Template)
	}
	return fmt.Sprintf("Reference{%s, %d bytes}", formatName(r.Format), len(r.Image))
}

func formatName(f Format) string {
	if f == "" {
		return "undeclared format"
	}
	return string(f)
}

// GoString makes %#v print the summary too.
func (c Capture) GoString() string { return c.String() }

// GoString makes %#v print the summary too.
func (r Reference) GoString() string { return r.String() }

// LogValue implements slog.LogValuer with the summary.
func (c Capture) LogValue() slog.Value { return slog.StringValue(c.String()) }

// LogValue implements slog.LogValuer with the summary.
func (r Reference) LogValue() slog.Value { return slog.StringValue(r.String()) }
