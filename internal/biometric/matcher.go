package biometric

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Result is the outcome of one comparison. Match is Score >= Threshold;
// both are on the engine's own scale (cosine similarity for the built-in
// matcher), so only Match means anything across engines.
type Result struct {
	Score     float64
	Threshold float64
	Match     bool
	Engine    string // which engine decided, for the audit record
}

// Matcher compares a live capture with a reference.
//
// Match returns a Result whether or not the two match: a non-match is not an
// error. It returns an error wrapping ErrBadSample, ErrUnsupportedFormat,
// ErrBadTemplate or ErrIncompatibleTemplates when a sample cannot be used,
// and ErrRemote (remote engines) when the engine failed; ctx bounds the
// work. Match does NOT check liveness: call LivenessVerifier.VerifyLiveness
// first, or use MatchLive, which does both in the right order.
type Matcher interface {
	Match(ctx context.Context, live Capture, reference Reference) (Result, error)
}

// Extractor turns an image into a template.
//
// Extract returns an error wrapping ErrBadSample when the image cannot be
// used and ErrUnsupportedFormat when its format cannot be decoded. format
// may be "", in which case it is detected; a declared format that disagrees
// with the bytes is an ErrBadSample. Every template an Extractor returns
// carries the same Extractor name and dimension.
type Extractor interface {
	Extract(ctx context.Context, image []byte, format Format) (Template, error)
}

// CandidateExtractor is an Extractor that can also return several
// templates of one image, for small misalignments of its crop (the first
// being Extract's). CosineMatcher scores the best candidate against the
// other side, so that a capture a few pixels off its portrait still
// matches. Searching costs impostors little: the best of a few nearby
// alignments of a different face is still a different face, and the
// measured impostor scores in doc.go include the search.
type CandidateExtractor interface {
	Extractor
	ExtractCandidates(ctx context.Context, image []byte, format Format) ([]Template, error)
}

// CosineMatcher is the built-in matcher: it extracts templates with its
// Extractor (or takes the stored or precomputed ones) and compares them by
// cosine similarity against a fixed threshold.
type CosineMatcher struct {
	extractor Extractor
	threshold float64
}

// NewCosineMatcher returns a matcher using ex and threshold, which must be
// in (-1, 1]. For the AppearanceExtractor use AppearanceThreshold, which
// doc.go derives from measured score distributions.
func NewCosineMatcher(ex Extractor, threshold float64) (*CosineMatcher, error) {
	if ex == nil {
		return nil, fmt.Errorf("biometric: cosine matcher needs an extractor")
	}
	if math.IsNaN(threshold) || threshold <= -1 || threshold > 1 {
		return nil, fmt.Errorf("biometric: cosine threshold %v outside (-1, 1]", threshold)
	}
	return &CosineMatcher{extractor: ex, threshold: threshold}, nil
}

// Match implements Matcher. The score is the cosine similarity of the two
// templates; when the extractor is a CandidateExtractor, one side that is an
// image (the capture, or else the reference) contributes all its
// candidates and the score is the best. Templates compared must come from
// the same extractor: a stored template of another extractor version is
// refused with ErrIncompatibleTemplates rather than compared on a
// meaningless scale.
func (m *CosineMatcher) Match(ctx context.Context, live Capture, ref Reference) (Result, error) {
	if err := live.Validate(); err != nil {
		return Result{}, err
	}
	if err := ref.Validate(); err != nil {
		return Result{}, err
	}
	searchProbe := live.Embedding == nil
	probes, err := m.templates(ctx, "capture", live.Image, live.Format, live.Embedding, searchProbe)
	if err != nil {
		return Result{}, err
	}
	refs, err := m.templates(ctx, "reference", ref.Image, ref.Format, ref.Template, !searchProbe)
	if err != nil {
		return Result{}, err
	}
	best := math.Inf(-1)
	for i := range probes {
		for j := range refs {
			s, err := Cosine(&probes[i], &refs[j])
			if err != nil {
				return Result{}, err
			}
			best = math.Max(best, s)
		}
	}
	return Result{
		Score:     best,
		Threshold: m.threshold,
		Match:     best >= m.threshold,
		Engine:    "netid-cosine:" + probes[0].Extractor,
	}, nil
}

// templates returns t, or the template(s) of img: all candidates when
// search is set and the extractor offers them.
func (m *CosineMatcher) templates(ctx context.Context, what string, img []byte, f Format, t *Template, search bool) ([]Template, error) {
	if t != nil {
		return []Template{*t}, nil
	}
	var (
		out []Template
		err error
	)
	if ce, ok := m.extractor.(CandidateExtractor); ok && search {
		out, err = ce.ExtractCandidates(ctx, img, f)
	} else {
		var one Template
		one, err = m.extractor.Extract(ctx, img, f)
		out = []Template{one}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("biometric: %s: the extractor returned no template", what)
	}
	return out, nil
}

// MatchLive is the face step of enrolment and of high-assurance login: it
// verifies the capture's liveness attestation against challenge at now, and
// only then asks m to compare. A liveness failure is returned as an error
// (one of the ErrLiveness* errors or ErrNotLive) and m is not called, so an
// unattested face is never sent to an engine.
func MatchLive(ctx context.Context, m Matcher, v *LivenessVerifier, live Capture, ref Reference, challenge string, now time.Time) (Result, error) {
	if m == nil || v == nil {
		return Result{}, errors.New("biometric: MatchLive needs a matcher and a liveness verifier")
	}
	if err := v.VerifyLiveness(live.Liveness, live, challenge, now); err != nil {
		return Result{}, err
	}
	return m.Match(ctx, live, ref)
}
