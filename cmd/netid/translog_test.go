package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/translog"
)

// TestServeTranslog: a fresh service publishes the verifier keys and a
// first checkpoint (of the empty tree) that verifies with them.
func TestServeTranslog(t *testing.T) {
	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	s.waitReady(t)
	defer s.stop(t)
	get := func(path string) string {
		t.Helper()
		res, err := http.Get("http://" + s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s, want 200", path, res.StatusCode, body)
		}
		return string(body)
	}
	var vs []note.Verifier
	for _, k := range strings.Fields(get("/translog/keys")) {
		v, err := translog.ParseVerifierKey(k)
		if err != nil {
			t.Fatalf("ParseVerifierKey(%q) error = %v", k, err)
		}
		vs = append(vs, v)
	}
	st, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	origin := s.addr + "/translog"
	a, err := translog.NewAuditor(st, origin, vs...)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := a.VerifyCheckpoint([]byte(get("/translog/checkpoint")))
	if err != nil {
		t.Fatalf("VerifyCheckpoint() error = %v", err)
	}
	if cp.Size != 0 {
		t.Errorf("first checkpoint size = %d, want 0", cp.Size)
	}
}

func TestTranslogOrigin(t *testing.T) {
	tests := []struct {
		issuer, want string
		wantErr      bool
	}{
		{issuer: "https://id.example.cn", want: "id.example.cn/translog"},
		{issuer: "https://id.example.cn/", want: "id.example.cn/translog"},
		{issuer: "https://example.cn/netid", want: "example.cn/netid/translog"},
		{issuer: "http://127.0.0.1:8080", want: "127.0.0.1:8080/translog"},
		{issuer: "id.example.cn", wantErr: true},
		{issuer: "https://example.cn/a+b", wantErr: true},
	}
	for _, tt := range tests {
		got, err := translogOrigin(tt.issuer)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("translogOrigin(%q) = %q, %v; want %q, error %v", tt.issuer, got, err, tt.want, tt.wantErr)
		}
	}
}
