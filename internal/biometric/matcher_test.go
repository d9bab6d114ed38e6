package biometric

import (
	"context"
	"errors"
	"testing"
)

func newTestMatcher(t testing.TB) *CosineMatcher {
	t.Helper()
	m, err := NewCosineMatcher(NewAppearanceExtractor(), AppearanceThreshold)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCosineMatcher(t *testing.T) {
	m := newTestMatcher(t)
	ex := NewAppearanceExtractor()
	ctx := context.Background()
	stored, err := ex.Extract(ctx, portrait(t, 11), "")
	if err != nil {
		t.Fatal(err)
	}
	// A device-side embedding of a capture shifted by a few pixels: the
	// search then runs over the reference image's candidates.
	embedded, err := ex.Extract(ctx, captureOf(t, 11, 2), "")
	if err != nil {
		t.Fatal(err)
	}
	old := Template{Extractor: "netid-appearance/0", Vector: stored.Vector}
	tests := []struct {
		name      string
		live      Capture
		ref       Reference
		wantMatch bool
		wantErr   error
	}{
		{"image against portrait", Capture{Image: captureOf(t, 11, 0)}, Reference{Image: portrait(t, 11)}, true, nil},
		{"image against another portrait", Capture{Image: captureOf(t, 12, 0)}, Reference{Image: portrait(t, 11)}, false, nil},
		{"image against stored template", Capture{Image: captureOf(t, 11, 1)}, Reference{Template: &stored}, true, nil},
		{"embedding against portrait", Capture{Embedding: &embedded}, Reference{Image: portrait(t, 11)}, true, nil},
		{"embedding against another portrait", Capture{Embedding: &embedded}, Reference{Image: portrait(t, 13)}, false, nil},
		{"template of an older extractor", Capture{Image: captureOf(t, 11, 0)}, Reference{Template: &old}, false, ErrIncompatibleTemplates},
		{"capture with image and embedding", Capture{Image: captureOf(t, 11, 0), Embedding: &embedded}, Reference{Image: portrait(t, 11)}, false, ErrBadSample},
		{"empty reference", Capture{Image: captureOf(t, 11, 0)}, Reference{}, false, ErrBadSample},
		{"JPEG 2000 portrait", Capture{Image: captureOf(t, 11, 0)}, Reference{Image: []byte{0xFF, 0x4F, 0xFF, 0x51, 0}}, false, ErrUnsupportedFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := m.Match(ctx, tt.live, tt.ref)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if res.Match != tt.wantMatch || res.Match != (res.Score >= res.Threshold) {
				t.Errorf("got %+v, want Match %t", res, tt.wantMatch)
			}
			if want := "netid-cosine:" + AppearanceName; res.Engine != want || res.Threshold != AppearanceThreshold {
				t.Errorf("got engine %q threshold %v, want %q %v", res.Engine, res.Threshold, want, AppearanceThreshold)
			}
		})
	}
}

func TestNewCosineMatcherRefuses(t *testing.T) {
	for _, th := range []float64{-1, 1.01} {
		if _, err := NewCosineMatcher(NewAppearanceExtractor(), th); err == nil {
			t.Errorf("threshold %v: got nil, want an error", th)
		}
	}
	if _, err := NewCosineMatcher(nil, 0.5); err == nil {
		t.Error("nil extractor: got nil, want an error")
	}
}

// countingMatcher records whether it was asked to match.
type countingMatcher struct{ calls int }

func (c *countingMatcher) Match(context.Context, Capture, Reference) (Result, error) {
	c.calls++
	return Result{Score: 1, Threshold: 0, Match: true, Engine: "counting"}, nil
}

func TestMatchLive(t *testing.T) {
	signer := newSigner(t, "dev", newEd25519(t))
	v, err := NewLivenessVerifier([]TrustedKey{signer.TrustedKey()})
	if err != nil {
		t.Fatal(err)
	}
	img := captureOf(t, 21, 0)
	live := Capture{Image: img}
	live.Liveness = attest(t, signer, LivenessStatement{Challenge: "ch", Capture: live, Score: 0.99, Threshold: 0.9, IssuedAt: livenessNow})
	ref := Reference{Image: portrait(t, 21)}

	res, err := MatchLive(context.Background(), newTestMatcher(t), v, live, ref, "ch", livenessNow)
	if err != nil || !res.Match {
		t.Errorf("attested capture: got %+v, %v; want a match", res, err)
	}
	tests := []struct {
		name      string
		live      Capture
		challenge string
		want      error
	}{
		{"no attestation", Capture{Image: img}, "ch", ErrLivenessMissing},
		{"replayed for another challenge", live, "other", ErrLivenessChallenge},
		{"attestation moved to another image", Capture{Image: captureOf(t, 21, 1), Liveness: live.Liveness}, "ch", ErrLivenessCaptureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &countingMatcher{}
			_, err := MatchLive(context.Background(), m, v, tt.live, ref, tt.challenge, livenessNow)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if m.calls != 0 {
				t.Errorf("matcher called %d times for an unattested capture, want 0", m.calls)
			}
		})
	}
}
