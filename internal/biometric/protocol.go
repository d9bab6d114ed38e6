package biometric

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// The remote engine protocol, version 1. JSON over HTTPS; binary fields are
// standard base64 with padding (RFC 4648 section 4), which is what
// encoding/json does with []byte. doc.go describes the exchange.

// WireSample is one sample in a request: an image with its media type, or a
// netid template (its MarshalBinary encoding).
type WireSample struct {
	Image    []byte `json:"image,omitempty"`
	Format   Format `json:"format,omitempty"`
	Template []byte `json:"template,omitempty"`
}

// MatchRequest is the body of POST {base}/v1/match.
type MatchRequest struct {
	Probe     WireSample `json:"probe"`
	Reference WireSample `json:"reference"`
}

// MatchResponse is the 200 body of POST {base}/v1/match. Score and
// Threshold are on the engine's scale; the engine matches when
// Score >= Threshold.
type MatchResponse struct {
	Score     *float64 `json:"score"`
	Threshold *float64 `json:"threshold"`
	Engine    string   `json:"engine"`
}

// ExtractRequest is the body of POST {base}/v1/extract.
type ExtractRequest struct {
	Sample WireSample `json:"sample"`
}

// ExtractResponse is the 200 body of POST {base}/v1/extract: a netid
// template whose Extractor names the engine's feature version.
type ExtractResponse struct {
	Template []byte `json:"template"`
	Engine   string `json:"engine"`
}

// Problem types of the protocol. An engine answers errors with RFC 9457
// application/problem+json; these types map back onto this package's
// errors, so that a bad sample is reported as such whichever engine saw it.
const (
	ProblemBadSample         = "urn:netid:biometric:bad-sample"
	ProblemUnsupportedFormat = "urn:netid:biometric:unsupported-format"
	ProblemBadTemplate       = "urn:netid:biometric:bad-template"
	ProblemIncompatible      = "urn:netid:biometric:incompatible-templates"
)

// RemoteProblem is an RFC 9457 problem details object from an engine.
type RemoteProblem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title,omitempty"`
	Status int    `json:"status,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// RemoteError is a non-2xx answer of a remote engine. It matches ErrRemote
// and, when the problem type is one of the protocol's, the corresponding
// sample error (ErrBadSample, ErrUnsupportedFormat, ErrBadTemplate,
// ErrIncompatibleTemplates) under errors.Is.
type RemoteError struct {
	StatusCode int
	Problem    *RemoteProblem // nil when the body was not problem+json
}

func (e *RemoteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "biometric: remote engine answered %d", e.StatusCode)
	if p := e.Problem; p != nil {
		if p.Title != "" {
			b.WriteString(" " + p.Title)
		}
		if p.Detail != "" {
			b.WriteString(": " + p.Detail)
		}
		if p.Type != "" {
			fmt.Fprintf(&b, " (%s)", p.Type)
		}
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrRemote and the mapped sample error.
func (e *RemoteError) Unwrap() []error {
	errs := []error{ErrRemote}
	if e.Problem != nil {
		switch e.Problem.Type {
		case ProblemBadSample:
			errs = append(errs, ErrBadSample)
		case ProblemUnsupportedFormat:
			errs = append(errs, ErrUnsupportedFormat)
		case ProblemBadTemplate:
			errs = append(errs, ErrBadTemplate)
		case ProblemIncompatible:
			errs = append(errs, ErrIncompatibleTemplates)
		}
	}
	return errs
}

// ProblemFor maps this package's sample errors to protocol problem types,
// for an engine built on this package; it returns "" for other errors.
func ProblemFor(err error) string {
	switch {
	case errors.Is(err, ErrUnsupportedFormat):
		return ProblemUnsupportedFormat
	case errors.Is(err, ErrIncompatibleTemplates):
		return ProblemIncompatible
	case errors.Is(err, ErrBadTemplate):
		return ProblemBadTemplate
	case errors.Is(err, ErrBadSample):
		return ProblemBadSample
	}
	return ""
}

// maxEngineText bounds engine-supplied text kept in errors and results.
const maxEngineText = 200

// parseProblem decodes a problem+json body, keeping only bounded,
// printable text: an engine's words end up in netid's logs.
func parseProblem(body []byte) (*RemoteProblem, error) {
	var p RemoteProblem
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, err
	}
	p.Type = sanitizeText(p.Type)
	p.Title = sanitizeText(p.Title)
	p.Detail = sanitizeText(p.Detail)
	return &p, nil
}

// parseMatchResponse decodes and checks a 200 body of /v1/match.
func parseMatchResponse(body []byte) (Result, error) {
	var r MatchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Result{}, fmt.Errorf("%w: match response: %v", ErrRemote, err)
	}
	switch {
	case r.Score == nil || r.Threshold == nil:
		return Result{}, fmt.Errorf("%w: match response lacks score or threshold", ErrRemote)
	case math.IsNaN(*r.Score) || math.IsInf(*r.Score, 0) || math.IsNaN(*r.Threshold) || math.IsInf(*r.Threshold, 0):
		return Result{}, fmt.Errorf("%w: match response has a non-finite score or threshold", ErrRemote)
	}
	engine := sanitizeText(r.Engine)
	if engine == "" {
		return Result{}, fmt.Errorf("%w: match response does not name the engine", ErrRemote)
	}
	return Result{Score: *r.Score, Threshold: *r.Threshold, Match: *r.Score >= *r.Threshold, Engine: engine}, nil
}

// parseExtractResponse decodes and checks a 200 body of /v1/extract.
func parseExtractResponse(body []byte) (Template, error) {
	var r ExtractResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Template{}, fmt.Errorf("%w: extract response: %v", ErrRemote, err)
	}
	var t Template
	if err := t.UnmarshalBinary(r.Template); err != nil {
		// Only ErrRemote: a bad template from the engine is the engine's
		// fault, not a bad sample from the resident.
		return Template{}, fmt.Errorf("%w: extract response: %v", ErrRemote, err)
	}
	return t, nil
}

// sanitizeText keeps at most maxEngineText bytes of printable text.
func sanitizeText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > maxEngineText {
		s = strings.ToValidUTF8(s[:maxEngineText], "") + "..."
	}
	return s
}
