package biometric

import (
	"context"
	"fmt"
	"image"
	"math"
)

// AppearanceName is the Extractor name (and version) of AppearanceExtractor
// templates. Change the version whenever the features change: stored
// templates of another version are then refused instead of mismatched.
const AppearanceName = "netid-appearance/1"

// AppearanceThreshold is the default cosine threshold for AppearanceExtractor
// templates, chosen from the score distributions measured in doc.go.
const AppearanceThreshold = 0.93

// The appearance geometry. The image is cropped to its largest centred 3:4
// rectangle and averaged down to a work grid of workW x workH cells (2
// pixels per cell for a 240x320 DG2 portrait). Features are then read from a
// window of windowFrac of the work grid, centred, or moved by up to
// maxJitter cells each way for the candidates: lumaW x lumaH cells of
// luma and chromaW x chromaH cells of each of Cb and Cr.
const (
	workW, workH     = 120, 160
	windowFrac       = 0.92
	maxJitter        = 2
	lumaW, lumaH     = 48, 64
	chromaW, chromaH = 24, 32
	appearDim        = lumaW*lumaH + 2*chromaW*chromaH
	minContrast      = 1.0 // luma standard deviation, in 8-bit levels
	minChroma        = 1.0 // chroma standard deviation below which an image counts as grey
)

// AppearanceExtractor is the built-in Extractor. It is NOT a face
// recogniser: it describes the overall appearance of an image (its
// brightness layout and its colour layout), which is enough to tell
// netid's synthetic test portraits apart and to recognise a noisy, shifted,
// re-lit capture of the same one, and not enough to tell real people apart.
// Operators who enrol real people configure a remote engine (NewRemote).
// doc.go says what it computes and how it was measured.
type AppearanceExtractor struct {
	maxBytes, maxPixels int
}

var _ CandidateExtractor = (*AppearanceExtractor)(nil)

// AppearanceOption configures an AppearanceExtractor.
type AppearanceOption func(*AppearanceExtractor)

// WithImageLimits bounds the images the extractor accepts: at most maxBytes
// encoded and maxPixels decoded. Zero leaves a limit at its default.
func WithImageLimits(maxBytes, maxPixels int) AppearanceOption {
	return func(e *AppearanceExtractor) {
		if maxBytes > 0 {
			e.maxBytes = maxBytes
		}
		if maxPixels > 0 {
			e.maxPixels = maxPixels
		}
	}
}

// NewAppearanceExtractor returns the built-in extractor.
func NewAppearanceExtractor(opts ...AppearanceOption) *AppearanceExtractor {
	e := &AppearanceExtractor{maxBytes: DefaultMaxImageBytes, maxPixels: DefaultMaxImagePixels}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Extract implements Extractor: the template of the centred window. It
// decodes JPEG and PNG; JPEG 2000 fails with ErrUnsupportedFormat.
func (e *AppearanceExtractor) Extract(ctx context.Context, data []byte, format Format) (Template, error) {
	p, err := e.planes(ctx, data, format)
	if err != nil {
		return Template{}, err
	}
	return p.template(0, 0), nil
}

// ExtractCandidates implements CandidateExtractor: the templates of the
// window moved by -2 to +2 work cells each way (about 4 pixels on a 240x320
// portrait), the centred one first.
func (e *AppearanceExtractor) ExtractCandidates(ctx context.Context, data []byte, format Format) ([]Template, error) {
	p, err := e.planes(ctx, data, format)
	if err != nil {
		return nil, err
	}
	out := make([]Template, 0, (2*maxJitter+1)*(2*maxJitter+1))
	out = append(out, p.template(0, 0))
	for dy := -maxJitter; dy <= maxJitter; dy++ {
		for dx := -maxJitter; dx <= maxJitter; dx++ {
			if dx != 0 || dy != 0 {
				out = append(out, p.template(dx, dy))
			}
		}
	}
	return out, nil
}

func (e *AppearanceExtractor) planes(ctx context.Context, data []byte, format Format) (*workPlanes, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, err := decodeImage(data, format, e.maxBytes, e.maxPixels)
	if err != nil {
		return nil, err
	}
	return newWorkPlanes(img)
}

// workPlanes holds the work grid: luma (Y) and the two chroma channels (Cb,
// Cr, centred on 0) of the 3:4 crop, area-averaged.
type workPlanes struct {
	y, cb, cr []float64
	grey      bool // too little chroma to describe: leave colour out
}

// newWorkPlanes computes the work grid of img and checks that it has
// contrast.
func newWorkPlanes(img image.Image) (*workPlanes, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	cw, ch := w, h
	if w*workH > h*workW { // wider than 3:4: keep the height
		cw = h * workW / workH
	} else {
		ch = w * workH / workW
	}
	if cw < workW || ch < workH {
		return nil, fmt.Errorf("%w: image of %dx%d is too small; its centred 3:4 crop must be at least %dx%d", ErrBadSample, w, h, workW, workH)
	}
	p := &workPlanes{y: make([]float64, workW*workH), cb: make([]float64, workW*workH), cr: make([]float64, workW*workH)}
	areaAverage(img, image.Rect(b.Min.X+(w-cw)/2, b.Min.Y+(h-ch)/2, b.Min.X+(w-cw)/2+cw, b.Min.Y+(h-ch)/2+ch), p)
	if stddev(p.y) < minContrast {
		return nil, fmt.Errorf("%w: the image has no contrast", ErrBadSample)
	}
	p.grey = math.Hypot(stddev(p.cb), stddev(p.cr)) < minChroma
	return p, nil
}

// template reads the features from the window moved by (dx, dy) work
// cells:
//
//   - luma, lumaW x lumaH;
//   - Cb then Cr, chromaW x chromaH each (left at zero for a grey image);
//
// each part centred (its mean subtracted: brightness offsets vanish, and so
// do the same offsets added to R, G and B, which leave Cb and Cr alone),
// weighted by the centre window, and scaled to unit length (contrast and
// gain vanish); the whole is scaled by 1/sqrt(2), so that the cosine of two
// templates is the mean of the luma and the chroma similarities.
func (p *workPlanes) template(dx, dy int) Template {
	ww, wh := windowFrac*workW, windowFrac*workH
	x0 := (workW-ww)/2 + float64(dx)
	y0 := (workH-wh)/2 + float64(dy)
	luma := resample(p.y, workW, x0, y0, ww, wh, lumaW, lumaH)
	weigh(luma, lumaWindow)
	chroma := make([]float64, 0, 2*chromaW*chromaH)
	if p.grey {
		chroma = chroma[:2*chromaW*chromaH]
	} else {
		chroma = append(chroma, resample(p.cb, workW, x0, y0, ww, wh, chromaW, chromaH)...)
		chroma = append(chroma, resample(p.cr, workW, x0, y0, ww, wh, chromaW, chromaH)...)
		weigh(chroma, chromaWindow)
	}
	vec := make([]float32, 0, appearDim)
	for _, part := range [][]float64{luma, chroma} {
		for _, v := range part {
			vec = append(vec, float32(v/math.Sqrt2))
		}
	}
	return Template{Extractor: AppearanceName, Vector: vec}
}

// The centre windows: Gaussian weights over the feature grid, centred a
// little above the middle where ICAO framing puts the face, with a standard
// deviation of 0.3 of the width and height. Without it the background,
// about half of a portrait, dominates both parts, and two portraits with
// similar backgrounds score high whatever the faces (measured on testdoc
// portraits: impostor maximum 0.920 without, 0.892 with).
var (
	lumaWindow   = centreWindow(lumaW, lumaH, 1)
	chromaWindow = centreWindow(chromaW, chromaH, 2)
)

func centreWindow(w, h, planes int) []float64 {
	const sigma, cx, cy = 0.3, 0.5, 0.45
	out := make([]float64, 0, w*h*planes)
	for range planes {
		for y := range h {
			for x := range w {
				dx := (float64(x)+0.5)/float64(w) - cx
				dy := (float64(y)+0.5)/float64(h) - cy
				out = append(out, math.Exp(-(dx*dx+dy*dy)/(2*sigma*sigma)))
			}
		}
	}
	return out
}

// weigh centres v (subtracts its mean), multiplies it by window and scales
// it to unit length, in place. A constant v becomes all zeros.
func weigh(v, window []float64) {
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var n float64
	for i := range v {
		v[i] = (v[i] - mean) * window[i]
		n += v[i] * v[i]
	}
	if n == 0 {
		return
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] /= n
	}
}

func stddev(v []float64) float64 {
	var mean, sq float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sq += (x - mean) * (x - mean)
	}
	return math.Sqrt(sq / float64(len(v)))
}
