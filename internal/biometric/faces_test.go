package biometric

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"
)

// Synthetic faces for the tests: cartoon portraits whose geometry and
// shading depend on a seed, and "live captures" of them with sensor noise,
// a brightness and contrast change, a shift of a few pixels and a lossy
// re-encoding. They stand in for internal/document/testdoc portraits
// without depending on that package.

const faceW, faceH = 240, 320 // a DG2-sized 3:4 portrait

// person is the seed-dependent geometry, colour and shading of one
// synthetic face. Colours are (hue, saturation, value) triples.
type person struct {
	bgTop, bgBottom   hsv // background, vertical gradient
	cx, cy, rx, ry    float64
	skin              hsv
	light             float64 // left-right shading of the face, in value
	hair              hsv
	hairDrop          float64 // how far the hair comes down the forehead
	eyeDX, eyeY, eyeR float64
	iris              hsv
	browLift, browLen float64
	noseLen, noseW    float64
	mouthY, mouthW    float64
	mouthH            float64
	lips, clothes     hsv
}

type hsv struct{ h, s, v float64 }

func newPerson(seed uint64) person {
	r := rand.New(rand.NewPCG(seed, 0xb10))
	u := func(lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }
	bgHue := r.Float64()
	p := person{
		bgTop:    hsv{bgHue, u(0.05, 0.4), u(0.6, 0.95)},
		bgBottom: hsv{bgHue + u(-0.1, 0.1), u(0.05, 0.4), u(0.5, 0.9)},
		cx:       u(108, 132), cy: u(150, 175), rx: u(60, 82), ry: u(80, 100),
		skin:     hsv{u(0.02, 0.11), u(0.2, 0.65), u(0.35, 0.95)},
		light:    u(-0.2, 0.2),
		hair:     hsv{r.Float64(), u(0.1, 0.8), u(0.05, 0.6)},
		hairDrop: u(0.15, 0.55),
		iris:     hsv{r.Float64(), u(0.3, 0.8), u(0.2, 0.6)},
		eyeR:     u(6, 12), browLift: u(10, 22), browLen: u(10, 22),
		noseW: u(5, 11), mouthH: u(5, 12),
		lips:    hsv{u(0.95, 1.02), u(0.3, 0.7), u(0.3, 0.7)},
		clothes: hsv{r.Float64(), u(0.1, 0.9), u(0.1, 0.9)},
	}
	p.eyeDX = p.rx * u(0.3, 0.5)
	p.eyeY = p.cy - p.ry*u(0.05, 0.3)
	p.noseLen = p.ry * u(0.15, 0.35)
	p.mouthY = p.cy + p.ry*u(0.35, 0.6)
	p.mouthW = p.rx * u(0.25, 0.55)
	return p
}

// draw renders the person.
func (p person) draw() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, faceW, faceH))
	for y := 0; y < faceH; y++ {
		t := float64(y) / faceH
		c := hsv{p.bgTop.h*(1-t) + p.bgBottom.h*t, p.bgTop.s*(1-t) + p.bgBottom.s*t, p.bgTop.v*(1-t) + p.bgBottom.v*t}.rgba()
		for x := 0; x < faceW; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	flat := func(c hsv) func(float64, float64) color.RGBA {
		rgba := c.rgba()
		return func(float64, float64) color.RGBA { return rgba }
	}
	shaded := func(c hsv) func(float64, float64) color.RGBA {
		return func(dx, _ float64) color.RGBA { return hsv{c.h, c.s, c.v + p.light*dx}.rgba() }
	}
	ellipse(img, faceW/2, faceH+40, 120, 90, flat(p.clothes))
	ellipse(img, p.cx, p.cy-p.ry*p.hairDrop, p.rx*1.1, p.ry*0.85, flat(p.hair))
	ellipse(img, p.cx, p.cy+p.ry*0.1, p.rx, p.ry*0.9, shaded(p.skin))
	for _, s := range []float64{-1, 1} {
		ex := p.cx + s*p.eyeDX
		ellipse(img, ex, p.eyeY-p.browLift, p.browLen, 3, flat(p.hair))
		ellipse(img, ex, p.eyeY, p.eyeR*1.6, p.eyeR, flat(hsv{0, 0, 0.96}))
		ellipse(img, ex, p.eyeY, p.eyeR*0.7, p.eyeR*0.7, flat(p.iris))
		ellipse(img, ex, p.eyeY, p.eyeR*0.3, p.eyeR*0.3, flat(hsv{0, 0, 0.08}))
	}
	ellipse(img, p.cx, p.eyeY+p.noseLen, p.noseW, p.noseLen*0.5, shaded(hsv{p.skin.h, p.skin.s, p.skin.v * 0.75}))
	ellipse(img, p.cx, p.mouthY, p.mouthW, p.mouthH, flat(p.lips))
	return img
}

// ellipse fills an ellipse with shade(dx, dy), dx and dy in [-1, 1].
func ellipse(img *image.RGBA, cx, cy, rx, ry float64, shade func(dx, dy float64) color.RGBA) {
	for y := max(0, int(cy-ry)); y <= min(faceH-1, int(cy+ry)); y++ {
		for x := max(0, int(cx-rx)); x <= min(faceW-1, int(cx+rx)); x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			if dx*dx+dy*dy <= 1 {
				img.SetRGBA(x, y, shade(dx, dy))
			}
		}
	}
}

// rgba converts to an opaque colour; the hue wraps, saturation and value
// are clamped.
func (c hsv) rgba() color.RGBA {
	h := (c.h - math.Floor(c.h)) * 6
	s, v := clamp01(c.s), clamp01(c.v)
	i := math.Floor(h)
	f := h - i
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var r, g, b float64
	switch int(i) % 6 {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return color.RGBA{byte8(r * 255), byte8(g * 255), byte8(b * 255), 255}
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

func byte8(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(255, v)))) }

// portrait is the document portrait of seed: a JPEG at quality 90, as a
// DG2 holds.
func portrait(t testing.TB, seed uint64) []byte {
	t.Helper()
	return encodeJPEG(t, newPerson(seed).draw(), 90)
}

// captureOf is a "live capture" of seed's face: shifted by up to 4 pixels
// each way, re-lit (gain 0.75 to 1.25, offset -25 to +25 levels, the same
// on every channel), with Gaussian sensor noise of standard deviation 6
// levels per channel, JPEG-encoded at quality 70 to 90. variant picks one
// of many such captures.
func captureOf(t testing.TB, seed, variant uint64) []byte {
	t.Helper()
	return encodeJPEG(t, perturb(newPerson(seed).draw(), seed, variant), 70+int((seed+variant)%21))
}

// perturb applies the capture changes of captureOf to src.
func perturb(src *image.RGBA, seed, variant uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, variant+1))
	dx, dy := r.IntN(9)-4, r.IntN(9)-4
	gain, offset := 0.8+r.Float64()*0.4, r.Float64()*35-20
	b := src.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			sx, sy := min(max(x-dx, b.Min.X), b.Max.X-1), min(max(y-dy, b.Min.Y), b.Max.Y-1)
			c := src.RGBAAt(sx, sy)
			o := out.PixOffset(x, y)
			for i, v := range []uint8{c.R, c.G, c.B} {
				out.Pix[o+i] = byte8(float64(v)*gain + offset + r.NormFloat64()*6)
			}
			out.Pix[o+3] = 255
		}
	}
	return out
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatalf("jpeg.Encode: %v", err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatalf("png.Encode: %v", err)
	}
	return b.Bytes()
}
