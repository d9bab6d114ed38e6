package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/throttle"
)

// TestEnrolmentStepRefusals sends refused requests to enrolments at each
// step and checks the problem, and that the enrolment was not changed.
func TestEnrolmentStepRefusals(t *testing.T) {
	e := newEnEnv(t)
	start := func(number string, seed uint64) *enWallet {
		return e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport(number, 35, seed), nil)))
	}
	created := start("R00000001", 101)
	atFace := start("R00000002", 102)
	atFace.phone("13800138102")
	atPassword := start("R00000003", 103)
	atPassword.phone("13800138103")
	atPassword.face(103, false).want(t, http.StatusOK)
	atComplete := start("R00000004", 104)
	atComplete.phone("13800138104")
	atComplete.face(104, false).want(t, http.StatusOK)
	atComplete.post("/password", map[string]any{"password": enPassword}).want(t, http.StatusOK)
	other := start("R00000005", 105) // for a CSR bound to another enrolment

	// A code was sent to created's number, so that a wrong one can be tried.
	created.post("/phone", map[string]any{"number": "13800138101"}).want(t, http.StatusAccepted)
	weak := password.DefaultPolicy().Check("password123")
	if weak == nil {
		t.Fatal(`the policy accepts "password123"; pick a weaker test password`)
	}
	img := base64.StdEncoding.EncodeToString(enroltest.LiveCapture(t, 102, 1))

	tests := []struct {
		name        string
		w           *enWallet
		method      string
		step        string
		token       string // "" means the wallet's own
		contentType string // "" means application/json
		body        string
		wantStatus  int
		wantType    string
		wantDetail  string
	}{
		{"wrong step", created, "POST", "/password", "", "", `{"password":"` + enPassword + `"}`, 409, "wrong-step", `the next step is "phone"`},
		{"wrong step after the phone", atFace, "POST", "/phone/skip", "", "", ``, 409, "wrong-step", `the next step is "face"`},
		{"wrong token", created, "GET", "", strings.Repeat("x", 43), "", "", 404, "not-found", "enrolment not found"},
		{"wrong token on a step", atPassword, "POST", "/password", strings.Repeat("x", 43), "", `{"password":"` + enPassword + `"}`, 404, "not-found", "enrolment not found"},
		{"no token", created, "GET", "", "-", "", "", 401, "unauthorized", "Authorization: Bearer"},
		{"malformed token", created, "GET", "", "a b", "", "", 400, "bad-request", "Bearer <token>"},
		{"malformed JSON", created, "POST", "/phone", "", "", `{"number": `, 400, "bad-request", "not valid JSON"},
		{"not an object", created, "POST", "/phone", "", "", `["13800138101"]`, 400, "bad-request", "must be a JSON object"},
		{"wrong member type", created, "POST", "/phone", "", "", `{"number": 13800138101}`, 400, "bad-request", "number: want a string, not number"},
		{"unknown member", created, "POST", "/phone", "", "", `{"number":"13800138101","extra":1}`, 400, "bad-request", `unknown member "extra"`},
		{"duplicate member", created, "POST", "/phone", "", "", `{"number":"13800138101","number":"13800138109"}`, 400, "bad-request", `"number" appears twice`},
		{"trailing data", created, "POST", "/phone", "", "", `{"number":"13800138101"} {}`, 400, "bad-request", "after the JSON object"},
		{"missing member", created, "POST", "/phone/verify", "", "", `{"number":"13800138101"}`, 400, "bad-request", "code: required"},
		{"wrong content type", created, "POST", "/phone", "", "text/plain", `{"number":"13800138101"}`, 415, "unsupported-media-type", "application/json"},
		{"no content type", created, "POST", "/phone", "", "-", `{"number":"13800138101"}`, 415, "unsupported-media-type", "application/json"},
		{"other charset", created, "POST", "/phone", "", "application/json; charset=latin1", `{"number":"13800138101"}`, 415, "unsupported-media-type", "application/json"},
		{"invalid phone", created, "POST", "/phone", "", "", `{"number":"12345"}`, 400, "invalid-phone", "not a valid mobile phone number: "},
		{"unknown locale", created, "POST", "/phone", "", "", `{"number":"13800138101","locale":"fr"}`, 400, "bad-request", "locale: want"},
		{"wrong code", created, "POST", "/phone/verify", "", "", `{"number":"13800138101","code":"000000"}`, 422, "wrong-code", "attempts left"},
		{"code for another number", created, "POST", "/phone/verify", "", "", `{"number":"13800138109","code":"000000"}`, 422, "wrong-code", "another number"},
		{"phone required", created, "POST", "/phone/skip", "", "", ``, 409, "phone-required", "phone number is required"},
		{"body on a step without input", created, "POST", "/phone/skip", "", "", `{"skip":true}`, 400, "bad-request", `unknown member "skip"`},
		{"face image not base64", atFace, "POST", "/face", "", "", `{"image":"%%%","liveness":"x"}`, 400, "bad-request", "image: not standard padded base64"},
		{"face without challenge", atFace, "POST", "/face", "", "", `{"image":"` + img + `","liveness":"x.y.z"}`, 422, "not-live", "live capture"},
		{"weak password", atPassword, "POST", "/password", "", "", `{"password":"password123"}`, 422, "weak-password", weak.Error()},
		{"empty password", atPassword, "POST", "/password", "", "", `{"password":""}`, 400, "bad-request", "password: required"},
		{"malformed CSR", atComplete, "POST", "/complete", "", "", `{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}`, 400, "bad-csr", "key request is not valid"},
		{"CSR of another enrolment", atComplete, "POST", "/complete", "", "", `{"csr":` + strconv.Quote(other.csrPEM()) + `}`, 400, "bad-csr", "key request is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.w.version()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, e.http.URL+tt.w.path(tt.step), body)
			if err != nil {
				t.Fatal(err)
			}
			switch tt.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			switch tt.token {
			case "":
				req.Header.Set("Authorization", "Bearer "+tt.w.started.Token)
			case "-":
			default:
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			p := e.do(req).want(t, tt.wantStatus).problem(t)
			if p.Type != ProblemTypeBase+tt.wantType || p.Status != tt.wantStatus || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("problem = %+v, want %s with a detail containing %q", p, tt.wantType, tt.wantDetail)
			}
			if p.RequestID == "" || p.Instance != tt.w.path(tt.step) {
				t.Errorf("problem request id %q instance %q, want an id and %q", p.RequestID, p.Instance, tt.w.path(tt.step))
			}
			if after := tt.w.version(); after != before {
				t.Errorf("enrolment version %d after the refusal, want %d unchanged", after, before)
			}
		})
	}

	// A wrong token and an unknown id get the same answer.
	unknown := e.call(http.MethodGet, "/v1/enrolments/"+strings.Repeat("A", 22), created.started.Token, nil).want(t, 404).problem(t)
	wrong := e.call(http.MethodGet, created.path(""), strings.Repeat("x", 43), nil).want(t, 404).problem(t)
	if unknown.Type != wrong.Type || unknown.Detail != wrong.Detail {
		t.Errorf("unknown id %+v and wrong token %+v differ", unknown, wrong)
	}
	// The refusals left every enrolment where it was.
	for w, want := range map[*enWallet]string{created: "created", atFace: "phone-verified", atPassword: "face-verified", atComplete: "password-set"} {
		if got := w.status().State; got != want {
			t.Errorf("enrolment %s in state %q after the refusals, want %q", w.started.ID, got, want)
		}
	}
}

func TestEnrolmentBodyTooLarge(t *testing.T) {
	e := newEnEnv(t)
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("B00000001", 35, 121), nil)))
	limit := DefaultConfig().MaxBodyBytes
	big := `{"number":"` + strings.Repeat("1", int(limit)) + `"}`
	for _, tt := range []struct {
		name    string
		chunked bool
	}{{"declared length", false}, {"chunked", true}} {
		t.Run(tt.name, func(t *testing.T) {
			before := w.version()
			var body io.Reader = strings.NewReader(big)
			if tt.chunked {
				// An io.Reader the client cannot measure is sent chunked,
				// so that the limit is met while reading, not up front.
				body = io.MultiReader(bytes.NewReader([]byte(big)))
			}
			req, err := http.NewRequest(http.MethodPost, e.http.URL+w.path("/phone"), body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.chunked && req.ContentLength != 0 {
				t.Fatalf("request ContentLength %d, want unknown (chunked)", req.ContentLength)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+w.started.Token)
			p := e.do(req).want(t, http.StatusRequestEntityTooLarge).problem(t)
			if p.Type != ProblemTypeBase+"body-too-large" {
				t.Errorf("problem = %+v, want body-too-large", p)
			}
			if after := w.version(); after != before {
				t.Errorf("enrolment version %d, want %d unchanged", after, before)
			}
		})
	}
}

func TestEnrolmentFaceMismatch(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t)
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("F00000001", 35, 131), nil)))
	w.phone("13800138131")
	p := w.face(1001, false).want(t, http.StatusUnprocessableEntity).problem(t)
	if p.Type != ProblemTypeBase+"face-mismatch" || p.Detail != enrol.ErrFaceMismatch.Error() {
		t.Errorf("problem = %+v, want face-mismatch with enrol's message", p)
	}
	if st := w.status(); st.State != "phone-verified" || st.Next != "face" {
		t.Errorf("status after the mismatch = %+v, want still phone-verified, next face", st)
	}
	rec, err := e.Store.Enrolment(ctx, w.started.ID)
	if err != nil || rec.FaceAttempts != 1 || rec.FaceChallenge != "" {
		t.Errorf("stored attempts %d challenge %q (%v), want 1 attempt, the challenge consumed", rec.FaceAttempts, rec.FaceChallenge, err)
	}
	// The resident tries again and succeeds.
	w.face(131, false).want(t, http.StatusOK)
}

// TestEnrolmentStartRefusals checks the refusals of the start, and that a
// refused start created no enrolment.
func TestEnrolmentStartRefusals(t *testing.T) {
	e := newEnEnv(t)
	enrolled := e.Passport("D00000001", 35, 141)
	parent := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(enrolled, nil))).run("13800138141", 141)
	child := e.Passport("D00000002", 10, 142)
	adult := e.Passport("D00000003", 35, 143)
	authority := func(number, name, birth string) map[string]any {
		return map[string]any{"evidence": map[string]any{"authority": map[string]any{
			"doc_type": "resident-id-card", "number": number, "name": name, "birth_date": birth}}}
	}
	badPassword := guardianBody(parent.InternetNumber)
	badPassword["password"] = "not the password at all"
	childNoMRZ := map[string]any{"evidence": map[string]any{"chip": child.Chip}}
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantType   string
		wantDetail string
	}{
		{"duplicate document", chipBody(enrolled, nil), 409, "duplicate-identity", "already has an internet number"},
		{"child without guardian", chipBody(child, nil), 403, "guardian-required", "must be enrolled by a guardian"},
		{"guardian for an adult", chipBody(adult, guardianBody(parent.InternetNumber)), 403, "guardian-not-allowed", "only for a child"},
		{"guardian's wrong password", chipBody(child, badPassword), 401, "bad-credentials", "the guardian's internet number or password is incorrect"},
		{"guardian without consent", chipBody(child, func() map[string]any { g := guardianBody(parent.InternetNumber); g["consent"] = false; return g }()),
			403, "not-a-guardian", "consent"},
		{"unknown relationship", chipBody(child, func() map[string]any { g := guardianBody(parent.InternetNumber); g["relationship"] = "aunt"; return g }()),
			400, "bad-request", `unknown relationship "aunt"`},
		{"authority mismatch", authority(e.card.Number, "别人", e.card.Birth.String()), 422, "evidence-refused", "does not match the document's record"},
		{"bad ID number", authority(e.card.Number[:17]+"0", e.card.Name, e.card.Birth.String()), 422, "evidence-refused", "your document could not be verified: "},
		{"unknown document type", map[string]any{"evidence": map[string]any{"authority": map[string]any{
			"doc_type": "library-card", "number": "1", "name": "x", "birth_date": "2000-01-01"}}}, 400, "bad-request", "evidence.authority.doc_type"},
		{"malformed birth date", authority(e.card.Number, e.card.Name, "1985-13-01"), 400, "bad-request", "evidence.authority.birth_date: want a date"},
		{"chip and authority", map[string]any{"evidence": map[string]any{"chip": child.Chip, "authority": map[string]any{}}}, 400, "bad-request", "not both"},
		{"no evidence", map[string]any{}, 400, "bad-request", "evidence: required"},
		{"chip of unknown format", map[string]any{"evidence": map[string]any{"chip": map[string]any{"format": "x", "files": map[string]any{}}}}, 400, "bad-request", "evidence.chip"},
		{"chip with unknown member", map[string]any{"evidence": map[string]any{"chip": map[string]any{"format": "netid-chip/1", "files": map[string]any{}, "x": 1}}}, 400, "bad-request", `unknown member "x"`},
		{"chip and MRZ differ", map[string]any{"evidence": map[string]any{"chip": child.Chip, "printed_mrz": adult.PrintedMRZ}}, 422, "evidence-refused", "differs from the printed data page"},
		{"chip without MRZ but a child", childNoMRZ, 403, "guardian-required", "guardian"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.enrolmentCount()
			p := e.call(http.MethodPost, "/v1/enrolments", "", tt.body).want(t, tt.wantStatus).problem(t)
			if p.Type != ProblemTypeBase+tt.wantType || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("problem = %+v, want %s with a detail containing %q", p, tt.wantType, tt.wantDetail)
			}
			if after := e.enrolmentCount(); after != before {
				t.Errorf("%d enrolments after a refused start, want %d", after, before)
			}
		})
	}
}

func TestEnrolmentThrottled(t *testing.T) {
	cfg := enroltest.DefaultConfig()
	cfg.StartPerAddress = throttle.Limit{Scope: "enrol-start", Max: 1, Window: time.Hour}
	e := newEnEnv(t, enroltest.WithConfig(cfg))
	e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("T00000001", 35, 151), nil)).want(t, http.StatusCreated)
	res := e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("T00000002", 35, 152), nil)).want(t, http.StatusTooManyRequests)
	if p := res.problem(t); p.Type != ProblemTypeBase+"throttled" || !strings.Contains(p.Detail, "try again in") {
		t.Errorf("problem = %+v, want throttled, with when to try again", p)
	}
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 || s > 3600 {
		t.Errorf("Retry-After = %q, want 1 to 3600 seconds", res.header.Get("Retry-After"))
	}
}
