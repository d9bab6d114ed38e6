package admin

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

	"github.com/netid/netid/internal/httpapi/problem"
)

// The admin API reads request bodies as strictly as the enrolment API:
// Content-Type application/json (UTF-8), one JSON object, no unknown,
// duplicate or trailing members, valid UTF-8. Every refusal is a 4xx
// problem that names what is wrong without quoting values.

// maxDepth bounds the nesting of a request body.
const maxDepth = 32

func badRequest(format string, args ...any) *problem.Problem {
	return problem.New(http.StatusBadRequest, "bad-request", fmt.Sprintf(format, args...))
}

// decodeRequest reads r's JSON body into v, a pointer to a wire struct.
// The error is a *problem.Problem or an *http.MaxBytesError (413); both
// render through problem.WriteError.
func decodeRequest(r *http.Request, v any) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type",
			"the request body must be JSON, sent with Content-Type: application/json")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return badRequest("the request body could not be read")
	}
	if p := decodeBody(body, v); p != nil {
		return p
	}
	return nil
}

// decodeEmpty accepts the body of an action that takes no input: none, or
// an empty JSON object.
func decodeEmpty(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return badRequest("the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var empty struct{}
	if p := decodeBody(body, &empty); p != nil {
		return p
	}
	return nil
}

// decodeBody decodes data, one JSON object, into v.
func decodeBody(data []byte, v any) *problem.Problem {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return badRequest("the request body is empty; want a JSON object")
	case trimmed[0] != '{':
		return badRequest("the request body must be a JSON object")
	case !utf8.Valid(data):
		return badRequest("the request body is not valid UTF-8")
	}
	if p := checkMembers(json.NewDecoder(bytes.NewReader(data)), 0, ""); p != nil {
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the request body has data after the JSON object")
	}
	return nil
}

// checkMembers reads one JSON value from dec and refuses an object that
// has a member twice (encoding/json would keep the last, which a proxy or
// a log may read differently) or nesting deeper than maxDepth.
func checkMembers(dec *json.Decoder, depth int, path string) *problem.Problem {
	if depth > maxDepth {
		return badRequest("the request body nests deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return decodeProblem(err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return decodeProblem(err)
			}
			key, _ := kt.(string)
			if seen[key] {
				where := ""
				if path != "" {
					where = " in " + path
				}
				return badRequest("member %q appears twice%s", key, where)
			}
			seen[key] = true
			if p := checkMembers(dec, depth+1, strings.TrimPrefix(path+"."+key, ".")); p != nil {
				return p
			}
		}
		if _, err := dec.Token(); err != nil {
			return decodeProblem(err)
		}
	case json.Delim('['):
		for dec.More() {
			if p := checkMembers(dec, depth+1, path+"[]"); p != nil {
				return p
			}
		}
		if _, err := dec.Token(); err != nil {
			return decodeProblem(err)
		}
	}
	return nil
}

// decodeProblem describes a decoding error without quoting values.
func decodeProblem(err error) *problem.Problem {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("the request body must be a JSON object, not %s", typ.Value)
		}
		return badRequest("%s: wrong type: got %s", typ.Field, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("the request body is not valid JSON: it ends too early")
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return badRequest("unknown member %s: the admin API refuses members it does not define", rest)
	}
	return badRequest("the request body could not be decoded: %s", strings.TrimPrefix(msg, "json: "))
}
