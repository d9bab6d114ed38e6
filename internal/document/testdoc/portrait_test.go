package testdoc

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

func TestPortrait(t *testing.T) {
	a, err := Portrait(42)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Portrait(42)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, again) {
		t.Error("the same seed gave different JPEG bytes")
	}
	other, err := Portrait(43)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, other) {
		t.Error("different seeds gave the same portrait")
	}
	img, format, err := image.Decode(bytes.NewReader(a))
	if err != nil || format != "jpeg" {
		t.Fatalf("decode: %v (format %q)", err, format)
	}
	if b := img.Bounds(); b.Dx() != PortraitWidth || b.Dy() != PortraitHeight {
		t.Errorf("size: got %dx%d, want %dx%d", b.Dx(), b.Dy(), PortraitWidth, PortraitHeight)
	}
	if !bytes.Contains(a[:200], []byte("netid TEST portrait")) {
		t.Error("the JPEG does not carry the TEST comment near its start")
	}
	if _, err := jpeg.Decode(bytes.NewReader(a)); err != nil {
		t.Errorf("jpeg.Decode: %v", err)
	}
}

// TestPortraitImageDiffers checks that seeds change the drawing itself,
// not only the comment, so face matchers can tell synthetic people apart.
func TestPortraitImageDiffers(t *testing.T) {
	a, b := PortraitImage(1), PortraitImage(2)
	if bytes.Equal(a.Pix, b.Pix) {
		t.Error("seeds 1 and 2 drew the same picture")
	}
	if !bytes.Equal(a.Pix, PortraitImage(1).Pix) {
		t.Error("seed 1 drew two different pictures")
	}
}

func TestOtherPortrait(t *testing.T) {
	p, _ := Portrait(0xF0F0)
	q, err := otherPortrait(p)
	if err != nil || bytes.Equal(p, q) {
		t.Errorf("otherPortrait returned the same portrait (%v)", err)
	}
}

func BenchmarkPortrait(b *testing.B) {
	for i := range b.N {
		if _, err := Portrait(uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
