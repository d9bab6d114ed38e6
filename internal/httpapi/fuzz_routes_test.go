package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/rp"
)

// FuzzJSONRoutes sends arbitrary bodies, content types and credentials to
// every JSON route of the API, served whole (middleware, decoding, the
// enrolment service and the store): whatever the input, the answer is
// never a 500, and every refusal is a problem. It complements
// FuzzDecodeEnrolmentRequests, which fuzzes the decoding alone, by
// reaching what runs after it: credentials, steps, the presentation
// verifier, the renewal and upgrade checks.
func FuzzJSONRoutes(f *testing.F) {
	env := enroltest.New(f)
	log := slog.New(slog.DiscardHandler)
	srv := New(DefaultConfig(), log)
	srv.MountEnrolment(EnrolmentAPI{Enrol: env.Service, CA: env.CA})
	srv.MountPresentations(PresentationAPI{Suite: env.Suite, CA: env.CA, Certificates: env.Store,
		RPs: rp.NewService(env.Store), Subjects: testSubjects{}, Now: env.Clock.Now})
	ctx := context.Background()
	doc := env.Passport("F00000001", 35, 161)
	start := httptest.NewRecorder()
	body, err := json.Marshal(chipBody(doc, nil))
	if err != nil {
		f.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/enrolments", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	srv.ServeHTTP(start, req)
	var started startedResponse
	if start.Code != http.StatusCreated || json.Unmarshal(start.Body.Bytes(), &started) != nil {
		f.Fatalf("starting an enrolment: %d %s", start.Code, start.Body)
	}
	_, registrar, err := env.Service.CreateRegistrar(ctx, "Fuzz registrar")
	if err != nil {
		f.Fatal(err)
	}
	party, secret, err := rp.NewService(env.Store).Create(ctx, rp.Registration{Name: "Fuzz platform",
		RedirectURIs: []string{"https://platform.example/cb"}})
	if err != nil {
		f.Fatal(err)
	}
	routes := []string{
		"/v1/enrolments", "/v1/assisted-enrolments",
		"/v1/enrolments/" + started.ID + "/phone", "/v1/enrolments/" + started.ID + "/phone/verify",
		"/v1/enrolments/" + started.ID + "/phone/skip", "/v1/enrolments/" + started.ID + "/face/challenge",
		"/v1/enrolments/" + started.ID + "/face", "/v1/enrolments/" + started.ID + "/password",
		"/v1/enrolments/" + started.ID + "/complete", "/v1/guardian/approvals",
		"/v1/residents/upgrade/challenge", "/v1/residents/upgrade",
		"/v1/residents/certificate/challenge", "/v1/residents/certificate/renew",
		"/v1/presentations/verify",
	}
	basic := func(id, secret string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(id, secret)
		return r.Header.Get("Authorization")
	}
	for i, seed := range []struct{ ct, auth, body string }{
		{"application/json", "", string(body)},
		{"application/json", "Bearer " + registrar, `{"evidence":{"kind":"refugee-registration","reference":"U-1","issuer":"UNHCR","name":"A","birth_date":"1990-01-01","sex":"F"}}`},
		{"application/json", "Bearer " + started.Token, `{"number":"13800138161","locale":"en"}`},
		{"application/json", "Bearer " + started.Token, `{"number":"13800138161","code":"123456"}`},
		{"application/json", "Bearer " + started.Token, ``},
		{"application/json", "Bearer " + started.Token, `{}`},
		{"application/json", "Bearer " + started.Token, `{"image":"/9j/4AAQ","format":"image/jpeg","liveness":"a.b.c"}`},
		{"application/json", "Bearer " + started.Token, `{"password":"correct horse battery staple 42"}`},
		{"application/json", "Bearer " + started.Token, `{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nMA==\n-----END CERTIFICATE REQUEST-----\n"}`},
		{"application/json", "", `{"guardian":{"internet_number":"ABCDE12345","password":"pw"},"minor_internet_number":"FGHJK12345","approval_code":"A-B","relationship":"parent","evidence_kind":"birth-certificate","evidence_reference":"B1"}`},
		{"application/json", "", `{"resident":{"internet_number":"ABCDE12345","password":"pw"}}`},
		{"application/json", "", `{"resident":{"internet_number":"ABCDE12345","password":"pw"},"evidence":{"authority":{}},"face":{}}`},
		{"application/json", "", `{"resident":{"internet_number":"ABCDE12345","password":"pw"}}`},
		{"application/json", "", `{"resident":{"internet_number":"ABCDE12345","password":"pw"},"challenge":"AA","csr":"x","old_device_signature":"AA"}`},
		{"application/json", basic(party.ClientID, secret), `{"presentation":"NETID1:AAAA","challenge":"c"}`},
	} {
		f.Add(uint8(i), seed.ct, seed.auth, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, route uint8, contentType, auth string, data []byte) {
		path := routes[int(route)%len(routes)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(data)))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		res := rec.Result()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode == http.StatusInternalServerError {
			t.Fatalf("POST %s (%q, %q) %q: 500 %s", path, contentType, auth, data, b)
		}
		if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s: %d as %q, want a problem: %s", path, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
	})
}
