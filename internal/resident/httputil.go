package resident

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/httpapi/jsonbody"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/translog"
)

// problemTypeBase prefixes netid's problem types (as httpapi's).
const problemTypeBase = "urn:netid:problem:"

// maxBody bounds a request body: the largest, a sign-in with a
// presentation, is under 2 KiB.
const maxBody = 16 << 10

// maxDepth bounds the nesting of a request body; the resident API's
// bodies are flat.
const maxDepth = 16

// problem is an RFC 9457 problem, as httpapi writes them.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`

	retryAfter int64
}

func (p *problem) Error() string { return p.Title + ": " + p.Detail }

func newProblem(status int, slug, detail string) *problem {
	return &problem{Type: problemTypeBase + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

// problemFor maps an error to the problem the client sees; internal
// reports an error that is not the client's (logged, detail hidden).
func problemFor(err error) (p *problem, internal bool) {
	var (
		prob      *problem
		throttled *enrol.ThrottledError
		locked    *enrol.LockedError
	)
	switch {
	case errors.As(err, &prob):
		return prob, false
	case errors.As(err, &throttled):
		p := newProblem(http.StatusTooManyRequests, "throttled", enrol.ErrThrottled.Error())
		p.retryAfter = throttled.RetryAfterSeconds()
		return p, false
	case errors.Is(err, password.ErrBusy):
		p := newProblem(http.StatusServiceUnavailable, "busy", "the service is busy; retry in a moment")
		p.retryAfter = 1
		return p, false
	case errors.Is(err, ErrConfirmation):
		return newProblem(http.StatusForbidden, "confirmation-required", err.Error()), false
	case errors.As(err, &locked):
		slug := "method-locked"
		if locked.Method == enrol.MethodAccount {
			slug = "account-locked"
		}
		return newProblem(http.StatusForbidden, slug, locked.Error()), false
	case errors.Is(err, ErrUnauthenticated):
		return newProblem(http.StatusUnauthorized, "unauthenticated", ErrUnauthenticated.Error()), false
	case errors.Is(err, enrol.ErrBadCredentials):
		return newProblem(http.StatusUnauthorized, "bad-credentials", enrol.ErrBadCredentials.Error()), false
	case errors.Is(err, ErrChallenge):
		return newProblem(http.StatusUnauthorized, "challenge-invalid", ErrChallenge.Error()), false
	case errors.Is(err, ErrCertificateRevoked):
		return newProblem(http.StatusUnauthorized, "certificate-revoked", ErrCertificateRevoked.Error()), false
	case errors.Is(err, ErrPresentation):
		return newProblem(http.StatusUnauthorized, "presentation-invalid", err.Error()), false
	case errors.Is(err, enrol.ErrAccountPending):
		return newProblem(http.StatusForbidden, "account-pending", enrol.ErrAccountPending.Error()), false
	case errors.Is(err, ErrNotFound):
		return newProblem(http.StatusNotFound, "not-found", ErrNotFound.Error()), false
	case errors.Is(err, ErrAlreadyRevoked):
		return newProblem(http.StatusConflict, "already-revoked", ErrAlreadyRevoked.Error()), false
	case errors.Is(err, ErrInvalidRequest) || errors.Is(err, enrol.ErrInvalidRequest):
		return newProblem(http.StatusBadRequest, "bad-request", err.Error()), false
	}
	return newProblem(http.StatusInternalServerError, "internal", "an internal error occurred; quote the request id to the operator"), true
}

// writeError renders err as a problem and logs it by its class.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p, internal := problemFor(err)
	ctx := r.Context()
	if internal || p.Status >= 500 {
		s.log.ErrorContext(ctx, "resident API request failed", "status", p.Status, "err", err)
	} else {
		s.log.DebugContext(ctx, "resident API request refused", "status", p.Status, "problem", p.Type)
	}
	cp := *p
	cp.Instance, cp.RequestID = r.URL.Path, s.requestID(ctx)
	h := w.Header()
	if cp.retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(cp.retryAfter, 10))
	}
	if cp.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="netid residents"`)
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(cp.Status)
	_ = json.NewEncoder(w).Encode(&cp)
}

// writeJSON writes v with status. Everything the resident API answers is
// personal: never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bearer returns the bearer token of r, "" if none.
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func badRequest(format string, args ...any) *problem {
	return newProblem(http.StatusBadRequest, "bad-request", fmt.Sprintf(format, args...))
}

// decodeBody reads r's JSON body into dst, strictly (package jsonbody):
// application/json, at most maxBody bytes, valid UTF-8, one object, no
// unknown, duplicate or trailing members, at most maxDepth levels. An
// empty body leaves dst as it is when optional. The error is a *problem.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	opts := []jsonbody.Option{jsonbody.MaxDepth(maxDepth)}
	if optional {
		opts = append(opts, jsonbody.Optional())
	}
	return jsonbody.Problem(jsonbody.DecodeRequest(w, r, maxBody, dst, opts...), newProblem)
}

// Shapes of query parameters: a client id as rp issues them and as the log
// accepts them, a claim name.
var (
	clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	claimPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// queryParams checks that q names only allowed parameters, each once, and
// returns their values.
func queryParams(q url.Values, allowed ...string) (map[string]string, error) {
	out := map[string]string{}
	for k, vs := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, badRequest("unknown parameter %q (allowed: %s)", truncate(k, 32), strings.Join(allowed, ", "))
		}
		if len(vs) != 1 {
			return nil, badRequest("parameter %s given %d times, want once", k, len(vs))
		}
		out[k] = vs[0]
	}
	return out, nil
}

// truncate cuts outside input for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseTime reads an RFC 3339 time, or a date YYYY-MM-DD meaning its
// first instant in UTC (endOfDay: the first instant of the next day, so
// that a date as an upper bound includes the day).
func parseTime(name, v string, endOfDay bool) (time.Time, error) {
	if len(v) > 64 {
		return time.Time{}, badRequest("parameter %s: too long", name)
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, badRequest("parameter %s: want a date YYYY-MM-DD or an RFC 3339 time", name)
	}
	return t.UTC(), nil
}

// parseUint reads a decimal below 2^63 without sign or leading zeros.
func parseUint(name, v string) (uint64, error) {
	if v == "" || len(v) > 1 && v[0] == '0' || strings.TrimLeft(v, "0123456789") != "" {
		return 0, badRequest("parameter %s: want a decimal number without sign or leading zeros", name)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > 1<<63-1 {
		return 0, badRequest("parameter %s: want a number below 2^63", name)
	}
	return n, nil
}

// parseLimit reads a page size of 1 to max.
func parseLimit(v string, max int) (int, error) {
	n, err := parseUint("limit", v)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > uint64(max) {
		return 0, badRequest("parameter limit: want 1 to %d", max)
	}
	return int(n), nil
}

// ParseDisclosureQuery reads the query of GET /v1/me/disclosures:
// platform (a client id), claim (a claim name), from and to (a date
// YYYY-MM-DD, to including its day, or an RFC 3339 time; from <= at <
// to), before (the cursor of a next page, RFC 3339) and limit (1 to
// MaxDisclosures). Errors are 400 problems naming the parameter.
func ParseDisclosureQuery(q url.Values) (DisclosureFilter, error) {
	p, err := queryParams(q, "platform", "claim", "from", "to", "before", "limit")
	if err != nil {
		return DisclosureFilter{}, err
	}
	var f DisclosureFilter
	if v, ok := p["platform"]; ok {
		if !clientIDPattern.MatchString(v) {
			return DisclosureFilter{}, badRequest("parameter platform: want a client id")
		}
		f.Platform = v
	}
	if v, ok := p["claim"]; ok {
		if !claimPattern.MatchString(v) {
			return DisclosureFilter{}, badRequest("parameter claim: want a claim name such as age_over_18")
		}
		f.Claim = v
	}
	for _, t := range []struct {
		name     string
		dst      *time.Time
		endOfDay bool
	}{{"from", &f.From, false}, {"to", &f.To, true}, {"before", &f.Before, false}} {
		if v, ok := p[t.name]; ok {
			if *t.dst, err = parseTime(t.name, v, t.endOfDay); err != nil {
				return DisclosureFilter{}, err
			}
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return DisclosureFilter{}, badRequest("parameters from and to: from must be before to")
	}
	if v, ok := p["limit"]; ok {
		if f.Limit, err = parseLimit(v, MaxDisclosures); err != nil {
			return DisclosureFilter{}, err
		}
	}
	return f, nil
}

// ParseHistoryQuery reads the query of GET /v1/me/history: since_size
// (the size of the checkpoint the wallet saw last), after_seq (the last
// sequence number of the previous page) and limit (1 to
// translog.MaxListing).
func ParseHistoryQuery(q url.Values) (HistoryQuery, error) {
	p, err := queryParams(q, "since_size", "after_seq", "limit")
	if err != nil {
		return HistoryQuery{}, err
	}
	var h HistoryQuery
	if v, ok := p["since_size"]; ok {
		if h.SinceSize, err = parseUint("since_size", v); err != nil {
			return HistoryQuery{}, err
		}
		h.HasSince = true
	}
	if v, ok := p["after_seq"]; ok {
		if h.AfterSeq, err = parseUint("after_seq", v); err != nil {
			return HistoryQuery{}, err
		}
	}
	if v, ok := p["limit"]; ok {
		if h.Limit, err = parseLimit(v, translog.MaxListing); err != nil {
			return HistoryQuery{}, err
		}
	}
	return h, nil
}
