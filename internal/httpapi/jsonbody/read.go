package jsonbody

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// CheckContentType accepts application/json with at most a UTF-8 charset
// parameter (RFC 8259 section 8.1: JSON exchanged between systems is
// UTF-8), and refuses anything else with an *Error of Kind ContentType.
func CheckContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return contentTypeError()
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return contentTypeError()
	}
	return nil
}

func contentTypeError() *Error {
	return refuse(ContentType, "", nil, "the request body must be JSON, sent with Content-Type: application/json")
}

// Read checks r's Content-Type (CheckContentType) and reads its body, at
// most limit bytes (http.MaxBytesReader on w; limit <= 0 reads the body as
// it is, for a server whose middleware bounds every body already). A body
// over a limit, this one or the server's, is an *Error of Kind TooLarge
// that unwraps to the *http.MaxBytesError; any other read failure is one
// of Kind Unreadable, the client's doing, not the server's.
func Read(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if err := CheckContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	return readAll(w, r, limit)
}

// DecodeRequest reads r's body as Read does and decodes it into v as
// Decode does.
func DecodeRequest(w http.ResponseWriter, r *http.Request, limit int64, v any, opts ...Option) error {
	o := newOptions(opts)
	if !o.optional {
		if err := CheckContentType(r.Header.Get("Content-Type")); err != nil {
			return err
		}
	}
	body, err := readAll(w, r, limit)
	if err != nil {
		return err
	}
	if o.optional && len(bytes.Trim(body, jsonSpace)) > 0 {
		if err := CheckContentType(r.Header.Get("Content-Type")); err != nil {
			return err
		}
	}
	return decode(body, v, o)
}

// Problem maps err, when it is an *Error, to an API's own problem type
// through newProblem, given the status, the problem type's slug and the
// detail; it returns any other error, nil too, as it is.
func Problem[P error](err error, newProblem func(status int, slug, detail string) P) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	return newProblem(e.Status(), e.Slug(), e.Detail)
}

func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body := r.Body
	if limit > 0 {
		body = http.MaxBytesReader(w, body, limit)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, refuse(TooLarge, "", tooLarge, "the request body exceeds the limit of %d bytes", tooLarge.Limit)
		}
		return nil, refuse(Unreadable, "", err, "the request body could not be read")
	}
	return b, nil
}
