package biometric

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"math"
	"slices"
	"testing"
)

// TestAppearanceSeparatesSyntheticFaces is the measurement behind
// AppearanceThreshold: 50 synthetic people, three live captures each,
// every capture scored against every portrait through CosineMatcher's
// candidate search. Genuine pairs must all score at or above the
// threshold and impostor pairs all below, each with a margin.
func TestAppearanceSeparatesSyntheticFaces(t *testing.T) {
	const people, variants = 50, 3
	const margin = 0.03
	ex := NewAppearanceExtractor()
	ctx := context.Background()
	refs := make([]Template, people)
	probes := make([][][]Template, people)
	for s := range people {
		var err error
		if refs[s], err = ex.Extract(ctx, portrait(t, uint64(s)), FormatJPEG); err != nil {
			t.Fatalf("portrait %d: %v", s, err)
		}
		for v := range variants {
			c, err := ex.ExtractCandidates(ctx, captureOf(t, uint64(s), uint64(v)), "")
			if err != nil {
				t.Fatalf("capture %d/%d: %v", s, v, err)
			}
			probes[s] = append(probes[s], c)
		}
	}
	var genuine, impostor []float64
	for i := range people {
		for j := range people {
			for _, cands := range probes[j] {
				score := bestCosine(t, refs[i], cands)
				if i == j {
					genuine = append(genuine, score)
				} else {
					impostor = append(impostor, score)
				}
			}
		}
	}
	slices.Sort(genuine)
	slices.Sort(impostor)
	t.Logf("genuine:  n=%d min %.4f p1 %.4f median %.4f max %.4f", len(genuine), genuine[0], genuine[len(genuine)/100], genuine[len(genuine)/2], genuine[len(genuine)-1])
	t.Logf("impostor: n=%d min %.4f median %.4f p99 %.4f p99.9 %.4f max %.4f", len(impostor), impostor[0], impostor[len(impostor)/2],
		impostor[len(impostor)*99/100], impostor[len(impostor)*999/1000], impostor[len(impostor)-1])
	if got, want := genuine[0], AppearanceThreshold+margin; got < want {
		t.Errorf("lowest genuine score: got %.4f, want at least %.4f", got, want)
	}
	if got, want := impostor[len(impostor)-1], AppearanceThreshold-margin; got > want {
		t.Errorf("highest impostor score: got %.4f, want at most %.4f", got, want)
	}
}

func bestCosine(t testing.TB, ref Template, cands []Template) float64 {
	t.Helper()
	best := math.Inf(-1)
	for i := range cands {
		s, err := Cosine(&ref, &cands[i])
		if err != nil {
			t.Fatalf("Cosine: %v", err)
		}
		best = max(best, s)
	}
	return best
}

func TestAppearanceInvariances(t *testing.T) {
	ex := NewAppearanceExtractor()
	ctx := context.Background()
	face := newPerson(3).draw()
	ref, err := ex.Extract(ctx, encodeJPEG(t, face, 90), "")
	if err != nil {
		t.Fatal(err)
	}
	// A larger capture of the same framing, and a wider one, must map onto
	// the same 3:4 crop.
	big := image.NewRGBA(image.Rect(0, 0, 2*faceW, 2*faceH))
	wide := image.NewRGBA(image.Rect(0, 0, faceW+80, faceH))
	for y := range 2 * faceH {
		for x := range 2 * faceW {
			big.SetRGBA(x, y, face.RGBAAt(x/2, y/2))
		}
	}
	for y := range faceH {
		for x := range faceW + 80 {
			wide.SetRGBA(x, y, face.RGBAAt(min(max(x-40, 0), faceW-1), y))
		}
	}
	darker := image.NewRGBA(face.Bounds())
	for i, v := range face.Pix {
		darker.Pix[i] = v
		if i%4 != 3 {
			darker.Pix[i] = byte8(float64(v)*0.8 - 10)
		}
	}
	tests := []struct {
		name string
		img  []byte
		min  float64
	}{
		{"same pixels as PNG", encodePNG(t, face), 0.995},
		{"twice the resolution", encodeJPEG(t, big, 90), 0.99},
		{"wider frame", encodeJPEG(t, wide, 90), 0.99},
		{"darker, lower contrast", encodeJPEG(t, darker, 90), 0.99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ex.Extract(ctx, tt.img, "")
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := Cosine(&ref, &got); s < tt.min {
				t.Errorf("score against the original: got %.4f, want at least %.4f", s, tt.min)
			}
		})
	}
}

func TestAppearanceTemplateShape(t *testing.T) {
	ex := NewAppearanceExtractor()
	got, err := ex.Extract(context.Background(), portrait(t, 1), FormatJPEG)
	if err != nil {
		t.Fatal(err)
	}
	if got.Extractor != AppearanceName || len(got.Vector) != appearDim {
		t.Errorf("got %v, want %s of dimension %d", got, AppearanceName, appearDim)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	var norm float64
	for _, v := range got.Vector {
		norm += float64(v) * float64(v)
	}
	if math.Abs(norm-1) > 1e-4 {
		t.Errorf("squared norm: got %v, want 1", norm)
	}
	cands, err := ex.ExtractCandidates(context.Background(), portrait(t, 1), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 25 || !slices.Equal(cands[0].Vector, got.Vector) {
		t.Errorf("candidates: got %d, the first equal to Extract's: %t; want 25, true", len(cands), slices.Equal(cands[0].Vector, got.Vector))
	}
}

// TestAppearanceGrey checks that grey images are compared on luma alone:
// a grey capture of a grey portrait still matches.
func TestAppearanceGrey(t *testing.T) {
	toGrey := func(src *image.RGBA) *image.Gray {
		g := image.NewGray(src.Bounds())
		for y := range faceH {
			for x := range faceW {
				g.Set(x, y, color.GrayModel.Convert(src.At(x, y)))
			}
		}
		return g
	}
	m, err := NewCosineMatcher(NewAppearanceExtractor(), AppearanceThreshold)
	if err != nil {
		t.Fatal(err)
	}
	ref := encodeJPEG(t, toGrey(newPerson(4).draw()), 90)
	capture := encodePNG(t, toGrey(perturb(newPerson(4).draw(), 4, 1)))
	res, err := m.Match(context.Background(), Capture{Image: capture}, Reference{Image: ref})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Match {
		t.Errorf("grey capture against grey portrait: got %+v, want a match", res)
	}
}

func TestAppearanceRefuses(t *testing.T) {
	flat := image.NewRGBA(image.Rect(0, 0, faceW, faceH))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	small := image.NewRGBA(image.Rect(0, 0, 100, 130))
	tests := []struct {
		name   string
		img    []byte
		format Format
		opts   []AppearanceOption
		want   error
	}{
		{"empty", nil, "", nil, ErrBadSample},
		{"not an image", []byte("hello, world"), "", nil, ErrBadSample},
		{"truncated JPEG", portrait(t, 1)[:400], "", nil, ErrBadSample},
		{"declared PNG, bytes JPEG", portrait(t, 1), FormatPNG, nil, ErrBadSample},
		{"unknown declared format", portrait(t, 1), "image/webp", nil, ErrUnsupportedFormat},
		{"JP2 file", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 "), "", nil, ErrUnsupportedFormat},
		{"J2K codestream", []byte{0xFF, 0x4F, 0xFF, 0x51, 0, 0x29}, FormatJPEG2000, nil, ErrUnsupportedFormat},
		{"no contrast", encodePNG(t, flat), "", nil, ErrBadSample},
		{"too small for the work grid", encodePNG(t, small), "", nil, ErrBadSample},
		{"over the byte limit", portrait(t, 1), "", []AppearanceOption{WithImageLimits(1000, 0)}, ErrBadSample},
		{"over the pixel limit", portrait(t, 1), "", []AppearanceOption{WithImageLimits(0, faceW*faceH-1)}, ErrBadSample},
		{"PNG header declaring a huge image", pngHeader(100000, 100000), "", nil, ErrBadSample},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewAppearanceExtractor(tt.opts...).Extract(context.Background(), tt.img, tt.format)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// pngHeader returns the signature and a valid IHDR chunk of a w x h RGB
// PNG, and nothing else: enough for DecodeConfig, a bomb for Decode.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)-4))
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Format
	}{
		{"JPEG", []byte{0xFF, 0xD8, 0xFF, 0xE0}, FormatJPEG},
		{"PNG", []byte("\x89PNG\r\n\x1a\n...."), FormatPNG},
		{"JP2", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n"), FormatJPEG2000},
		{"J2K", []byte{0xFF, 0x4F, 0xFF, 0x51}, FormatJPEG2000},
		{"GIF", []byte("GIF89a"), ""},
		{"short", []byte{0xFF}, ""},
	}
	for _, tt := range tests {
		if got := DetectFormat(tt.in); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestExtractHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewAppearanceExtractor().Extract(ctx, portrait(t, 1), ""); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want %v", err, context.Canceled)
	}
}
