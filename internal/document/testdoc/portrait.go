package testdoc

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// PortraitWidth and PortraitHeight are the size of generated portraits: the
// 3:4 aspect of an ICAO passport photograph at a resolution typical of DG2.
const (
	PortraitWidth  = 240
	PortraitHeight = 320
)

// portraitComment is written into every portrait's JPEG comment segment, so
// that a synthetic portrait announces itself to anyone who inspects it.
const portraitComment = "netid TEST portrait: synthetic drawing, not a person; seed %d"

// PortraitImage draws the synthetic portrait of seed: a flat, cartoon face
// on a patterned background, unmistakably not a photograph of anyone. The
// same seed always gives the same pixels; different seeds differ in
// colours, proportions and pattern, so a face matcher can tell two
// synthetic people apart and recognise a capture of the same one.
func PortraitImage(seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 0x6e65746964)) // "netid"
	img := image.NewRGBA(image.Rect(0, 0, PortraitWidth, PortraitHeight))
	hue := r.Float64()
	bg := hsv(hue, 0.25, 0.95)
	stripe := hsv(hue, 0.35, 0.85)
	period := 12 + r.IntN(20)
	for y := 0; y < PortraitHeight; y++ {
		for x := 0; x < PortraitWidth; x++ {
			c := bg
			if ((x+y)/period)%2 == 0 {
				c = stripe
			}
			img.SetRGBA(x, y, c)
		}
	}

	cx := float64(PortraitWidth) / 2
	cy := 150 + r.Float64()*20
	rx := 62 + r.Float64()*18
	ry := 82 + r.Float64()*18
	skin := hsv(r.Float64(), 0.35+r.Float64()*0.3, 0.7+r.Float64()*0.25) // any hue: not a human skin tone
	hair := hsv(r.Float64(), 0.6, 0.3+r.Float64()*0.4)

	// Shoulders, then hair behind the head, then the head.
	fillEllipse(img, cx, float64(PortraitHeight)+30, 110, 80, hsv(r.Float64(), 0.5, 0.5))
	fillEllipse(img, cx, cy-ry*0.35, rx*1.08, ry*0.8, hair)
	fillEllipse(img, cx, cy, rx, ry, skin)

	eyeDX := rx * (0.35 + r.Float64()*0.12)
	eyeY := cy - ry*(0.1+r.Float64()*0.1)
	eyeR := 7 + r.Float64()*5
	iris := hsv(r.Float64(), 0.7, 0.6)
	for _, sx := range []float64{-1, 1} {
		fillEllipse(img, cx+sx*eyeDX, eyeY, eyeR*1.6, eyeR, color.RGBA{250, 250, 250, 255})
		fillEllipse(img, cx+sx*eyeDX, eyeY, eyeR*0.7, eyeR*0.7, iris)
		fillEllipse(img, cx+sx*eyeDX, eyeY, eyeR*0.3, eyeR*0.3, color.RGBA{20, 20, 20, 255})
	}
	nose := darker(skin, 0.75)
	noseLen := ry * (0.2 + r.Float64()*0.1)
	fillEllipse(img, cx, eyeY+noseLen, 5+r.Float64()*4, noseLen*0.5, nose)
	mouthY := cy + ry*(0.45+r.Float64()*0.1)
	mouthW := rx * (0.3 + r.Float64()*0.25)
	fillEllipse(img, cx, mouthY, mouthW, 6+r.Float64()*5, hsv(0.97, 0.6, 0.6))
	fillEllipse(img, cx, mouthY-4, mouthW, 6, skin) // the upper lip line makes a smile
	return img
}

// Portrait returns PortraitImage(seed) as a baseline JPEG (quality 90) with
// a comment segment saying it is a synthetic TEST portrait. Encoding is
// deterministic: the same seed gives the same bytes.
func Portrait(seed uint64) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, PortraitImage(seed), &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("testdoc: portrait: %w", err)
	}
	return withJPEGComment(buf.Bytes(), fmt.Sprintf(portraitComment, seed)), nil
}

// withJPEGComment inserts a COM segment (marker FFFE) right after the SOI
// marker of a JPEG.
func withJPEGComment(jpg []byte, comment string) []byte {
	n := len(comment) + 2 // the length counts itself
	seg := append([]byte{0xFF, 0xFE, byte(n >> 8), byte(n)}, comment...)
	out := make([]byte, 0, len(jpg)+len(seg))
	out = append(out, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func fillEllipse(img *image.RGBA, cx, cy, rx, ry float64, c color.RGBA) {
	b := img.Bounds()
	for y := max(b.Min.Y, int(cy-ry)); y <= min(b.Max.Y-1, int(cy+ry)); y++ {
		for x := max(b.Min.X, int(cx-rx)); x <= min(b.Max.X-1, int(cx+rx)); x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			if dx*dx+dy*dy <= 1 {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

// hsv converts a hue, saturation and value in [0, 1] to an opaque colour.
func hsv(h, s, v float64) color.RGBA {
	h = math.Mod(h, 1) * 6
	i := math.Floor(h)
	f := h - i
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var r, g, b float64
	switch int(i) {
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
	return color.RGBA{uint8(r * 255), uint8(g * 255), uint8(b * 255), 255}
}

func darker(c color.RGBA, k float64) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * k), uint8(float64(c.G) * k), uint8(float64(c.B) * k), 255}
}
