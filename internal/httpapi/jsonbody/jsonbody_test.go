package jsonbody

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

type inner struct {
	B string `json:"b"`
}

type body struct {
	A     string           `json:"a"`
	N     int              `json:"n"`
	U     uint8            `json:"u"`
	F     float32          `json:"f"`
	OK    bool             `json:"ok"`
	Inner *inner           `json:"inner"`
	List  []inner          `json:"list"`
	Map   map[string]int   `json:"map"`
	Raw   map[string][]int `json:"raw"`
}

func TestDecode(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name       string
		in         string
		opts       []Option
		want       body
		wantKind   Kind // 0: accepted
		wantPath   string
		wantDetail string
	}{
		{name: "members", in: `{"a":"x","n":-2,"u":255,"f":1.5,"ok":true,"inner":{"b":"y"},"list":[{"b":"1"},{"b":"2"}],"map":{"k":1}}`,
			want: body{A: "x", N: -2, U: 255, F: 1.5, OK: true, Inner: &inner{B: "y"}, List: []inner{{"1"}, {"2"}}, Map: map[string]int{"k": 1}}},
		{name: "white space around", in: " \r\n\t{\"a\":\"x\"}\n ", want: body{A: "x"}},
		{name: "empty object", in: `{}`},
		{name: "null members", in: `{"inner":null,"list":null,"n":null}`},
		{name: "same member in two objects", in: `{"list":[{"b":"x"},{"b":"y"}]}`, want: body{List: []inner{{"x"}, {"y"}}}},
		{name: "escaped name", in: `{"\u0061":"x"}`, want: body{A: "x"}},
		{name: "case-insensitive name, as encoding/json", in: `{"A":"x"}`, want: body{A: "x"}},

		{name: "empty, optional", in: " \n", opts: []Option{Optional()}},
		{name: "optional but present", in: `{"a":"x"}`, opts: []Option{Optional()}, want: body{A: "x"}},
		{name: "empty", in: ``, wantKind: Empty, wantDetail: "the request body is empty; want a JSON object"},
		{name: "only white space", in: " \r\n\t", wantKind: Empty, wantDetail: "the request body is empty; want a JSON object"},
		{name: "null", in: `null`, wantKind: NotObject, wantDetail: "the request body must be a JSON object"},
		{name: "array", in: ` []`, wantKind: NotObject, wantDetail: "the request body must be a JSON object"},
		{name: "string", in: `"a"`, wantKind: NotObject, wantDetail: "the request body must be a JSON object"},
		{name: "byte order mark", in: "\ufeff{}", wantKind: NotObject, wantDetail: "the request body must be a JSON object"},
		{name: "Unicode space is no JSON space", in: "\u00a0{}", wantKind: NotObject, wantDetail: "the request body must be a JSON object"},
		{name: "invalid UTF-8", in: "{\"a\":\"\xff\"}", wantKind: Encoding, wantDetail: "the request body is not valid UTF-8"},
		{name: "invalid UTF-8 after the object", in: "{}\xc3", wantKind: Encoding, wantDetail: "the request body is not valid UTF-8"},
		{name: "syntax", in: `{"a" "x"}`, wantKind: Syntax, wantDetail: "the request body is not valid JSON (at byte 5)"},
		{name: "syntax does not quote the value", in: `{"a":"x"` + "\x01" + `"}`, wantKind: Syntax, wantDetail: "the request body is not valid JSON (at byte 8)"},
		{name: "truncated", in: `{"a":"x"`, wantKind: Syntax, wantDetail: "the request body is not valid JSON: it ends too early"},
		{name: "truncated string", in: `{"a":"x`, wantKind: Syntax, wantDetail: "the request body is not valid JSON: it ends too early"},
		{name: "trailing comma", in: `{"a":"x",}`, wantKind: Syntax, wantDetail: "the request body is not valid JSON (at byte 9)"},
		{name: "NUL in a string", in: "{\"a\":\"\x00\"}", wantKind: Syntax, wantDetail: "the request body is not valid JSON (at byte 5)"},
		{name: "duplicate", in: `{"a":"x","a":"y"}`, wantKind: Duplicate, wantPath: "a", wantDetail: `member "a" appears twice`},
		{name: "duplicate, escaped", in: `{"a":"x","\u0061":"y"}`, wantKind: Duplicate, wantPath: "a", wantDetail: `member "a" appears twice`},
		{name: "duplicate nested", in: `{"inner":{"b":"x","b":"y"}}`, wantKind: Duplicate, wantPath: "inner.b", wantDetail: `member "b" appears twice in inner`},
		{name: "duplicate in an array element", in: `{"list":[{"b":"x"},{"b":"y","b":"z"}]}`, wantKind: Duplicate, wantPath: "list[].b",
			wantDetail: `member "b" appears twice in list[]`},
		{name: "duplicate in a map", in: `{"map":{"k":1,"k":2}}`, wantKind: Duplicate, wantPath: "map.k", wantDetail: `member "k" appears twice in map`},
		{name: "duplicate of a member decoding ignores", in: `{"raw":{"x":[{"q":1,"q":2}]}}`, wantKind: Duplicate, wantPath: "raw.x[].q",
			wantDetail: `member "q" appears twice in raw.x[]`},
		{name: "duplicate but for case", in: `{"a":"x","A":"y"}`, wantKind: Duplicate, wantPath: "A",
			wantDetail: `members "a" and "A" are one member: names are matched without regard to case`},
		{name: "duplicate but for a Kelvin sign", in: `{"inner":{"k":1,"` + "\u212a" + `":2}}`, wantKind: Duplicate, wantPath: "inner.\u212a",
			wantDetail: `members "k" and "` + "\u212a" + `" in inner are one member: names are matched without regard to case`},
		{name: "long duplicate name is cut", in: `{"` + strings.Repeat("é", 40) + `":1,"` + strings.Repeat("é", 40) + `":1}`,
			wantKind: Duplicate, wantPath: strings.Repeat("é", 40), wantDetail: `member "` + strings.Repeat("é", 32) + `"… appears twice`},
		{name: "deep", in: `{"list":[` + deep(70) + `]}`, wantKind: TooDeep, wantPath: "list" + strings.Repeat("[]", 31),
			wantDetail: "the request body nests deeper than 32 levels"},
		{name: "deep within the bound", in: `{"raw":{"x":[]}}`, opts: []Option{MaxDepth(3)}, want: body{Raw: map[string][]int{"x": {}}}},
		{name: "deep beyond the bound", in: `{"raw":{"x":[[]]}}`, opts: []Option{MaxDepth(3)}, wantKind: TooDeep, wantPath: "raw.x[]",
			wantDetail: "the request body nests deeper than 3 levels"},
		{name: "unknown", in: `{"a":"x","zz":1}`, wantKind: Unknown, wantPath: "zz",
			wantDetail: `unknown member "zz": this API refuses members it does not define`},
		{name: "unknown nested", in: `{"inner":{"c":1}}`, wantKind: Unknown, wantPath: "inner.c",
			wantDetail: `unknown member "c" in inner: this API refuses members it does not define`},
		{name: "unknown name in two objects", in: `{"list":[{"b":"x"}],"inner":{"b":"y","c":1},"map":{"c":1}}`, wantKind: Unknown, wantPath: "c",
			wantDetail: `unknown member "c": this API refuses members it does not define`},
		{name: "unknown in array elements", in: `{"list":[{"c":1},{"c":2}]}`, wantKind: Unknown, wantPath: "list[].c",
			wantDetail: `unknown member "c" in list[]: this API refuses members it does not define`},
		{name: "wrong type", in: `{"n":"2"}`, wantKind: Type, wantPath: "n", wantDetail: "n: want a number, not string"},
		{name: "wrong nested type", in: `{"inner":{"b":3}}`, wantKind: Type, wantPath: "inner.b", wantDetail: "inner.b: want a string, not number"},
		{name: "array for a string", in: `{"a":["x"]}`, wantKind: Type, wantPath: "a", wantDetail: "a: want a string, not array"},
		{name: "array for an object", in: `{"inner":[]}`, wantKind: Type, wantPath: "inner", wantDetail: "inner: want an object, not array"},
		{name: "string for a bool", in: `{"ok":"yes"}`, wantKind: Type, wantPath: "ok", wantDetail: "ok: want true or false, not string"},
		{name: "fraction for an int", in: `{"n":1.5}`, wantKind: Type, wantPath: "n",
			wantDetail: "n: want a whole number from -9223372036854775808 to 9223372036854775807"},
		{name: "huge int", in: `{"n":1e999999999}`, wantKind: Type, wantPath: "n",
			wantDetail: "n: want a whole number from -9223372036854775808 to 9223372036854775807"},
		{name: "negative uint", in: `{"u":-1}`, wantKind: Type, wantPath: "u", wantDetail: "u: want a whole number from 0 to 255"},
		{name: "huge float", in: `{"f":1e300}`, wantKind: Type, wantPath: "f", wantDetail: "f: the number is out of range"},
		{name: "trailing object", in: `{"a":"x"}{}`, wantKind: Trailing, wantDetail: "the request body has data after the JSON object"},
		{name: "trailing brace", in: `{"a":"x"}}`, wantKind: Trailing, wantDetail: "the request body has data after the JSON object"},
		{name: "trailing garbage", in: `{"a":"x"} x`, wantKind: Trailing, wantDetail: "the request body has data after the JSON object"},
		{name: "trailing NUL", in: "{}\x00", wantKind: Trailing, wantDetail: "the request body has data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got body
			err := Decode([]byte(tt.in), &got, tt.opts...)
			if tt.wantKind == 0 {
				if err != nil {
					t.Fatalf("Decode(%q) = %v, want no error", tt.in, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode(%q) = %v, want an *Error", tt.in, err)
			}
			if e.Kind != tt.wantKind || e.Path != tt.wantPath || e.Detail != tt.wantDetail || e.Error() != tt.wantDetail {
				t.Errorf("Decode(%q) = {%v %q %q}, want {%v %q %q}", tt.in, e.Kind, e.Path, e.Detail, tt.wantKind, tt.wantPath, tt.wantDetail)
			}
			if e.Status() != http.StatusBadRequest || e.Slug() != "bad-request" {
				t.Errorf("Decode(%q): status %d %s, want 400 bad-request", tt.in, e.Status(), e.Slug())
			}
		})
	}
}

// TestDecodeInvalid: a member's own UnmarshalJSON that refuses is reported
// with its message, as the wire types' unmarshalers say what is wrong.
func TestDecodeInvalid(t *testing.T) {
	var v struct {
		Kind picky `json:"kind"`
	}
	err := Decode([]byte(`{"kind":"x"}`), &v)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Invalid || e.Detail != "the request body could not be decoded: kind must be picky" ||
		!errors.Is(err, errNotPicky) {
		t.Fatalf("Decode = %v, want Invalid wrapping errNotPicky", err)
	}
}

var errNotPicky = errors.New("kind must be picky")

type picky string

func (p *picky) UnmarshalJSON(b []byte) error {
	if string(b) != `"picky"` {
		return errNotPicky
	}
	*p = "picky"
	return nil
}

func TestCheckContentType(t *testing.T) {
	for _, tt := range []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON; charset=UTF-8", true},
		{`application/json;charset="utf-8"`, true},
		{"", false},
		{"text/plain", false},
		{"application/problem+json", false},
		{"application/json; charset=latin1", false},
		{"application/jsonx", false},
		{"application/json; =", false},
		{"application/json; ;;=", false},
		{"multipart/form-data; boundary=x", false},
	} {
		err := CheckContentType(tt.ct)
		var e *Error
		if (err == nil) != tt.ok || (err != nil && (!errors.As(err, &e) || e.Kind != ContentType || e.Status() != 415 || e.Slug() != "unsupported-media-type")) {
			t.Errorf("CheckContentType(%q) = %v, want accepted %t (else a 415 ContentType)", tt.ct, err, tt.ok)
		}
	}
}

func TestDecodeRequest(t *testing.T) {
	text := func(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }
	const wantJSON = "the request body must be JSON, sent with Content-Type: application/json"
	tests := []struct {
		name     string
		ct       string
		body     func() io.Reader // nil: no body
		limit    int64
		optional bool
		want     map[string]any // when accepted
		kind     Kind
		status   int
		detail   string
		maxBytes int64 // the limit of the *http.MaxBytesError the error unwraps to, 0 for none
	}{
		{name: "JSON", ct: "application/json", body: text(`{"a":1}`), limit: 64, want: map[string]any{"a": 1.0}},
		{name: "JSON, UTF-8", ct: "application/json; charset=utf-8", body: text(`{"a":1}`), limit: 64, want: map[string]any{"a": 1.0}},
		{name: "no limit of its own", ct: "application/json", body: text(`{"a":"` + strings.Repeat("x", 100) + `"}`),
			want: map[string]any{"a": strings.Repeat("x", 100)}},
		{name: "no body", ct: "application/json", limit: 64, kind: Empty, status: 400, detail: "the request body is empty; want a JSON object"},
		{name: "no body, optional", limit: 64, optional: true},
		{name: "white space, optional", body: text(" \r\n"), limit: 64, optional: true},
		{name: "no type", body: text(`{}`), limit: 64, kind: ContentType, status: 415, detail: wantJSON},
		{name: "no type, optional", body: text(`{}`), limit: 64, optional: true, kind: ContentType, status: 415, detail: wantJSON},
		{name: "form", ct: "application/x-www-form-urlencoded", body: text("a=1"), limit: 64, kind: ContentType, status: 415, detail: wantJSON},
		{name: "form, optional", ct: "application/x-www-form-urlencoded", body: text("a=1"), limit: 64, optional: true,
			kind: ContentType, status: 415, detail: wantJSON},
		{name: "optional but present", ct: "application/json", body: text(`{"a":true}`), limit: 64, optional: true, want: map[string]any{"a": true}},
		{name: "optional but wrong", ct: "application/json", body: text(`{"a":1}x`), limit: 64, optional: true,
			kind: Trailing, status: 400, detail: "the request body has data after the JSON object"},
		{name: "too large", ct: "application/json", body: text(`{"a":"` + strings.Repeat("x", 60) + `"}`), limit: 64,
			kind: TooLarge, status: 413, detail: "the request body exceeds the limit of 64 bytes", maxBytes: 64},
		{name: "exactly the limit", ct: "application/json", body: text(`{"a":"` + strings.Repeat("x", 56) + `"}`), limit: 64,
			want: map[string]any{"a": strings.Repeat("x", 56)}},
		{name: "server's limit", ct: "application/json", limit: 64,
			body: func() io.Reader { return http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(`{"a":1}`)), 2) },
			kind: TooLarge, status: 413, detail: "the request body exceeds the limit of 2 bytes", maxBytes: 2},
		{name: "client went away", ct: "application/json", limit: 64, body: func() io.Reader { return iotest.ErrReader(io.ErrUnexpectedEOF) },
			kind: Unreadable, status: 400, detail: "the request body could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Body = nil
			if tt.body != nil {
				r.Body = io.NopCloser(tt.body())
			}
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var opts []Option
			if tt.optional {
				opts = append(opts, Optional())
			}
			var got map[string]any
			err := DecodeRequest(httptest.NewRecorder(), r, tt.limit, &got, opts...)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("DecodeRequest = %v, want no error", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("DecodeRequest mismatch (-want +got):\n%s", diff)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Status() != tt.status || e.Detail != tt.detail {
				t.Fatalf("DecodeRequest = %v, want a %d %v: %q", err, tt.status, tt.kind, tt.detail)
			}
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) != (tt.maxBytes != 0) || (tooLarge != nil && tooLarge.Limit != tt.maxBytes) {
				t.Errorf("MaxBytesError %v, want one of limit %d", tooLarge, tt.maxBytes)
			}
		})
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           string
		kind           Kind
	}{
		{"JSON", "application/json", `{"a":1}`, `{"a":1}`, 0},
		{"anything under JSON's type", "application/json", "not JSON", "not JSON", 0},
		{"other type", "text/plain", `{}`, "", ContentType},
		{"too large", "application/json", strings.Repeat(" ", 9), "", TooLarge},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", tt.ct)
		got, err := Read(httptest.NewRecorder(), r, 8)
		var e *Error
		if tt.kind == 0 && (err != nil || string(got) != tt.want) || tt.kind != 0 && (!errors.As(err, &e) || e.Kind != tt.kind || got != nil) {
			t.Errorf("%s: Read = %q, %v; want %q, kind %v", tt.name, got, err, tt.want, tt.kind)
		}
	}
}

// testProblem stands for an API's own problem type.
type testProblem struct {
	status       int
	slug, detail string
}

func (p *testProblem) Error() string { return p.detail }

func TestProblem(t *testing.T) {
	newProblem := func(status int, slug, detail string) *testProblem { return &testProblem{status, slug, detail} }
	other := errors.New("not a body's")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"other error", other, other},
		{"415", CheckContentType("text/plain"), &testProblem{415, "unsupported-media-type", "the request body must be JSON, sent with Content-Type: application/json"}},
		{"413", refuse(TooLarge, "", nil, "too large"), &testProblem{413, "body-too-large", "too large"}},
		{"400", Decode([]byte(`{"a":1,"a":2}`), &body{}), &testProblem{400, "bad-request", `member "a" appears twice`}},
		{"wrapped", fmt.Errorf("step: %w", Decode(nil, &body{})), &testProblem{400, "bad-request", "the request body is empty; want a JSON object"}},
	}
	for _, tt := range tests {
		got := Problem(tt.err, newProblem)
		gotP, isP := got.(*testProblem)
		wantP, wantIsP := tt.want.(*testProblem)
		if isP != wantIsP || isP && *gotP != *wantP || !isP && got != tt.want {
			t.Errorf("%s: Problem(%v) = %#v, want %#v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{ContentType: "content-type", Duplicate: "duplicate", Invalid: "invalid", 0: "kind(0)", 200: "kind(200)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestFoldName(t *testing.T) {
	names := []string{"a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "straße", "STRASSE", "Straße", "é", "É", "ǅ", "ǆ", "Ǆ", "x-y_1",
		"kelvin", "KELVIN", "\u212aelvin", "\u212aELVIN", "ſtraße", "σς", "ΣΣ", "σσ", "θ", "ϑ", "Θ", "ß", "ẞ", "ǈ", "ǉ"}
	for _, a := range names {
		for _, b := range names {
			if got, want := foldName(a) == foldName(b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldName(%q) == foldName(%q) is %t, strings.EqualFold %t", a, b, got, want)
			}
		}
	}
}
