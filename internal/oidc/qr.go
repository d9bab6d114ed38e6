package oidc

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/skip2/go-qrcode"
)

// qrModulePixels is the size a QR module is drawn at: a version-4 code
// (the approval URLs) is then about 200 CSS pixels, which a phone reads
// from a laptop screen.
const qrModulePixels = 5

// qrSVG draws content as a QR code in inline SVG, with its quiet zone.
// Inline SVG is part of the page, so netid's Content Security Policy
// (default-src 'none', no data: images) lets it through, and it needs no
// script and no style sheet. Level M: a screen is clean, but a phone held
// at an angle is not perfect.
func qrSVG(content string) (template.HTML, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("oidc: QR code: %w", err)
	}
	bm := q.Bitmap()
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges" aria-hidden="true">`,
		n, n, n*qrModulePixels, n*qrModulePixels)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// Only numbers and fixed markup went into it: nothing to escape.
	return template.HTML(b.String()), nil
}
