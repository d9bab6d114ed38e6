package oidc_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/oidc"
)

// present is what a resident's wallet answers an approval with: a
// presentation of its certificate, signed by its device key, for the RP
// clientID and the approval's challenge, made at the env's time.
func (e *env) present(who resident, clientID string, challenge []byte) string {
	e.t.Helper()
	text, err := credential.CreatePresentation(nil, who.device, who.cert, clientID, challenge, nil, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return text
}

// apiResult is one answer of the approval API: the status, and the JSON
// body decoded into the view or result, or the problem.
type apiResult struct {
	status  int
	problem map[string]any
	body    []byte
	header  http.Header
}

// slug is the problem type's last part ("" for a success).
func (a apiResult) slug() string {
	s, _ := a.problem["type"].(string)
	return strings.TrimPrefix(s, "urn:netid:problem:")
}

func (e *env) approvalCall(method, code string, body any) apiResult {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, e.issuer+"/v1/approvals/"+url.PathEscape(code), rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		e.t.Fatal(err)
	}
	out := apiResult{status: resp.StatusCode, body: buf.Bytes(), header: resp.Header}
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			e.t.Errorf("%s /v1/approvals: status %d with Content-Type %q, want application/problem+json", method, resp.StatusCode, ct)
		}
		_ = json.Unmarshal(out.body, &out.problem)
	}
	return out
}

// approvalView fetches what an approval asks, as the wallet does first.
func (e *env) approvalView(code string) oidc.ApprovalView {
	e.t.Helper()
	res := e.approvalCall(http.MethodGet, code, nil)
	if res.status != http.StatusOK {
		e.t.Fatalf("GET /v1/approvals/%s: status %d %s", code, res.status, res.body)
	}
	var v oidc.ApprovalView
	if err := json.Unmarshal(res.body, &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

// answer answers approval code as who's wallet: ans with a presentation
// for the approval's RP and challenge.
func (e *env) answer(who resident, code string, ans oidc.ApprovalAnswer) apiResult {
	e.t.Helper()
	v := e.approvalView(code)
	challenge, err := base64.RawURLEncoding.DecodeString(v.Challenge)
	if err != nil {
		e.t.Fatalf("challenge %q: %v", v.Challenge, err)
	}
	ans.Presentation = e.present(who, v.ClientID, challenge)
	return e.approvalCall(http.MethodPost, code, ans)
}

// result decodes a successful answer.
func (a apiResult) result(t testing.TB) oidc.ApprovalResult {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("approval answer: status %d %s", a.status, a.body)
	}
	var r oidc.ApprovalResult
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

var approvalCodeField = regexp.MustCompile(`name="code" value="([A-Z0-9-]+)"`)

// approvalCodeOf reads the approval code off a second-factor page.
func approvalCodeOf(t testing.TB, p page) string {
	t.Helper()
	m := approvalCodeField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no approval code on the page:\n%s", p.body)
	}
	return m[1]
}
