package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// This file reads the enrolment API's requests strictly: a JSON body only
// under Content-Type application/json, one JSON object with no unknown,
// duplicate or trailing members, valid UTF-8, and bearer tokens of RFC 6750
// syntax. Every refusal is a 4xx *Problem whose detail names what is wrong
// without echoing secrets.

// maxBearerToken bounds the bearer tokens accepted. Enrolment tokens are 43
// characters and registrar tokens the same; the margin leaves room for
// longer tokens without letting a header carry kilobytes into a hash.
const maxBearerToken = 512

func badRequest(format string, args ...any) *Problem {
	return NewProblem(http.StatusBadRequest, "bad-request", fmt.Sprintf(format, args...))
}

// checkJSONContentType accepts application/json, with at most a UTF-8
// charset parameter (RFC 8259 section 8.1: JSON exchanged between systems
// is UTF-8).
func checkJSONContentType(ct string) *Problem {
	unsupported := func() *Problem {
		return NewProblem(http.StatusUnsupportedMediaType, "unsupported-media-type",
			"the request body must be JSON, sent with Content-Type: application/json")
	}
	if ct == "" {
		return unsupported()
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return unsupported()
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupported()
	}
	return nil
}

// readBody reads the whole request body. The server's body limit has
// wrapped it in an http.MaxBytesReader, whose *http.MaxBytesError is
// returned as is so that WriteError renders it as 413; any other read
// failure (a client that went away) is a 400, not a server fault.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, badRequest("the request body could not be read")
	}
	return b, nil
}

// decodeJSONRequest reads r's body into v, which must be a pointer to a
// struct of the request's wire type. The error is a *Problem or an
// *http.MaxBytesError; both render through WriteError.
func decodeJSONRequest(r *http.Request, v any) error {
	if p := checkJSONContentType(r.Header.Get("Content-Type")); p != nil {
		return p
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if p := decodeJSONBody(body, v); p != nil {
		return p
	}
	return nil
}

// decodeEmptyRequest accepts the body of a step that takes no input: none
// at all, or an empty JSON object (which some HTTP clients always send).
func decodeEmptyRequest(r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if p := checkJSONContentType(r.Header.Get("Content-Type")); p != nil {
		return p
	}
	var empty struct{}
	if p := decodeJSONBody(body, &empty); p != nil {
		return p
	}
	return nil
}

// decodeJSONBody decodes data, one JSON object, into v, refusing unknown
// and duplicate members and anything after the object.
func decodeJSONBody(data []byte, v any) *Problem {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return badRequest("the request body is empty; want a JSON object")
	case trimmed[0] != '{':
		return badRequest("the request body must be a JSON object")
	case !utf8.Valid(data):
		return badRequest("the request body is not valid UTF-8")
	}
	if p := checkDuplicateKeys(data); p != nil {
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the request body has data after the JSON object")
	}
	return nil
}

// jsonProblem describes a decoding error without quoting values: an
// UnmarshalTypeError names the member and the JSON type it got, a
// SyntaxError its offset, an unknown member its name.
func jsonProblem(err error) *Problem {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		// The decoder's message quotes the offending character, which
		// may be one of a password's: the offset is enough.
		return badRequest("the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("the request body must be a JSON object, not %s", typ.Value)
		}
		return badRequest("%s: want %s, not %s", typ.Field, jsonTypeName(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the request body is not valid JSON: it ends too early")
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return badRequest("unknown member %s: this API refuses members it does not define", rest)
	}
	// Errors of a member's own UnmarshalJSON (none of the wire types has
	// one that sees secrets) and anything else the decoder reports.
	return badRequest("the request body could not be decoded: %s", strings.TrimPrefix(msg, "json: "))
}

// jsonTypeName names a Go kind as the JSON type a client should send.
func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int64", "int32", "uint", "uint64", "uint32", "float64":
		return "a number"
	}
	return "another type"
}

// checkDuplicateKeys refuses an object with a member twice. encoding/json
// keeps the last one, and a second "password" or "code" that a proxy or a
// log reads differently from netid is the kind of parser disagreement that
// strictness removes.
func checkDuplicateKeys(data []byte) *Problem {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
		lastKey string
		path    string
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return jsonProblem(err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			key, _ := tok.(string)
			if top.keys[key] {
				return badRequest("member %q appears twice%s", key, inPath(top.path))
			}
			top.keys[key] = true
			top.wantKey, top.lastKey = false, key
			continue
		}
		// tok is a value: of top's last key, an array element, or the
		// whole body.
		path := ""
		switch {
		case top != nil && top.object:
			top.wantKey = true
			path = strings.TrimPrefix(top.path+"."+top.lastKey, ".")
		case top != nil:
			path = top.path + "[]"
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, wantKey: true, path: path})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 64 {
			return badRequest("the request body nests deeper than 64 levels")
		}
	}
}

func inPath(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
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
