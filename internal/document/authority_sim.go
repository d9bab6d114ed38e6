package document

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// SimulatedAuthority is a document authority for demonstrations and tests,
// answering from a fixed set of records (see AuthorityRecords). It is both
// an Authority, called in process, and an http.Handler serving the netid
// authority protocol (see HTTPAuthority), so that the HTTP adapter can be
// tested against it over a real connection.
//
// It is safe for concurrent use. It answers from its records only; it
// never pretends that an unknown document is valid.
type SimulatedAuthority struct {
	id      string
	records map[recordKey]AuthorityRecord
	now     func() time.Time
	token   string
}

var (
	_ Authority    = (*SimulatedAuthority)(nil)
	_ http.Handler = (*SimulatedAuthority)(nil)
)

// SimulatedOption configures a SimulatedAuthority.
type SimulatedOption func(*SimulatedAuthority)

// WithSimulatedClock sets the clock deciding expiry and birth dates.
func WithSimulatedClock(now func() time.Time) SimulatedOption {
	return func(s *SimulatedAuthority) { s.now = now }
}

// WithRequiredToken makes the HTTP handler refuse requests without the
// bearer token, as a real authority would.
func WithRequiredToken(token string) SimulatedOption {
	return func(s *SimulatedAuthority) { s.token = token }
}

// NewSimulatedAuthority returns an authority answering from recs.
func NewSimulatedAuthority(recs *AuthorityRecords, opts ...SimulatedOption) (*SimulatedAuthority, error) {
	s := &SimulatedAuthority{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.now == nil {
		return nil, errors.New("simulated authority: nil clock")
	}
	m, err := recs.index(s.now())
	if err != nil {
		return nil, err
	}
	s.id, s.records = recs.Authority, m
	return s, nil
}

// LoadSimulatedAuthority reads the records file at path and returns an
// authority answering from it.
func LoadSimulatedAuthority(path string, opts ...SimulatedOption) (*SimulatedAuthority, error) {
	// Read the records with the clock the authority will use.
	probe := &SimulatedAuthority{now: time.Now}
	for _, o := range opts {
		o(probe)
	}
	if probe.now == nil {
		return nil, errors.New("simulated authority: nil clock")
	}
	recs, err := LoadRecords(path, probe.now())
	if err != nil {
		return nil, err
	}
	return NewSimulatedAuthority(recs, opts...)
}

// Verify implements Authority. An invalid query is refused with an
// *AuthorityError wrapping ErrAuthorityRejected and the validation error's
// message as its title, as the HTTP handler refuses it with 400.
func (s *SimulatedAuthority) Verify(ctx context.Context, q AuthorityQuery) (AuthorityResult, error) {
	if err := ctx.Err(); err != nil {
		return AuthorityResult{}, fmt.Errorf("%w: %w", ErrAuthorityUnavailable, err)
	}
	now := s.now()
	q, err := q.Normalize(now)
	if err != nil {
		return AuthorityResult{}, &AuthorityError{StatusCode: http.StatusBadRequest, Title: err.Error(), Err: ErrAuthorityRejected}
	}
	res := AuthorityResult{Authority: s.id, VerificationID: newVerificationID()}
	r, ok := s.records[recordKey{q.DocType, q.Number}]
	switch {
	case !ok:
		res.Status = StatusNotFound
	case r.Name != q.Name || r.BirthDate != q.BirthDate:
		res.Status = StatusMismatch
	case r.Status == StatusRevoked:
		res.Status = StatusRevoked
	case r.Status == StatusExpired || (!r.Expiry.IsZero() && r.Expiry.Before(NewDate(now))):
		res.Status, res.Expiry = StatusExpired, r.Expiry
	default:
		res.Status, res.BirthDate, res.Sex, res.Expiry = StatusValid, r.BirthDate, r.Sex, r.Expiry
	}
	return res, nil
}

// newVerificationID returns a random identifier for one verification.
func newVerificationID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return "sim-" + hex.EncodeToString(b[:])
}

// maxQueryBytes bounds a query the handler reads.
const maxQueryBytes = 16 << 10

// ServeHTTP serves POST /v1/verify (the path is matched exactly, so mount
// the authority at the root of its server or under http.StripPrefix).
func (s *SimulatedAuthority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path != VerifyPath:
		writeProblem(w, http.StatusNotFound, "no such endpoint")
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, http.StatusMethodNotAllowed, "use POST")
		return
	case s.token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+s.token)) != 1:
		w.Header().Set("WWW-Authenticate", `Bearer realm="document-authority"`)
		writeProblem(w, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeProblem(w, http.StatusUnsupportedMediaType, "send application/json")
		return
	}
	var q AuthorityQuery
	dec := json.NewDecoder(io.LimitReader(r.Body, maxQueryBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		writeProblem(w, http.StatusBadRequest, "query is not a JSON verification query")
		return
	}
	res, err := s.Verify(r.Context(), q)
	var ae *AuthorityError
	switch {
	case errors.As(err, &ae):
		writeProblem(w, ae.StatusCode, ae.Title)
		return
	case err != nil:
		writeProblem(w, http.StatusServiceUnavailable, "cannot answer now")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(res) // the client going away is not our problem
}

// writeProblem writes an RFC 9457 problem with the given status and title.
func writeProblem(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{Type: "about:blank", Title: title, Status: status})
}
