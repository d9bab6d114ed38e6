package admin

import (
	"fmt"
	"net/http"

	"github.com/netid/netid/internal/httpapi/jsonbody"
	"github.com/netid/netid/internal/httpapi/problem"
)

// The admin API reads request bodies as strictly as the enrolment API
// (package jsonbody): Content-Type application/json (UTF-8), one JSON
// object, no unknown, duplicate or trailing members, valid UTF-8. Every
// refusal is a 4xx problem that names what is wrong without quoting
// values.

// maxDepth bounds the nesting of a request body.
const maxDepth = 32

func badRequest(format string, args ...any) *problem.Problem {
	return problem.New(http.StatusBadRequest, "bad-request", fmt.Sprintf(format, args...))
}

// decodeRequest reads r's JSON body into v, a pointer to a wire struct.
// The server has bounded the body already. The error is a
// *problem.Problem.
func decodeRequest(r *http.Request, v any) error {
	return jsonbody.Problem(jsonbody.DecodeRequest(nil, r, 0, v, jsonbody.MaxDepth(maxDepth)), problem.New)
}

// decodeEmpty accepts the body of an action that takes no input: none, or
// an empty JSON object.
func decodeEmpty(r *http.Request) error {
	return jsonbody.Problem(jsonbody.DecodeRequest(nil, r, 0, &struct{}{}, jsonbody.Optional()), problem.New)
}
