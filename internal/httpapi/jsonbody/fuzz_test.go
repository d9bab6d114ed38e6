package jsonbody

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecode: whatever the body, Decode ends in nil or a 400 *Error with
// a detail, never a panic; what it accepts is valid UTF-8 JSON that
// encoding/json decodes to the same value, and that it accepts again after
// a round trip through encoding/json.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"a":"x","n":2,"inner":{"b":"y"},"list":[{"b":"1"}],"map":{"k":1}}`,
		`{}`, ` {"a":"x"} `, `{"a":"x","a":"y"}`, `{"list":[{"b":"x"},{"b":"y","b":"z"}]}`, `{"a":1,"A":2}`,
		`{"k":1,"` + "\u212a" + `":2}`, `{"list":[` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `]}`,
		`{"a":"x"} {}`, `{"a":"x"}}`, `{"a":"x"} x`, "{}\x00", `{"n":1e999999999}`, `{"f":-1e400}`, `{"u":256}`,
		`{"n":123456789012345678901234567890}`, "{\"a\":\"\xff\"}", "{\"\xc3\":1}", `{"a":"\ud800"}`, `{"a":"\u0000"}`,
		``, `null`, `[]`, `{"a"`, `{"zz":1}`, `{"inner":{"c":1}}`, `{"inner":[]}`, "\ufeff{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var generic map[string]any
		checkDecode(t, data, &generic, func() any { return new(map[string]any) })
		var typed body
		checkDecode(t, data, &typed, func() any { return new(body) })
	})
}

// checkDecode decodes data into v; fresh returns a new value of v's type.
func checkDecode(t *testing.T, data []byte, v any, fresh func() any) {
	err := Decode(data, v, MaxDepth(8))
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Status() != http.StatusBadRequest || e.Detail == "" || !utf8.ValidString(e.Detail) {
			t.Fatalf("Decode(%q) into %T = %#v, want a 400 *Error with a detail", data, v, err)
		}
		return
	}
	if !utf8.Valid(data) {
		t.Fatalf("Decode accepted invalid UTF-8 %q", data)
	}
	again := fresh()
	if err := json.Unmarshal(data, again); err != nil {
		t.Fatalf("Decode accepted %q, which encoding/json refuses into %T: %v", data, v, err)
	}
	if !reflect.DeepEqual(reflect.ValueOf(again).Elem().Interface(), reflect.ValueOf(v).Elem().Interface()) {
		t.Fatalf("Decode(%q) into %T = %+v, encoding/json %+v", data, v, v, again)
	}
	encoded, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	round := fresh()
	if err := Decode(encoded, round, MaxDepth(8)); err != nil {
		t.Fatalf("Decode(%q) accepted, but not its re-encoding %s: %v", data, encoded, err)
	}
	if !reflect.DeepEqual(reflect.ValueOf(round).Elem().Interface(), reflect.ValueOf(v).Elem().Interface()) {
		t.Fatalf("Decode(%q) = %+v, its re-encoding %s decodes to %+v", data, v, encoded, round)
	}
}
