package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
)

func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// docOperations lists "METHOD /path" for every operation of the document.
func docOperations(doc map[string]any) []string {
	var out []string
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		for key := range item.(map[string]any) {
			switch key {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				out = append(out, strings.ToUpper(key)+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIMatchesRoutes checks the document against the route tables
// (enrolment and presentations) in both directions, and against the mux
// that MountEnrolment and MountPresentations fill (newEnEnv mounts both): every
// documented operation is served by its own pattern, and no other method
// is served on a documented path.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := openAPIDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	var table []string
	routes := append((&enrolmentHandlers{}).routes(), (&Server{}).presentationRoutes(PresentationAPI{})...)
	for _, rt := range routes {
		table = append(table, rt.Method+" "+rt.Path)
	}
	sort.Strings(table)
	if diff := cmp.Diff(table, docOperations(doc)); diff != "" {
		t.Errorf("route table vs openapi.json paths (-table +document):\n%s", diff)
	}

	e := newEnEnv(t)
	for _, op := range docOperations(doc) {
		method, path, _ := strings.Cut(op, " ")
		concrete := strings.ReplaceAll(path, "{id}", "some-id")
		if _, pattern := e.server.mux.Handler(httptest.NewRequest(method, concrete, nil)); pattern != op {
			t.Errorf("%s %s is routed to %q, want %q", method, concrete, pattern, op)
		}
		for _, other := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if other == method || slices.Contains(docOperations(doc), other+" "+path) {
				continue
			}
			if _, pattern := e.server.mux.Handler(httptest.NewRequest(other, concrete, nil)); pattern != "" {
				t.Errorf("%s %s is served by %q, which openapi.json does not document", other, concrete, pattern)
			}
		}
	}

	res := e.call(http.MethodGet, "/v1/openapi.json", "", nil).want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "application/json" || string(res.body) != string(openAPIDocument) {
		t.Errorf("GET /v1/openapi.json: Content-Type %q, %d bytes; want application/json and the embedded document", ct, len(res.body))
	}
}

// TestOpenAPIPresentationUnauthorized sends the presentation route a
// request without credentials through the enEnv server, whose do checks
// that the status is documented, and checks the Basic challenge.
func TestOpenAPIPresentationUnauthorized(t *testing.T) {
	e := newEnEnv(t)
	res := e.call(http.MethodPost, "/v1/presentations/verify", "", presentationRequest{Presentation: "NETID1:AAAA", Challenge: "c"}).
		want(t, http.StatusUnauthorized)
	if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("WWW-Authenticate = %q, want a Basic challenge", got)
	}
	if p := res.problem(t); p.Type != ProblemTypeBase+"unauthorized" {
		t.Errorf("problem type = %q, want %q", p.Type, ProblemTypeBase+"unauthorized")
	}
}

// TestOpenAPIStructure checks what a generator or a reader relies on:
// every $ref resolves, operation ids are unique, every operation answers
// a success and lists its problems as application/problem+json, the
// routes of an enrolment take its bearer token, and the presentation
// route a relying party's HTTP Basic credentials.
func TestOpenAPIStructure(t *testing.T) {
	doc := openAPIDoc(t)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				target := docLookup(doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...)
				if !strings.HasPrefix(ref, "#/") || target == nil {
					t.Errorf("%s: $ref %q does not resolve", path, ref)
				}
			}
			for k, inner := range x {
				walk(path+"/"+k, inner)
			}
		case []any:
			for _, inner := range x {
				walk(path+"[]", inner)
			}
		}
	}
	walk("#", doc)

	ids := map[string]bool{}
	for _, op := range docOperations(doc) {
		method, path, _ := strings.Cut(op, " ")
		o := docLookup(doc, "paths", path, strings.ToLower(method)).(map[string]any)
		id, _ := o["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or repeated", op, id)
		}
		ids[id] = true
		responses, _ := o["responses"].(map[string]any)
		success := 0
		for code, r := range responses {
			if strings.HasPrefix(code, "2") {
				success++
				continue
			}
			resolved := r.(map[string]any)
			if ref, ok := resolved["$ref"].(string); ok {
				resolved, _ = docLookup(doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...).(map[string]any)
			}
			if docLookup(resolved, "content", "application/problem+json", "schema", "$ref") != "#/components/schemas/Problem" {
				t.Errorf("%s %s: not an application/problem+json Problem", op, code)
			}
		}
		if success != 1 {
			t.Errorf("%s: %d success responses, want 1", op, success)
		}
		if path == "/v1/openapi.json" {
			continue
		}
		for _, code := range []string{"400", "500"} {
			if _, ok := responses[code]; !ok {
				t.Errorf("%s: no %s response", op, code)
			}
		}
		security, _ := json.Marshal(o["security"])
		if strings.HasPrefix(path, "/v1/enrolments/{id}") {
			if string(security) != `[{"enrolmentToken":[]}]` {
				t.Errorf("%s: security %s, want the enrolment token", op, security)
			}
			for _, code := range []string{"401", "404", "410"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s: no %s response", op, code)
				}
			}
		}
		if strings.HasPrefix(path, "/v1/presentations/") {
			if string(security) != `[{"basicAuth":[]}]` {
				t.Errorf("%s: security %s, want basicAuth", op, security)
			}
			for _, code := range []string{"401", "403", "422"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s: no %s response", op, code)
				}
			}
			unauthorized, _ := responses["401"].(map[string]any)
			if ref, ok := unauthorized["$ref"].(string); ok {
				unauthorized, _ = docLookup(doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...).(map[string]any)
			}
			if docLookup(unauthorized, "headers", "WWW-Authenticate") == nil {
				t.Errorf("%s: its 401 response does not document WWW-Authenticate", op)
			}
		}
		if method == http.MethodPost {
			for _, code := range []string{"413", "415"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s: no %s response, though it reads a body", op, code)
				}
			}
		}
	}

	// The schemes the document declares are the ones its operations use.
	var used []string
	for _, op := range docOperations(doc) {
		method, path, _ := strings.Cut(op, " ")
		reqs, _ := docLookup(doc, "paths", path, strings.ToLower(method), "security").([]any)
		for _, req := range reqs {
			for _, name := range docKeys(req) {
				if !slices.Contains(used, name) {
					used = append(used, name)
				}
			}
		}
	}
	sort.Strings(used)
	if diff := cmp.Diff(used, docKeys(docLookup(doc, "components", "securitySchemes"))); diff != "" {
		t.Errorf("security schemes used vs declared (-used +declared):\n%s", diff)
	}
	if got := docLookup(doc, "components", "securitySchemes", "basicAuth", "scheme"); got != "basic" {
		t.Errorf("basicAuth scheme = %v, want basic", got)
	}
}

// jsonMembers lists the JSON member names of struct type v, and those
// without omitempty.
func jsonMembers(v any) (all, always []string) {
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, opts, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

func docStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		out = append(out, s.(string))
	}
	sort.Strings(out)
	return out
}

func docKeys(v any) []string {
	var out []string
	m, _ := v.(map[string]any)
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPISchemasMatchTypes checks each schema's members against the Go
// type the handlers decode or encode, so that neither drifts alone. For a
// response the required members are the ones always sent.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := openAPIDoc(t)
	schemas := docLookup(doc, "components", "schemas").(map[string]any)
	tests := []struct {
		schema   []string // path under components/schemas
		goType   any
		response bool
	}{
		{[]string{"StartRequest"}, startRequest{}, false},
		{[]string{"AssistedStartRequest"}, assistedRequest{}, false},
		{[]string{"AssistedEvidence"}, assistedEvidenceJSON{}, false},
		{[]string{"GuardianApplication"}, guardianJSON{}, false},
		{[]string{"AuthorityEvidence", "properties", "authority"}, authorityJSON{}, false},
		{[]string{"ChipDump"}, chipDumpJSON{}, false},
		{[]string{"PhoneCodeRequest"}, phoneSendRequest{}, false},
		{[]string{"PhoneVerifyRequest"}, phoneVerifyRequest{}, false},
		{[]string{"FaceRequest"}, faceRequest{}, false},
		{[]string{"PasswordRequest"}, passwordRequest{}, false},
		{[]string{"CompleteRequest"}, completeRequest{}, false},
		{[]string{"ApprovalRequest"}, approvalRequest{}, false},
		{[]string{"GuardianCredentials"}, credentialsJSON{}, false},
		{[]string{"ResidentCredentials"}, credentialsJSON{}, false},
		{[]string{"UpgradeRequest"}, upgradeRequest{}, false},
		{[]string{"UpgradeFace"}, upgradeFaceJSON{}, false},
		{[]string{"UpgradeChallengeRequest"}, upgradeChallengeRequest{}, false},
		{[]string{"UpgradeChallenge"}, upgradeChallengeResponse{}, true},
		{[]string{"Upgraded"}, upgradedResponse{}, true},
		{[]string{"Started"}, startedResponse{}, true},
		{[]string{"Status"}, statusResponse{}, true},
		{[]string{"PhoneChallenge"}, phoneChallengeResponse{}, true},
		{[]string{"FaceChallenge"}, faceChallengeResponse{}, true},
		{[]string{"FaceResult"}, faceResultResponse{}, true},
		{[]string{"Opening"}, openingJSON{}, true},
		{[]string{"DynamicCode"}, dynamicCodeJSON{}, true},
		{[]string{"Completed"}, completedResponse{}, true},
		{[]string{"ApprovalResult"}, approvalResponse{}, true},
		{[]string{"PresentationRequest"}, presentationRequest{}, false},
		{[]string{"PresentationResult"}, presentationResponse{}, true},
		{[]string{"Problem"}, Problem{}, true},
	}
	for _, tt := range tests {
		name := strings.Join(tt.schema, ".")
		t.Run(name, func(t *testing.T) {
			s, _ := docLookup(schemas, tt.schema...).(map[string]any)
			if s == nil {
				t.Fatalf("no schema %s", name)
			}
			all, always := jsonMembers(tt.goType)
			if diff := cmp.Diff(all, docKeys(s["properties"])); diff != "" {
				t.Errorf("members of %T vs schema %s (-Go +document):\n%s", tt.goType, name, diff)
			}
			required := docStrings(s["required"])
			if tt.response {
				if diff := cmp.Diff(always, required); diff != "" {
					t.Errorf("members %T always sends vs required in %s (-Go +document):\n%s", tt.goType, name, diff)
				}
			}
			for _, r := range required {
				if !slices.Contains(all, r) {
					t.Errorf("schema %s requires %q, which %T does not have", name, r, tt.goType)
				}
			}
		})
	}

	// The document types of the authority pathway are package document's.
	var want []string
	for _, info := range document.DocTypes() {
		if info.Type.Accepts(document.EvidenceAuthority) {
			want = append(want, string(info.Type))
		}
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, docStrings(docLookup(schemas, "DocType", "enum"))); diff != "" {
		t.Errorf("DocType enum vs document types verified by their authority (-Go +document):\n%s", diff)
	}
	enums := map[string][]string{
		"Step":                 {string(enrol.StepPhone), string(enrol.StepFace), string(enrol.StepPassword), string(enrol.StepComplete), string(enrol.StepNone)},
		"State":                {string(enrol.StateCreated), string(enrol.StatePhoneVerified), string(enrol.StateFaceVerified), string(enrol.StatePasswordSet), string(enrol.StateCompleted)},
		"AgeGroup":             {string(enrol.AgeChild), string(enrol.AgeMinor), string(enrol.AgeAdult)},
		"Pathway":              {string(enrol.PathwayChip), string(enrol.PathwayAuthority), string(enrol.PathwayAssisted)},
		"Relationship":         {string(enrol.RelationshipParent), string(enrol.RelationshipLegalGuardian)},
		"GuardianEvidenceKind": {string(enrol.GuardianEvidenceHouseholdRegister), string(enrol.GuardianEvidenceBirthCertificate), string(enrol.GuardianEvidenceCourtOrder), string(enrol.GuardianEvidenceOther)},
		"AssistedKind": {string(enrol.AssistedRefugeeRegistration), string(enrol.AssistedAsylumRegistration), string(enrol.AssistedBirthCertificate),
			string(enrol.AssistedAttestation), string(enrol.AssistedOther)},
	}
	for name, want := range enums {
		sort.Strings(want)
		if diff := cmp.Diff(want, docStrings(docLookup(schemas, name, "enum"))); diff != "" {
			t.Errorf("%s enum vs package enrol (-Go +document):\n%s", name, diff)
		}
	}
}

func TestMountEnrolmentNeedsDependencies(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MountEnrolment without Enrol and CA did not panic")
		}
	}()
	New(DefaultConfig(), slog.New(slog.DiscardHandler)).MountEnrolment(EnrolmentAPI{})
}
