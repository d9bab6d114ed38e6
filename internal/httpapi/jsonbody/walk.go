package jsonbody

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// frame is an object or array that walk has opened.
type frame struct {
	keys    map[string]string // folded name → name as sent; nil for an array
	path    string
	key     string // the member whose value comes next
	wantKey bool
}

// walk reads data's first JSON value token by token, refusing invalid
// JSON, a member twice, nesting deeper than maxDepth, and anything but
// white space after the value. It runs before encoding/json decodes into
// the request type, which would keep the last of two members silently.
// onKey, when not nil, sees every member's object path and name.
func walk(data []byte, maxDepth int, onKey func(objPath, key string)) *Error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a number too large for a float64 is Decode's type error, not a syntax error here
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			// io.EOF too: the value is not complete, or walk would
			// have returned.
			return syntaxError(err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
			} else {
				key, _ := tok.(string) // the decoder allows nothing else here
				if e := top.add(key); e != nil {
					return e
				}
				if onKey != nil {
					onKey(top.path, key)
				}
			}
		} else {
			// tok is a value (of top's member, an element of top, or
			// the whole body) or the end of top, an array.
			path := ""
			if top != nil && top.keys != nil {
				top.wantKey = true
				path = memberPath(top.path, top.key)
			} else if top != nil {
				path = top.path + "[]"
			}
			switch tok {
			case json.Delim('{'):
				stack = append(stack, &frame{keys: map[string]string{}, path: path, wantKey: true})
			case json.Delim('['):
				stack = append(stack, &frame{path: path})
			case json.Delim(']'):
				stack = stack[:len(stack)-1]
			}
			if len(stack) > maxDepth {
				return refuse(TooDeep, path, nil, "the request body nests deeper than %d levels", maxDepth)
			}
		}
		if len(stack) == 0 {
			break
		}
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return refuse(Trailing, "", nil, "the request body has data after the JSON object")
	}
	return nil
}

// add records key as the next member of the object f, refusing a name f
// has already, or one that encoding/json would match to the same struct
// field: it compares names without regard to case.
func (f *frame) add(key string) *Error {
	folded := foldName(key)
	if prev, ok := f.keys[folded]; ok {
		path := memberPath(f.path, key)
		if prev == key {
			return refuse(Duplicate, path, nil, "member %s appears twice%s", quote(key), inObject(f.path))
		}
		return refuse(Duplicate, path, nil, "members %s and %s%s are one member: names are matched without regard to case",
			quote(prev), quote(key), inObject(f.path))
	}
	f.keys[folded] = key
	f.key, f.wantKey = key, false
	return nil
}

// foldName maps names that strings.EqualFold (and so encoding/json's
// field matching) holds equal to one string: each rune becomes the
// smallest of its simple case folding orbit, except that an orbit with an
// ASCII letter ('k', 'K' and the Kelvin sign) becomes the lower-case
// letter, so that an ASCII name in lower case, the common one, is its own
// folding and costs nothing.
func foldName(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s) // s itself when it has no upper case
	}
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		if 'A' <= least && least <= 'Z' {
			least += 'a' - 'A'
		}
		b.WriteRune(least)
	}
	return b.String()
}

func memberPath(objPath, key string) string {
	if objPath == "" {
		return key
	}
	return objPath + "." + key
}

func inObject(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}
