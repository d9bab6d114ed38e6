// Package problem is netid's RFC 9457 problem details and the request
// context they carry (request id, client address): the part of the HTTP
// layer that domain packages serving their own routes (the OpenID
// provider's wallet API, the admin API) need. It imports no netid package
// but store, so that those packages can use it while httpapi's tests use
// them: httpapi re-exports everything here.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/netid/netid/internal/store"
)

// TypeBase prefixes every problem type URI netid emits. The types are
// listed in docs/problems.md.
const TypeBase = "urn:netid:problem:"

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

// New returns a problem of the given slug (the part of the type URI after
// TypeBase), status and detail, with the status text as title.
func New(status int, slug, detail string) *Problem {
	return &Problem{
		Type:   TypeBase + slug,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	}
}

// For maps an error to the problem a client sees, and says whether the
// error is internal. Anything not recognised is a 500 whose detail says
// nothing about the cause; the cause is logged instead, because internal
// errors may carry details a client must not see.
func For(err error) (p *Problem, internal bool) {
	var prob *Problem
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &prob):
		cp := *prob
		return &cp, false
	case errors.As(err, &maxBytes):
		return New(http.StatusRequestEntityTooLarge, "body-too-large",
			"the request body exceeds the limit of "+strconv.FormatInt(maxBytes.Limit, 10)+" bytes"), false
	case errors.Is(err, store.ErrNotFound):
		return New(http.StatusNotFound, "not-found", "the requested resource does not exist"), false
	case errors.Is(err, store.ErrConflict):
		return New(http.StatusConflict, "conflict", "the request conflicts with the current state of the resource"), false
	case errors.Is(err, context.Canceled):
		// The client closed the request: nobody reads this answer, and it
		// is no failure of the service (nginx's 499), so it is counted
		// apart from 5xx and logged quietly.
		return &Problem{Type: TypeBase + "client-closed", Title: "Client Closed Request", Status: StatusClientClosed,
			Detail: "the client closed the request before the answer"}, false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, store.ErrUnavailable):
		return New(http.StatusServiceUnavailable, "unavailable", "the service is temporarily unavailable; retry later"), true
	default:
		return New(http.StatusInternalServerError, "internal", "an internal error occurred; quote the request id to the operator"), true
	}
}

// WriteError renders err as a problem response and logs it at a level that
// follows its class: 5xx at error, 4xx at debug.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p, internal := For(err)
	ctx := r.Context()
	if internal || p.Status >= 500 {
		log.ErrorContext(ctx, "request failed", "status", p.Status, "err", err)
	} else {
		log.DebugContext(ctx, "request refused", "status", p.Status, "problem", p.Type, "detail", p.Detail)
	}
	Write(w, r, p)
}

// Write writes p as application/problem+json.
func Write(w http.ResponseWriter, r *http.Request, p *Problem) {
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

// StatusClientClosed is the status of a request its client abandoned.
const StatusClientClosed = 499

type ctxKey int

const (
	requestIDKey ctxKey = iota
	clientAddrKey
)

// WithRequest returns ctx carrying a request's id and client address; the
// HTTP stack's outermost middleware sets them.
func WithRequest(ctx context.Context, requestID, clientAddr string) context.Context {
	ctx = context.WithValue(ctx, requestIDKey, requestID)
	return context.WithValue(ctx, clientAddrKey, clientAddr)
}

// RequestIDFrom returns the request id carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// ClientAddrFrom returns the client IP address carried by ctx, or "".
func ClientAddrFrom(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey).(string)
	return s
}
