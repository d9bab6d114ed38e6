package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/netid/netid/internal/httpapi/problem"
)

// ProblemTypeBase prefixes every problem type URI netid emits. The types are
// listed in docs/problems.md.
const ProblemTypeBase = problem.TypeBase

// Problem is an RFC 9457 problem details object (package problem, which
// domain packages use directly).
type Problem = problem.Problem

// NewProblem returns a problem of the given slug (the part of the type URI
// after ProblemTypeBase), status and detail, with the status text as title.
func NewProblem(status int, slug, detail string) *Problem { return problem.New(status, slug, detail) }

// problemFor maps an error to the problem a client sees (problem.For).
func problemFor(err error) (p *Problem, internal bool) { return problem.For(err) }

// WriteError renders err as a problem response and logs it at a level that
// follows its class: 5xx at error, 4xx at debug.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	problem.WriteError(w, r, log, err)
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) { problem.Write(w, r, p) }

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
