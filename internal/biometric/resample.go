package biometric

import (
	"image"
	"image/color"
	"math"
)

// areaAverage fills p's work grid with the mean Y, Cb and Cr of the pixels
// of crop that each cell covers, partial pixels weighted by the covered
// fraction. It reads every pixel once, so its cost is linear in the image
// size. The caller guarantees that crop is at least workW x workH pixels,
// so that each pixel overlaps at most two cells in each direction.
func areaAverage(img image.Image, crop image.Rectangle, p *workPlanes) {
	cw, ch := crop.Dx(), crop.Dy()
	cols := spans(cw, workW)
	rows := spans(ch, workH)
	px := pixelReader(img)
	planes := [3][]float64{p.y, p.cb, p.cr}
	for y := 0; y < ch; y++ {
		r := rows[y]
		for x := 0; x < cw; x++ {
			c := cols[x]
			yy, cb, cr := px(crop.Min.X+x, crop.Min.Y+y)
			for k, v := range [3]float64{yy, cb, cr} {
				pl := planes[k]
				pl[r.i*workW+c.i] += v * r.w * c.w
				if c.w < 1 {
					pl[r.i*workW+c.i+1] += v * r.w * (1 - c.w)
				}
				if r.w < 1 {
					pl[(r.i+1)*workW+c.i] += v * (1 - r.w) * c.w
					if c.w < 1 {
						pl[(r.i+1)*workW+c.i+1] += v * (1 - r.w) * (1 - c.w)
					}
				}
			}
		}
	}
	area := float64(cw) / workW * float64(ch) / workH
	for _, pl := range planes {
		for i := range pl {
			pl[i] /= area
		}
	}
}

// span says that a source pixel puts fraction w of itself in cell i and the
// rest (if w < 1) in cell i+1.
type span struct {
	i int
	w float64
}

// spans maps each of n source pixels onto cells of size n/cells >= 1.
func spans(n, cells int) []span {
	out := make([]span, n)
	size := float64(n) / float64(cells)
	for p := range out {
		start := float64(p) / size
		i := int(start)
		end := float64(p+1) / size
		if i >= cells-1 || end <= float64(i+1) {
			out[p] = span{i: min(i, cells-1), w: 1}
			continue
		}
		out[p] = span{i: i, w: (float64(i+1) - start) * size}
	}
	return out
}

// pixelReader returns a function giving the Y, Cb and Cr of a pixel (JPEG's
// full-range BT.601 YCbCr, with Cb and Cr centred on 0). It reads the
// concrete types the JPEG and PNG decoders produce directly, and anything
// else through the color package. Cb and Cr are weighted differences of R,
// G and B whose weights sum to zero: adding the same offset to R, G and B
// leaves them unchanged.
func pixelReader(img image.Image) func(x, y int) (float64, float64, float64) {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) (float64, float64, float64) {
			c := m.COffset(x, y)
			return float64(m.Y[m.YOffset(x, y)]), float64(m.Cb[c]) - 128, float64(m.Cr[c]) - 128
		}
	case *image.Gray:
		return func(x, y int) (float64, float64, float64) { return float64(m.Pix[m.PixOffset(x, y)]), 0, 0 }
	case *image.RGBA:
		return func(x, y int) (float64, float64, float64) {
			p := m.Pix[m.PixOffset(x, y):]
			return ycc(float64(p[0]), float64(p[1]), float64(p[2]))
		}
	case *image.NRGBA:
		return func(x, y int) (float64, float64, float64) {
			p := m.Pix[m.PixOffset(x, y):]
			return ycc(float64(p[0]), float64(p[1]), float64(p[2]))
		}
	default:
		return func(x, y int) (float64, float64, float64) {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			return ycc(float64(c.R), float64(c.G), float64(c.B))
		}
	}
}

// ycc is the JFIF RGB to YCbCr conversion, without rounding.
func ycc(r, g, b float64) (float64, float64, float64) {
	return 0.299*r + 0.587*g + 0.114*b,
		-0.168736*r - 0.331264*g + 0.5*b,
		0.5*r - 0.418688*g - 0.081312*b
}

// resample returns the mean of plane (of width w) over each of the gw x gh
// cells of the window (x0, y0, ww, wh), in plane cells, fractional cells
// weighted by coverage. The window must lie inside the plane.
func resample(plane []float64, w int, x0, y0, ww, wh float64, gw, gh int) []float64 {
	wx := boxWeights(x0, ww, gw)
	wy := boxWeights(y0, wh, gh)
	// Rows first: tmp holds, for each plane row the window touches, the gw
	// horizontal cell means.
	r0 := wy[0][0].i
	r1 := wy[gh-1][len(wy[gh-1])-1].i
	tmp := make([]float64, (r1-r0+1)*gw)
	for r := r0; r <= r1; r++ {
		row := plane[r*w : (r+1)*w]
		for i, ws := range wx {
			var s float64
			for _, t := range ws {
				s += row[t.i] * t.w
			}
			tmp[(r-r0)*gw+i] = s
		}
	}
	out := make([]float64, gw*gh)
	for j, ws := range wy {
		for _, t := range ws {
			src := tmp[(t.i-r0)*gw : (t.i-r0+1)*gw]
			for i := range gw {
				out[j*gw+i] += src[i] * t.w
			}
		}
	}
	return out
}

type weight struct {
	i int
	w float64
}

// boxWeights returns, for each of n cells dividing [start, start+length),
// the plane cells it overlaps and the fraction of the cell each covers.
func boxWeights(start, length float64, n int) [][]weight {
	out := make([][]weight, n)
	size := length / float64(n)
	for k := range out {
		a := start + float64(k)*size
		b := a + size
		for i := int(math.Floor(a)); float64(i) < b; i++ {
			lo, hi := math.Max(a, float64(i)), math.Min(b, float64(i+1))
			if hi > lo {
				out[k] = append(out[k], weight{i: i, w: (hi - lo) / size})
			}
		}
	}
	return out
}
