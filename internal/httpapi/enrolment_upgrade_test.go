package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// upgradeConfig gives the assisted pathway the ceiling low, so that an
// upgrade by a document (which grants at most substantial) raises it.
func upgradeConfig() enrol.Config {
	cfg := enroltest.DefaultConfig()
	cfg.AssistedCeiling = enrol.AssuranceLow
	return cfg
}

// enrolAssisted has a registrar start an assisted enrolment of a person
// born age years ago, and the resident's wallet finish it without a phone.
func (e *enEnv) enrolAssisted(registrarToken, reference string, age int, seed uint64) completedResponse {
	e.t.Helper()
	body := map[string]any{"evidence": map[string]any{
		"kind": "refugee-registration", "reference": reference, "issuer": "UNHCR",
		"name": "AMINA TEST", "birth_date": e.BirthForAge(age).String(), "sex": "F",
	}}
	w := e.wallet(e.call(http.MethodPost, "/v1/assisted-enrolments", registrarToken, body))
	return w.run("", seed)
}

// upgradeBody is the body of an upgrade of the account number with
// password, evidence (the "evidence" member of chipBody or of an
// authority start) and face (from upgradeFace).
func upgradeBody(number, password string, evidence, face any) map[string]any {
	return map[string]any{
		"resident": map[string]any{"internet_number": number, "password": password},
		"evidence": evidence,
		"face":     face,
	}
}

// upgradeChallenge asks for an upgrade challenge of the account number
// (password enPassword).
func (e *enEnv) upgradeChallenge(number string) upgradeChallengeResponse {
	e.t.Helper()
	var ch upgradeChallengeResponse
	e.call(http.MethodPost, "/v1/residents/upgrade/challenge", "", map[string]any{
		"resident": map[string]any{"internet_number": number, "password": enPassword},
	}).want(e.t, http.StatusOK).into(e.t, &ch)
	return ch
}

// faceMember is the "face" member of an upgrade: img, attested live for
// attestedFor, sent with challenge.
func (e *enEnv) faceMember(challenge string, img []byte, attestedFor string) map[string]any {
	e.t.Helper()
	return map[string]any{"challenge": challenge, "image": base64.StdEncoding.EncodeToString(img),
		"format": "image/jpeg", "liveness": string(e.Attest(img, attestedFor, 0.99).Liveness)}
}

// upgradeFace takes a challenge for the account number and returns the
// "face" member of a live capture of portrait seed for it.
func (e *enEnv) upgradeFace(number string, seed uint64) map[string]any {
	e.t.Helper()
	ch := e.upgradeChallenge(number).Challenge
	return e.faceMember(ch, enroltest.LiveCapture(e.t, seed, 2), ch)
}

func chipEvidence(doc *testdoc.Document) map[string]any {
	return map[string]any{"chip": doc.Chip, "printed_mrz": doc.PrintedMRZ}
}

// accountState is what an upgrade may change in the store: the record's
// version, pathway and ceiling, and the number of identity anchors.
type accountState struct {
	version int64
	pathway enrol.Pathway
	ceiling enrol.Assurance
	anchors int
}

func (e *enEnv) accountState(number string) accountState {
	e.t.Helper()
	ctx := context.Background()
	r, err := e.Store.ResidentByNumber(ctx, number)
	if err != nil {
		e.t.Fatal(err)
	}
	anchors, err := e.Store.IdentityAnchorsOf(ctx, r.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return accountState{version: r.Version, pathway: r.Pathway, ceiling: r.Ceiling, anchors: len(anchors)}
}

// TestUpgradeOverHTTP takes an assisted account, refuses the upgrades it
// must refuse without changing anything, then upgrades it with the
// holder's passport: same internet number, pathway document-chip, ceiling
// raised from low to substantial; the passport can no longer enrol.
func TestUpgradeOverHTTP(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t, enroltest.WithConfig(upgradeConfig()))
	_, registrarToken, err := e.Service.CreateRegistrar(ctx, "Registrar office 1")
	if err != nil {
		t.Fatal(err)
	}
	assisted := e.enrolAssisted(registrarToken, "UNHCR-123-456", 29, 71)
	if assisted.Pathway != "assisted" || assisted.AssuranceCeiling != "low" {
		t.Fatalf("assisted enrolment: pathway %q ceiling %q, want assisted, low", assisted.Pathway, assisted.AssuranceCeiling)
	}
	number := assisted.InternetNumber
	passport := e.Passport("U00000001", 29, 72) // the holder's: same birth date
	otherDoc := e.Passport("U00000002", 35, 73)
	e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(otherDoc, nil))).run("13800138073", 73)
	tampered := e.Passport("U00000003", 29, 74, testdoc.TamperedGroup(1))
	otherBirth := map[string]any{"authority": map[string]any{ // valid, but born 40 years ago
		"doc_type": "resident-id-card", "number": e.card.Number, "name": e.card.Name, "birth_date": e.card.Birth.String()}}
	minor := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport("U00000004", 16, 75), nil))).
		run("13800138075", 75)
	if minor.Status != "pending-guardian" {
		t.Fatalf("minor status %q, want pending-guardian", minor.Status)
	}
	unknown, err := credential.NewInternetNumber(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	holderFace := e.upgradeFace(number, 72) // the passport's portrait
	othersFace := e.upgradeFace(number, 73) // otherDoc's: the face matches, the document is taken
	noChallenge := e.upgradeFace(number, 72)
	noChallenge["challenge"] = ""
	badImage := e.upgradeFace(number, 72)
	badImage["image"] = "!!"

	tests := []struct {
		name        string
		contentType string // "" means application/json
		body        any    // a string is sent as is
		wantStatus  int
		wantType    string
		wantDetail  string
	}{
		{"wrong password", "", upgradeBody(number, "not the password at all", chipEvidence(passport), holderFace), 401, "bad-credentials", "incorrect"},
		{"unknown number", "", upgradeBody(string(unknown), enPassword, chipEvidence(passport), holderFace), 401, "bad-credentials", "incorrect"},
		{"pending minor", "", upgradeBody(minor.InternetNumber, enPassword, chipEvidence(passport), holderFace), 403, "account-pending", "guardian's approval"},
		{"another account's document", "", upgradeBody(number, enPassword, chipEvidence(otherDoc), othersFace), 409, "duplicate-identity", "another internet number"},
		{"tampered chip", "", upgradeBody(number, enPassword, chipEvidence(tampered), holderFace), 422, "evidence-refused", "integrity check"},
		{"another birth date", "", upgradeBody(number, enPassword, otherBirth, holderFace), 422, "upgrade-mismatch", "does not match the account"},
		{"no resident", "", map[string]any{"evidence": chipEvidence(passport), "face": holderFace}, 400, "bad-request", "resident: required"},
		{"no password", "", map[string]any{"resident": map[string]any{"internet_number": number}, "evidence": chipEvidence(passport), "face": holderFace},
			400, "bad-request", "resident.password: required"},
		{"no evidence", "", map[string]any{"resident": map[string]any{"internet_number": number, "password": enPassword}, "face": holderFace},
			400, "bad-request", "evidence: required"},
		{"chip and authority", "", upgradeBody(number, enPassword, map[string]any{"chip": passport.Chip, "authority": otherBirth["authority"]}, holderFace),
			400, "bad-request", "not both"},
		{"unknown member", "", func() map[string]any {
			b := upgradeBody(number, enPassword, chipEvidence(passport), holderFace)
			b["pathway"] = "document-chip"
			return b
		}(), 400, "bad-request", `unknown member "pathway"`},
		{"duplicate password", "", `{"resident":{"internet_number":"` + number + `","password":"a","password":"b"},"evidence":{}}`,
			400, "bad-request", `"password" appears twice in resident`},
		{"no face", "", upgradeBody(number, enPassword, chipEvidence(passport), nil), 400, "bad-request", "face: required"},
		{"face without challenge", "", upgradeBody(number, enPassword, chipEvidence(passport), noChallenge), 400, "bad-request", "face.challenge: required"},
		{"face image not base64", "", upgradeBody(number, enPassword, chipEvidence(passport), badImage), 400, "bad-request", "face.image: not standard padded base64"},
		{"not JSON", "", `{"resident": `, 400, "bad-request", "not valid JSON"},
		{"wrong member type", "", `{"resident":{"internet_number":1,"password":"x"},"evidence":{}}`, 400, "bad-request", "want a string"},
		{"wrong content type", "text/plain", upgradeBody(number, enPassword, chipEvidence(passport), holderFace), 415, "unsupported-media-type", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.accountState(number)
			body, ok := tt.body.(string)
			if !ok {
				b, err := json.Marshal(tt.body)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			req, err := http.NewRequest(http.MethodPost, e.http.URL+"/v1/residents/upgrade", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			p := e.do(req).want(t, tt.wantStatus).problem(t)
			if p.Type != ProblemTypeBase+tt.wantType || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("problem = %+v, want %s with a detail containing %q", p, tt.wantType, tt.wantDetail)
			}
			if after := e.accountState(number); after != before {
				t.Errorf("account after a refused upgrade = %+v, want %+v unchanged", after, before)
			}
		})
	}

	var up upgradedResponse
	e.call(http.MethodPost, "/v1/residents/upgrade", "", upgradeBody(assisted.InternetNumberDisplay, enPassword, chipEvidence(passport), holderFace)).
		want(t, http.StatusOK).into(t, &up)
	want := upgradedResponse{InternetNumber: number, Pathway: "document-chip", AssuranceCeiling: "substantial"}
	if up != want {
		t.Errorf("upgrade = %+v, want %+v", up, want)
	}
	got := e.accountState(number)
	if got.pathway != enrol.PathwayChip || got.ceiling != enrol.AssuranceSubstantial || got.anchors != 2 {
		t.Errorf("stored account = %+v, want document-chip, substantial, 2 anchors (registration and passport)", got)
	}
	// Again with the same passport: nothing changes, and it succeeds.
	var again upgradedResponse
	e.call(http.MethodPost, "/v1/residents/upgrade", "", upgradeBody(number, enPassword, chipEvidence(passport), e.upgradeFace(number, 72))).
		want(t, http.StatusOK).into(t, &again)
	if again != want || e.accountState(number) != got {
		t.Errorf("second upgrade = %+v, account %+v; want %+v and %+v unchanged", again, e.accountState(number), want, got)
	}
	// The passport is the account's now: it cannot start an enrolment.
	p := e.call(http.MethodPost, "/v1/enrolments", "", chipBody(passport, nil)).want(t, http.StatusConflict).problem(t)
	if p.Type != ProblemTypeBase+"duplicate-identity" {
		t.Errorf("enrolment with the upgrade passport = %+v, want duplicate-identity", p)
	}
	if logs := e.logs.String(); strings.Contains(logs, enPassword) || strings.Contains(logs, "not the password at all") {
		t.Error("a password is in the logs")
	}
}

// An assisted account upgraded with a document its issuing authority
// verifies gets the pathway document-authority.
func TestUpgradeByAuthority(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t, enroltest.WithConfig(upgradeConfig()))
	_, registrarToken, err := e.Service.CreateRegistrar(ctx, "Registrar office 2")
	if err != nil {
		t.Fatal(err)
	}
	assisted := e.enrolAssisted(registrarToken, "UNHCR-777", 40, 81) // born the day of e.card
	card := map[string]any{"authority": map[string]any{
		"doc_type": "resident-id-card", "number": e.card.Number, "name": e.card.Name, "birth_date": e.card.Birth.String()}}
	var up upgradedResponse
	e.call(http.MethodPost, "/v1/residents/upgrade", "", upgradeBody(assisted.InternetNumber, enPassword, card, e.upgradeFace(assisted.InternetNumber, 81))).
		want(t, http.StatusOK).into(t, &up)
	want := upgradedResponse{InternetNumber: assisted.InternetNumber, Pathway: "document-authority", AssuranceCeiling: "substantial"}
	if up != want {
		t.Errorf("upgrade = %+v, want %+v", up, want)
	}
}

// Upgrades log in with the resident's password, under the login limits:
// past the per-account limit the answer is 429 with Retry-After, even with
// the right password, and nothing is upgraded.
func TestUpgradeThrottled(t *testing.T) {
	ctx := context.Background()
	e := newEnEnv(t, enroltest.WithConfig(upgradeConfig()))
	_, registrarToken, err := e.Service.CreateRegistrar(ctx, "Registrar office 3")
	if err != nil {
		t.Fatal(err)
	}
	assisted := e.enrolAssisted(registrarToken, "UNHCR-999", 29, 91)
	passport := e.Passport("V00000001", 29, 92)
	face := e.upgradeFace(assisted.InternetNumber, 92)
	limit := enroltest.DefaultConfig().LoginPerAccount.Max
	for i := range limit {
		e.call(http.MethodPost, "/v1/residents/upgrade", "", upgradeBody(assisted.InternetNumber, "wrong password "+strconv.Itoa(i), chipEvidence(passport), face)).
			want(t, http.StatusUnauthorized)
	}
	res := e.call(http.MethodPost, "/v1/residents/upgrade", "", upgradeBody(assisted.InternetNumber, enPassword, chipEvidence(passport), face)).
		want(t, http.StatusTooManyRequests)
	if p := res.problem(t); p.Type != ProblemTypeBase+"throttled" {
		t.Errorf("problem = %+v, want throttled", p)
	}
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", res.header.Get("Retry-After"))
	}
	if got := e.accountState(assisted.InternetNumber); got.pathway != enrol.PathwayAssisted || got.anchors != 1 {
		t.Errorf("account after the throttled upgrade = %+v, want still assisted with 1 anchor", got)
	}
}
