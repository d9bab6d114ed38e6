// Package jsonbody reads the JSON request bodies of netid's APIs strictly,
// once for all of them: Content-Type application/json (UTF-8), a bounded
// size, exactly one JSON object, valid UTF-8, no member twice at any depth
// (nor twice under names that differ only in case, which encoding/json
// matches to the same struct field), bounded nesting, no unknown members
// and nothing after the object. Strictness removes parser disagreements:
// a second "password" that a proxy or a log reads differently from netid.
//
// Every refusal is an *Error whose Kind says what is wrong, whose Path
// names the member and whose Detail says it in a sentence for the client,
// never quoting a value (a member's value may be a password). Status and
// Slug give the RFC 9457 problem the netid APIs answer with; each API maps
// an *Error to its own problem type.
//
// The package imports only the standard library, so that any package
// serving routes can use it.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// DefaultMaxDepth bounds the nesting of objects and arrays when Decode is
// given no MaxDepth: deeper than any of netid's request types.
const DefaultMaxDepth = 32

// Option changes how Decode and DecodeRequest read a body.
type Option func(*options)

type options struct {
	maxDepth int
	optional bool
}

func newOptions(opts []Option) options {
	o := options{maxDepth: DefaultMaxDepth}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// MaxDepth bounds the objects and arrays open at once (the body's own
// object is the first); n < 1 means 1.
func MaxDepth(n int) Option {
	return func(o *options) { o.maxDepth = max(n, 1) }
}

// Optional accepts an empty body (none, or only white space) as no input,
// leaving v as it is, for requests whose input is optional. DecodeRequest
// then checks the Content-Type of a body that is not empty only, as HTTP
// clients send none without a body.
func Optional() Option {
	return func(o *options) { o.optional = true }
}

// jsonSpace is the white space of RFC 8259 section 2; bytes.TrimSpace
// would also take Unicode spaces that JSON does not allow.
const jsonSpace = " \t\r\n"

// Decode decodes data, exactly one JSON object, into v, a pointer to the
// request's wire type, with encoding/json and DisallowUnknownFields. It
// refuses with an *Error: empty, not an object, invalid UTF-8, invalid
// JSON, a member twice, too deep, an unknown member, a member of the wrong
// type, data after the object. An empty body is accepted, leaving v as it
// is, with the option Optional only.
func Decode(data []byte, v any, opts ...Option) error {
	return decode(data, v, newOptions(opts))
}

func decode(data []byte, v any, o options) error {
	trimmed := bytes.TrimLeft(data, jsonSpace)
	switch {
	case len(trimmed) == 0 && o.optional:
		return nil
	case len(trimmed) == 0:
		return refuse(Empty, "", nil, "the request body is empty; want a JSON object")
	case trimmed[0] != '{':
		return refuse(NotObject, "", nil, "the request body must be a JSON object")
	case !utf8.Valid(data):
		return refuse(Encoding, "", nil, "the request body is not valid UTF-8")
	}
	if err := walk(data, o.maxDepth, nil); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(data, err)
	}
	return nil
}
