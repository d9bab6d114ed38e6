package biometric

import (
	"context"
	"testing"
)

func BenchmarkExtract(b *testing.B) {
	ex := NewAppearanceExtractor()
	img := portrait(b, 1)
	ctx := context.Background()
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := ex.Extract(ctx, img, FormatJPEG); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch measures one enrolment comparison: decode and extract the
// portrait, decode the capture and extract its 25 candidates, 25 cosines.
func BenchmarkMatch(b *testing.B) {
	m := newTestMatcher(b)
	live, ref := Capture{Image: captureOf(b, 1, 0)}, Reference{Image: portrait(b, 1)}
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Match(ctx, live, ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchTemplates measures the comparison alone, for stored
// templates.
func BenchmarkMatchTemplates(b *testing.B) {
	ex := NewAppearanceExtractor()
	ctx := context.Background()
	t1, err := ex.Extract(ctx, portrait(b, 1), "")
	if err != nil {
		b.Fatal(err)
	}
	t2, err := ex.Extract(ctx, captureOf(b, 1, 0), "")
	if err != nil {
		b.Fatal(err)
	}
	m := newTestMatcher(b)
	for b.Loop() {
		if _, err := m.Match(ctx, Capture{Embedding: &t2}, Reference{Template: &t1}); err != nil {
			b.Fatal(err)
		}
	}
}
