package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLibraryLogsInServiceFormat: what the OIDC library (zitadel) logs
// through log/slog's default logger, such as its "request error" line for
// a refused token request, comes out in the service's own format (JSON by
// default) and carries the request id, like every other line: an operator's
// log pipeline gets one format, and can follow a refused request.
func TestLibraryLogsInServiceFormat(t *testing.T) {
	s := startDemoServer(t)
	const id = "library-log-check-1"
	req, err := http.NewRequest(http.MethodPost, s.base()+"/oidc/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {"rp-unknown"},
	}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Request-Id", id)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("token request with an unknown client: status %d, want 401", res.StatusCode)
	}

	// The line is written before the response, but reaches the test through
	// the child's stderr pipe: wait for it.
	var found map[string]any
	waitUntil(t, "the library logs the refused token request", func() bool {
		for _, line := range strings.Split(s.logs.String(), "\n") {
			if line == "" {
				continue
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("a log line is not JSON: %q", line)
			}
			if rec["msg"] == "request error" {
				found = rec
			}
		}
		return found != nil
	})
	if found["request_id"] != id || found["level"] != "WARN" {
		t.Errorf("library line %v: want request_id %q and level WARN", found, id)
	}
}
