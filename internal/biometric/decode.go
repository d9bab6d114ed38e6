package biometric

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// Image limits of the built-in extractor. The pixel limit is checked on the
// header, before decoding, so that a small file declaring a huge image (a
// decompression bomb) costs nothing.
const (
	DefaultMaxImageBytes  = 8 << 20     // 8 MiB: a phone selfie, generously
	DefaultMaxImagePixels = 4096 * 4096 // 16.7 Mpixel: about 25 MiB decoded (YCbCr 4:2:0)
	minImageSide          = 32
)

// errJPEG2000 explains why JPEG 2000 is refused. Looked for in November
// 2026: no pure-Go JPEG 2000 decoder was served by the Go module proxy, and
// netid does not use cgo.
var errJPEG2000 = fmt.Errorf("%w: JPEG 2000 cannot be decoded by the built-in extractor "+
	"(no pure-Go decoder is available); configure a remote biometric engine for JPEG 2000 portraits", ErrUnsupportedFormat)

// decodeImage decodes a JPEG or PNG image after checking its format, size
// and dimensions.
func decodeImage(data []byte, declared Format, maxBytes, maxPixels int) (image.Image, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty image", ErrBadSample)
	}
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%w: image of %d bytes exceeds the limit of %d", ErrBadSample, len(data), maxBytes)
	}
	if declared != "" && declared != FormatJPEG && declared != FormatPNG && declared != FormatJPEG2000 {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedFormat, declared)
	}
	f, err := resolveFormat(data, declared)
	if err != nil {
		return nil, err
	}
	var decodeConfig func(r *bytes.Reader) (image.Config, error)
	var decode func(r *bytes.Reader) (image.Image, error)
	switch f {
	case FormatJPEG:
		decodeConfig = func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) }
		decode = func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) }
	case FormatPNG:
		decodeConfig = func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) }
		decode = func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }
	default:
		return nil, errJPEG2000
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrBadSample, f, err)
	}
	if cfg.Width < minImageSide || cfg.Height < minImageSide {
		return nil, fmt.Errorf("%w: image of %dx%d is smaller than %dx%d", ErrBadSample, cfg.Width, cfg.Height, minImageSide, minImageSide)
	}
	if cfg.Width > maxPixels/cfg.Height {
		return nil, fmt.Errorf("%w: image of %dx%d exceeds the limit of %d pixels", ErrBadSample, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadSample, f, err)
	}
	return img, nil
}
