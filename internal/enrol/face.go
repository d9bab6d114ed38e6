package enrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/store"
)

// FaceChallenge opens the face step: it returns a fresh liveness nonce,
// bound to this enrolment, that the capture's liveness attestation must
// carry (biometric.LivenessClaims.Challenge). A new call replaces the
// previous nonce. It is valid for Config.FaceChallengeTTL and consumed by
// a SubmitFace that reaches the comparison.
func (s *Service) FaceChallenge(ctx context.Context, id, token string) (string, error) {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return "", err
	}
	if err := expect(e, StepFace); err != nil {
		return "", err
	}
	nonce, err := biometric.NewChallenge(s.rand)
	if err != nil {
		return "", fmt.Errorf("enrol: face challenge: %w", err)
	}
	err = s.d.Store.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.load(ctx, id, token)
		if err != nil {
			return err
		}
		if err := expect(cur, StepFace); err != nil {
			return err
		}
		n := cur
		n.FaceChallenge, n.FaceChallengeAt = nonce, s.now().UTC().Truncate(time.Microsecond)
		n.UpdatedAt, n.Version = n.FaceChallengeAt, cur.Version+1
		return s.d.Store.UpdateEnrolment(ctx, cur.Version, n)
	})
	if err != nil {
		return "", err
	}
	return nonce, nil
}

// SubmitFace is the face step. The capture's liveness attestation must be
// valid for the open challenge (ErrNotLive otherwise, wrapping the
// biometric error). When the evidence has a portrait, the capture must
// match it (biometric.MatchLive); a mismatch counts one attempt, consumes
// the challenge and gives ErrFaceMismatch, and Config.MaxFaceAttempts of
// them close the enrolment (ErrTooManyAttempts). The score is logged for
// the operator, never returned. Without a portrait (authority and assisted
// pathways, chips without DG2) the capture is only checked for liveness.
//
// keepTemplate is the resident's consent to keep the face template for
// high-assurance logins: the template is then extracted, sealed and moved
// to the account at completion. Without consent no template is stored, and
// the document portrait itself is deleted at completion.
func (s *Service) SubmitFace(ctx context.Context, id, token string, capture biometric.Capture, keepTemplate bool) (FaceResult, error) {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return FaceResult{}, err
	}
	if err := expect(e, StepFace); err != nil {
		return FaceResult{}, err
	}
	now := s.now()
	if e.FaceChallenge == "" || !now.Before(e.FaceChallengeAt.Add(s.cfg.FaceChallengeTTL)) {
		return FaceResult{}, fmt.Errorf("%w: %w", ErrNotLive, biometric.ErrLivenessChallenge)
	}
	portrait, err := s.open(ctx, e.ResidentID, fieldPortrait, e.Portrait)
	if err != nil {
		return FaceResult{}, err
	}
	matched := len(portrait) > 0
	if matched {
		ref := biometric.Reference{Image: portrait}
		res, err := biometric.MatchLive(ctx, s.d.Matcher, s.d.Liveness, capture, ref, e.FaceChallenge, now)
		if err != nil {
			return FaceResult{}, faceError(err)
		}
		s.log.InfoContext(ctx, "face match", "enrolment", e.ID, "score", res.Score,
			"threshold", res.Threshold, "match", res.Match, "engine", res.Engine)
		if !res.Match {
			return FaceResult{}, s.faceMismatch(ctx, id, token, e.Version)
		}
	} else if err := s.d.Liveness.VerifyLiveness(capture.Liveness, capture, e.FaceChallenge, now); err != nil {
		return FaceResult{}, faceError(err)
	}

	var template []byte
	if keepTemplate {
		t := capture.Embedding
		if t == nil {
			x, err := s.d.Extractor.Extract(ctx, capture.Image, capture.Format)
			if err != nil {
				return FaceResult{}, faceError(err)
			}
			t = &x
		}
		if template, err = t.MarshalBinary(); err != nil {
			return FaceResult{}, faceError(err)
		}
	}
	_, err = s.advance(ctx, id, token, e.Version, StepFace, func(ctx context.Context, r *EnrolmentRecord) error {
		r.FaceChallenge, r.FaceChallengeAt = "", time.Time{}
		r.FaceMatched, r.KeepTemplate = matched, keepTemplate
		if !matched {
			r.Ceiling = minAssurance(r.Ceiling, AssuranceSubstantial)
		}
		var err error
		r.Template, err = s.seal(ctx, r.ResidentID, fieldTemplate, template)
		return err
	})
	if err != nil {
		return FaceResult{}, err
	}
	return FaceResult{Matched: matched, TemplateKept: keepTemplate}, nil
}

// faceMismatch counts a failed match and consumes the challenge, in one
// transaction, and returns ErrFaceMismatch (or ErrTooManyAttempts for the
// attempt that closes the enrolment).
func (s *Service) faceMismatch(ctx context.Context, id, token string, version int64) error {
	var attempts int
	err := s.d.Store.InTx(ctx, func(ctx context.Context) error {
		e, err := s.load(ctx, id, token)
		if err != nil {
			return err
		}
		if e.Version != version {
			return fmt.Errorf("enrol: enrolment changed concurrently: %w", store.ErrConflict)
		}
		n := e
		n.FaceAttempts++
		n.FaceChallenge, n.FaceChallengeAt = "", time.Time{}
		n.UpdatedAt, n.Version = s.now().UTC().Truncate(time.Microsecond), e.Version+1
		attempts = n.FaceAttempts
		return s.d.Store.UpdateEnrolment(ctx, e.Version, n)
	})
	if err != nil {
		return err
	}
	if attempts >= s.cfg.MaxFaceAttempts {
		return fmt.Errorf("%w: %w", ErrTooManyAttempts, ErrFaceMismatch)
	}
	return ErrFaceMismatch
}

// faceError maps the biometric errors onto the resident's: liveness
// failures to ErrNotLive, unusable samples to ErrBadFace; the biometric
// error stays in the chain.
func faceError(err error) error {
	for _, live := range []error{biometric.ErrLivenessMissing, biometric.ErrLivenessSignature, biometric.ErrLivenessMalformed,
		biometric.ErrLivenessChallenge, biometric.ErrLivenessExpired, biometric.ErrLivenessCaptureMismatch, biometric.ErrNotLive} {
		if errors.Is(err, live) {
			return fmt.Errorf("%w: %w", ErrNotLive, err)
		}
	}
	for _, bad := range []error{biometric.ErrBadSample, biometric.ErrUnsupportedFormat, biometric.ErrBadTemplate, biometric.ErrIncompatibleTemplates} {
		if errors.Is(err, bad) {
			return fmt.Errorf("%w: %w", ErrBadFace, err)
		}
	}
	return fmt.Errorf("enrol: face: %w", err)
}
