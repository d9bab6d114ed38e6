package enroltest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	mrand "math/rand/v2"
	"testing"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/document/testdoc"
)

// LiveCapture is a selfie of the person of portrait seed: the portrait
// redrawn brighter, with sensor noise, re-encoded as a phone would. Each
// variant is another capture of the same person; it is deterministic, so
// a test can submit the same capture twice.
func LiveCapture(t testing.TB, seed, variant uint64) []byte {
	t.Helper()
	src := testdoc.PortraitImage(seed)
	b := src.Bounds()
	out := image.NewRGBA(b)
	rng := mrand.New(mrand.NewPCG(seed, variant))
	shift := int(variant%7) + 6
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.RGBAAt(x, y)
			n := rng.IntN(9) - 4
			out.SetRGBA(x, y, color.RGBA{clampByte(int(c.R) + shift + n), clampByte(int(c.G) + shift + n),
				clampByte(int(c.B) + shift + n), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func clampByte(v int) uint8 { return uint8(max(0, min(255, v))) }

// Attestation is the development detector's attestation that the JPEG img,
// captured for challenge, is live with score (above the 0.5 threshold is
// live: tests use 0.99, and 0.1 for a spoof). It does not touch the test,
// so a handler goroutine may call it.
func (e *Env) Attestation(img []byte, challenge string, score float64) (biometric.LivenessAttestation, error) {
	return e.Liveness.Attest(biometric.LivenessStatement{Challenge: challenge,
		Capture: biometric.Capture{Image: img, Format: biometric.FormatJPEG}, Score: score, Threshold: 0.5,
		IssuedAt: e.Clock.Now()})
}

// Attest is the capture of the JPEG img for challenge, with the
// development detector's attestation of score; it fails the test if the
// detector refuses.
func (e *Env) Attest(img []byte, challenge string, score float64) biometric.Capture {
	e.T.Helper()
	att, err := e.Attestation(img, challenge, score)
	must(e.T, err)
	return biometric.Capture{Image: img, Format: biometric.FormatJPEG, Liveness: att}
}
