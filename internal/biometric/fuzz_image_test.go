package biometric

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// FuzzAppearanceExtract feeds arbitrary image bytes, as a client uploads
// them for the face step, to the built-in extractor: it must never panic
// or allocate past its limits, refuse with ErrBadSample or
// ErrUnsupportedFormat, and return only valid templates. The pixel limit
// is lowered so that a header declaring a large image is refused before
// decoding rather than slowing the fuzzer down.
func FuzzAppearanceExtract(f *testing.F) {
	face := image.NewRGBA(image.Rect(0, 0, 48, 64))
	for y := range 64 {
		for x := range 48 {
			face.SetRGBA(x, y, color.RGBA{uint8(4 * x), uint8(3 * y), uint8(x ^ y), 255})
		}
	}
	var jpg, pngb bytes.Buffer
	if err := jpeg.Encode(&jpg, face, &jpeg.Options{Quality: 75}); err != nil {
		f.Fatal(err)
	}
	if err := png.Encode(&pngb, face); err != nil {
		f.Fatal(err)
	}
	f.Add(jpg.Bytes(), string(FormatJPEG))
	f.Add(pngb.Bytes(), string(FormatPNG))
	f.Add(jpg.Bytes(), string(FormatPNG)) // declared format disagrees
	f.Add(jpg.Bytes()[:len(jpg.Bytes())/2], "")
	f.Add([]byte("\x00\x00\x00\x0cjP  \r\n\x87\n"), string(FormatJPEG2000))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00"), "")
	f.Add([]byte{}, "image/gif")
	e := NewAppearanceExtractor(WithImageLimits(1<<20, 512*512))
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		tpl, err := e.Extract(context.Background(), data, Format(format))
		if err != nil {
			if !errors.Is(err, ErrBadSample) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("Extract error = %v, want ErrBadSample or ErrUnsupportedFormat", err)
			}
			return
		}
		if err := tpl.Validate(); err != nil {
			t.Fatalf("Extract returned an invalid template: %v", err)
		}
	})
}
