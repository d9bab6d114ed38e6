package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/netid/netid/internal/store"
)

// ProblemTypeBase prefixes every problem type URI netid emits. The types are
// listed in docs/problems.md.
const ProblemTypeBase = "urn:netid:problem:"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RequestID lets a resident quote the request to support staff; it is
	// an extension member, allowed by RFC 9457 section 3.2.
	RequestID string `json:"request_id,omitempty"`
}

// Error makes a *Problem usable as an error, so handlers can return one.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Title + ": " + p.Detail
	}
	return p.Title
}

// NewProblem returns a problem of the given slug (the part of the type URI
// after ProblemTypeBase), status and detail, with the status text as title.
func NewProblem(status int, slug, detail string) *Problem {
	return &Problem{
		Type:   ProblemTypeBase + slug,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	}
}

// problemFor maps an error to the problem a client sees. Anything not
// recognised is a 500 whose detail says nothing about the cause; the cause
// is logged instead, because internal errors may carry details a client must
// not see.
func problemFor(err error) (p *Problem, internal bool) {
	var prob *Problem
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &prob):
		cp := *prob
		return &cp, false
	case errors.As(err, &maxBytes):
		return NewProblem(http.StatusRequestEntityTooLarge, "body-too-large",
			"the request body exceeds the limit of "+itoa(maxBytes.Limit)+" bytes"), false
	case errors.Is(err, store.ErrNotFound):
		return NewProblem(http.StatusNotFound, "not-found", "the requested resource does not exist"), false
	case errors.Is(err, store.ErrConflict):
		return NewProblem(http.StatusConflict, "conflict", "the request conflicts with the current state of the resource"), false
	case errors.Is(err, store.ErrUnavailable):
		return NewProblem(http.StatusServiceUnavailable, "unavailable", "the service is temporarily unavailable; retry later"), true
	default:
		return NewProblem(http.StatusInternalServerError, "internal", "an internal error occurred; quote the request id to the operator"), true
	}
}

// WriteError renders err as a problem response and logs it at a level that
// follows its class: 5xx at error, 4xx at debug.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p, internal := problemFor(err)
	ctx := r.Context()
	if internal || p.Status >= 500 {
		log.ErrorContext(ctx, "request failed", "status", p.Status, "err", err)
	} else {
		log.DebugContext(ctx, "request refused", "status", p.Status, "problem", p.Type, "detail", p.Detail)
	}
	WriteProblem(w, r, p)
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	if r != nil {
		p.RequestID = RequestIDFrom(r.Context())
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
