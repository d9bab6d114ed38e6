package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/netid/netid/internal/httpapi/jsonbody"
)

// This file reads the enrolment API's requests strictly (package
// jsonbody: a JSON body only under Content-Type application/json, one JSON
// object with no unknown, duplicate or trailing members, valid UTF-8) and
// bearer tokens of RFC 6750 syntax. Every refusal is a 4xx *Problem whose
// detail names what is wrong without echoing secrets.

// maxBearerToken bounds the bearer tokens accepted. Enrolment tokens are 43
// characters and registrar tokens the same; the margin leaves room for
// longer tokens without letting a header carry kilobytes into a hash.
const maxBearerToken = 512

// maxDepth bounds the nesting of a request body, far beyond the deepest
// request type (an upgrade with chip evidence nests four levels).
const maxDepth = 64

func badRequest(format string, args ...any) *Problem {
	return NewProblem(http.StatusBadRequest, "bad-request", fmt.Sprintf(format, args...))
}

// decodeJSONRequest reads r's body into v, which must be a pointer to a
// struct of the request's wire type. The server's limitBody has bounded
// the body already. The error is a *Problem.
func decodeJSONRequest(r *http.Request, v any) error {
	return jsonbody.Problem(jsonbody.DecodeRequest(nil, r, 0, v, jsonbody.MaxDepth(maxDepth)), NewProblem)
}

// decodeEmptyRequest accepts the body of a step that takes no input: none
// at all, or an empty JSON object (which some HTTP clients always send).
func decodeEmptyRequest(r *http.Request) error {
	return jsonbody.Problem(jsonbody.DecodeRequest(nil, r, 0, &struct{}{}, jsonbody.Optional()), NewProblem)
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header (RFC 6750 section 2.1: the b64token syntax, one header, one space
// after the scheme, which is case-insensitive). A missing header, or one
// of another scheme, is a 401 asking for the bearer token; a malformed one
// a 400.
func bearerToken(w http.ResponseWriter, r *http.Request) (string, *Problem) {
	vals := r.Header.Values("Authorization")
	scheme, token, _ := strings.Cut(strings.Join(vals, ""), " ")
	if len(vals) == 0 || !strings.EqualFold(scheme, "Bearer") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="netid"`)
		return "", NewProblem(http.StatusUnauthorized, "unauthorized",
			"this request needs a token: send it as Authorization: Bearer <token>")
	}
	if len(vals) > 1 {
		return "", badRequest("send one Authorization header, not %d", len(vals))
	}
	if !validBearerToken(token) {
		return "", badRequest("the Authorization header is not of the form Bearer <token>")
	}
	return token, nil
}

// validBearerToken reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func validBearerToken(s string) bool {
	if len(s) == 0 || len(s) > maxBearerToken {
		return false
	}
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
