package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeJSONBody decodes data as decodeJSONRequest decodes a request's
// body into v.
func decodeJSONBody(data []byte, v any) *Problem {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(data))
	r.Header.Set("Content-Type", "application/json")
	err := decodeJSONRequest(r, v)
	p, ok := err.(*Problem)
	if err != nil && !ok {
		panic(fmt.Sprintf("decodeJSONRequest(%q) = %#v, not a *Problem", data, err))
	}
	return p
}

func TestDecodeJSONBody(t *testing.T) {
	type inner struct {
		B string `json:"b"`
	}
	type body struct {
		A     string  `json:"a"`
		N     int     `json:"n"`
		Inner *inner  `json:"inner"`
		List  []inner `json:"list"`
	}
	tests := []struct {
		name       string
		in         string
		want       body
		wantDetail string // "" means no error
	}{
		{"ok", `{"a":"x","n":2,"inner":{"b":"y"}}`, body{A: "x", N: 2, Inner: &inner{B: "y"}}, ""},
		{"whitespace around", " \n{\"a\":\"x\"}\n ", body{A: "x"}, ""},
		{"empty", ``, body{}, "is empty"},
		{"only spaces", `   `, body{}, "is empty"},
		{"null", `null`, body{}, "must be a JSON object"},
		{"array", `[]`, body{}, "must be a JSON object"},
		{"string", `"a"`, body{}, "must be a JSON object"},
		{"truncated", `{"a":"x"`, body{}, "ends too early"},
		{"syntax error", `{"a" "x"}`, body{}, "not valid JSON"},
		{"unknown member", `{"a":"x","b":1}`, body{}, `unknown member "b"`},
		{"unknown nested member", `{"inner":{"c":1}}`, body{}, `unknown member "c"`},
		{"wrong type", `{"n":"2"}`, body{}, "n: want a number, not string"},
		{"wrong nested type", `{"inner":{"b":3}}`, body{}, "inner.b: want a string, not number"},
		{"duplicate member", `{"a":"x","a":"y"}`, body{}, `member "a" appears twice`},
		{"duplicate nested member", `{"inner":{"b":"x","b":"y"}}`, body{}, `member "b" appears twice in inner`},
		{"duplicate in array element", `{"list":[{"b":"x"},{"b":"y","b":"z"}]}`, body{}, `appears twice in list[]`},
		{"same member in two objects is fine", `{"list":[{"b":"x"},{"b":"y"}]}`, body{List: []inner{{B: "x"}, {B: "y"}}}, ""},
		{"trailing object", `{"a":"x"}{}`, body{}, "after the JSON object"},
		{"trailing brace", `{"a":"x"}}`, body{}, "after the JSON object"},
		{"trailing garbage", `{"a":"x"} x`, body{}, "after the JSON object"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", body{}, "not valid UTF-8"},
		{"deep nesting", `{"list":[` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `]}`, body{}, "nests deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got body
			p := decodeJSONBody([]byte(tt.in), &got)
			if tt.wantDetail == "" {
				if p != nil {
					t.Fatalf("decodeJSONBody(%q) = %+v, want no error", tt.in, p)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("decodeJSONBody(%q) mismatch (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			if p == nil || p.Status != http.StatusBadRequest || p.Type != ProblemTypeBase+"bad-request" || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("decodeJSONBody(%q) = %+v, want a 400 bad-request containing %q", tt.in, p, tt.wantDetail)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	token := strings.Repeat("aB3-_", 8) + "xyz"
	tests := []struct {
		name       string
		headers    []string
		want       string
		wantStatus int
	}{
		{"ok", []string{"Bearer " + token}, token, 0},
		{"scheme case-insensitive", []string{"bearer " + token}, token, 0},
		{"padding", []string{"Bearer abc=="}, "abc==", 0},
		{"all b64token characters", []string{"Bearer aZ09-._~+/="}, "aZ09-._~+/=", 0},
		{"missing", nil, "", 401},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, "", 401},
		{"scheme only", []string{"Bearer"}, "", 400},
		{"empty token", []string{"Bearer "}, "", 400},
		{"two spaces", []string{"Bearer  " + token}, "", 400},
		{"space inside", []string{"Bearer ab cd"}, "", 400},
		{"only padding", []string{"Bearer =="}, "", 400},
		{"padding inside", []string{"Bearer ab=cd"}, "", 400},
		{"quote", []string{`Bearer "abc"`}, "", 400},
		{"non-ASCII", []string{"Bearer abcé"}, "", 400},
		{"too long", []string{"Bearer " + strings.Repeat("a", maxBearerToken+1)}, "", 400},
		{"two headers", []string{"Bearer " + token, "Bearer " + token}, "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			w := httptest.NewRecorder()
			got, p := bearerToken(w, r)
			if tt.wantStatus == 0 {
				if p != nil || got != tt.want {
					t.Errorf("bearerToken(%q) = %q, %+v; want %q", tt.headers, got, p, tt.want)
				}
				return
			}
			if p == nil || p.Status != tt.wantStatus || got != "" {
				t.Fatalf("bearerToken(%q) = %q, %+v; want a %d problem", tt.headers, got, p, tt.wantStatus)
			}
			if challenge := w.Header().Get("WWW-Authenticate"); (tt.wantStatus == 401) != strings.HasPrefix(challenge, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge exactly on 401", challenge)
			}
		})
	}
}
