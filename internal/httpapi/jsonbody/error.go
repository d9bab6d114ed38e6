package jsonbody

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind classifies a refused body.
type Kind uint8

// The kinds of refusal. ContentType is answered with 415, TooLarge with
// 413, every other kind with 400.
const (
	ContentType Kind = iota + 1 // not application/json, or not UTF-8
	TooLarge                    // larger than the limit
	Unreadable                  // the body could not be read (the client went away)
	Empty                       // no body, or only white space
	NotObject                   // a body that does not start with an object
	Encoding                    // not valid UTF-8
	Syntax                      // not valid JSON
	Duplicate                   // a member twice in one object
	TooDeep                     // objects and arrays nested too deeply
	Unknown                     // a member the request type does not define
	Type                        // a member of the wrong JSON type or out of range
	Trailing                    // data after the object
	Invalid                     // a member's own UnmarshalJSON or UnmarshalText refused it
)

var kindNames = [...]string{
	ContentType: "content-type", TooLarge: "too-large", Unreadable: "unreadable", Empty: "empty",
	NotObject: "not-object", Encoding: "encoding", Syntax: "syntax", Duplicate: "duplicate",
	TooDeep: "too-deep", Unknown: "unknown", Type: "type", Trailing: "trailing", Invalid: "invalid",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a refused request body: Read, Decode and DecodeRequest return
// no other error.
type Error struct {
	Kind Kind
	// Path names the member concerned, dotted from the body's top
	// ("inner.b"); the duplicate and depth checks mark the elements of an
	// array with [] ("list[].b"), encoding/json's type errors do not.
	// Empty when the body as a whole is concerned or the member cannot
	// be placed (an unknown member whose name appears in several objects).
	Path string
	// Detail says what is wrong for the client, naming members but never
	// quoting their values.
	Detail string

	err error // the cause: an *http.MaxBytesError, a read or decoding error
}

func (e *Error) Error() string { return e.Detail }

// Unwrap returns the cause, so that errors.As finds the
// *http.MaxBytesError of a TooLarge body.
func (e *Error) Unwrap() error { return e.err }

// Status is the HTTP status that answers the refusal.
func (e *Error) Status() int {
	switch e.Kind {
	case ContentType:
		return http.StatusUnsupportedMediaType
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// Slug is the problem type of the refusal, after netid's type prefix
// (docs/problems.md).
func (e *Error) Slug() string {
	switch e.Kind {
	case ContentType:
		return "unsupported-media-type"
	case TooLarge:
		return "body-too-large"
	}
	return "bad-request"
}

func refuse(k Kind, path string, cause error, format string, args ...any) *Error {
	return &Error{Kind: k, Path: path, Detail: fmt.Sprintf(format, args...), err: cause}
}

// quote quotes a member name for a detail, cut to 64 bytes: the name is
// the client's, and a detail is no place for kilobytes of it.
func quote(name string) string {
	const most = 64
	if len(name) <= most {
		return strconv.Quote(name)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return strconv.Quote(name[:cut]) + "…"
}

// syntaxError describes a JSON syntax error by its offset: the decoder's
// message quotes the offending character, which may be one of a
// password's.
func syntaxError(err error) *Error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return refuse(Syntax, "", err, "the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return refuse(Syntax, "", err, "the request body is not valid JSON: it ends too early")
	}
	return refuse(Invalid, "", err, "the request body could not be decoded: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// decodeError describes an error of encoding/json's Decode of data.
func decodeError(data []byte, err error) *Error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return typeError(typ)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unq, err := strconv.Unquote(name); err == nil {
			name = unq
		}
		path := unknownPath(data, name)
		return refuse(Unknown, memberPath(path, name), err, "unknown member %s%s: this API refuses members it does not define",
			quote(name), inObject(path))
	}
	// Errors of a member's own UnmarshalJSON or UnmarshalText, and
	// anything else the decoder reports.
	return syntaxError(err)
}

// unknownPath finds the object that has the unknown member name, which
// encoding/json does not say: the object path where the name appears, ""
// when it appears in several objects (or at the top).
func unknownPath(data []byte, name string) string {
	var path string
	seen, several := false, false
	_ = walk(data, math.MaxInt, func(objPath, key string) {
		switch {
		case key != name:
		case !seen:
			path, seen = objPath, true
		case objPath != path:
			several = true
		}
	})
	if several {
		return ""
	}
	return path
}

// typeError describes a member of the wrong JSON type, or a number that
// does not fit the member, without quoting the number.
func typeError(typ *json.UnmarshalTypeError) *Error {
	where := typ.Field
	if where == "" {
		where = "the request body"
	}
	t := typ.Type
	if strings.HasPrefix(typ.Value, "number ") && t != nil {
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			most := int64(math.MaxInt64 >> (64 - t.Bits()))
			return refuse(Type, typ.Field, typ, "%s: want a whole number from %d to %d", where, -most-1, most)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return refuse(Type, typ.Field, typ, "%s: want a whole number from 0 to %d", where, uint64(math.MaxUint64>>(64-t.Bits())))
		case reflect.Float32, reflect.Float64:
			return refuse(Type, typ.Field, typ, "%s: the number is out of range", where)
		}
	}
	return refuse(Type, typ.Field, typ, "%s: want %s, not %s", where, jsonTypeName(t), typ.Value)
}

// jsonTypeName names the JSON type a client should send for t.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}
