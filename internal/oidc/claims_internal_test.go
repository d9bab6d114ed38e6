package oidc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

func TestRequiredLevel(t *testing.T) {
	tests := []struct {
		name    string
		min     enrol.Assurance
		acr     []string
		want    enrol.Assurance
		wantErr bool
	}{
		{"nothing asked", enrol.AssuranceLow, nil, enrol.AssuranceLow, false},
		{"empty minimum means low", "", nil, enrol.AssuranceLow, false},
		{"RP minimum", enrol.AssuranceSubstantial, nil, enrol.AssuranceSubstantial, false},
		{"acr_values above minimum", enrol.AssuranceLow, []string{"high"}, enrol.AssuranceHigh, false},
		{"lowest listed value counts", enrol.AssuranceLow, []string{"high", "substantial"}, enrol.AssuranceSubstantial, false},
		{"minimum above acr_values", enrol.AssuranceHigh, []string{"low"}, enrol.AssuranceHigh, false},
		{"unknown value", enrol.AssuranceLow, []string{"low", "loa3"}, "", true},
		{"case matters", enrol.AssuranceLow, []string{"LOW"}, "", true},
	}
	for _, tt := range tests {
		got, err := requiredLevel(tt.min, tt.acr)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: requiredLevel(%q, %q) = %q, %v, want %q, error %v", tt.name, tt.min, tt.acr, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRequestedClaims(t *testing.T) {
	tests := []struct {
		scopes []string
		want   []rp.Claim
	}{
		{[]string{"openid"}, nil},
		{[]string{"openid", "profile"}, []rp.Claim{rp.ClaimName, rp.ClaimBirthdate, rp.ClaimGender}},
		{[]string{"age_over_18", "internet_number", "age_over_18", "email", "unknown"},
			[]rp.Claim{rp.ClaimInternetNumber, rp.ClaimAgeOver18}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, requestedClaims(tt.scopes)); diff != "" {
			t.Errorf("requestedClaims(%q) mismatch (-want +got):\n%s", tt.scopes, diff)
		}
	}
}

// TestReleasePolicy checks covers and released on every rule: approval,
// purpose, plaintext consent, onward consent.
func TestReleasePolicy(t *testing.T) {
	base := rp.RP{ClientID: "rp-x", ApprovedClaims: []rp.ClaimApproval{
		{Claim: rp.ClaimName, Purpose: "greet"}, {Claim: rp.ClaimAgeOver18, Purpose: "age"},
		{Claim: rp.ClaimInternetNumber, Purpose: "link"}}, MayReceiveInternetNumber: true}
	onward := base
	onward.SharesOnward = true
	noNumber := base
	noNumber.MayReceiveInternetNumber = false
	all := []rp.Claim{rp.ClaimInternetNumber, rp.ClaimName, rp.ClaimAgeOver18, rp.ClaimBirthdate}
	grant := func(plaintext, onward bool, cs ...ConsentClaim) Consent {
		return Consent{Claims: cs, Plaintext: plaintext, Onward: onward}
	}
	yes := func(c rp.Claim, purpose string) ConsentClaim {
		return ConsentClaim{Claim: c, Purpose: purpose, Granted: true}
	}
	no := func(c rp.Claim, purpose string) ConsentClaim { return ConsentClaim{Claim: c, Purpose: purpose} }
	everything := []ConsentClaim{yes(rp.ClaimName, "greet"), yes(rp.ClaimAgeOver18, "age"), yes(rp.ClaimInternetNumber, "link"),
		yes(rp.ClaimBirthdate, "forged")}

	tests := []struct {
		name        string
		rp          rp.RP
		consent     Consent
		wantCovers  bool
		wantRelease []rp.Claim
	}{
		{"nothing decided", base, Consent{}, false, nil},
		{"all granted with plaintext", base, grant(true, false, everything...), true,
			[]rp.Claim{rp.ClaimInternetNumber, rp.ClaimName, rp.ClaimAgeOver18}},
		{"identity without plaintext consent", base, grant(false, false, everything...), false,
			[]rp.Claim{rp.ClaimInternetNumber, rp.ClaimAgeOver18}},
		{"declined claims stay declined", base, grant(false, false, no(rp.ClaimName, "greet"), no(rp.ClaimAgeOver18, "age"),
			yes(rp.ClaimInternetNumber, "link")), true, []rp.Claim{rp.ClaimInternetNumber}},
		{"purpose changed", base, grant(true, false, yes(rp.ClaimName, "old purpose"), yes(rp.ClaimAgeOver18, "age"),
			yes(rp.ClaimInternetNumber, "link")), false, []rp.Claim{rp.ClaimInternetNumber, rp.ClaimAgeOver18}},
		{"onward without onward consent", onward, grant(true, false, everything...), false, nil},
		{"onward with onward consent", onward, grant(true, true, everything...), true,
			[]rp.Claim{rp.ClaimInternetNumber, rp.ClaimName, rp.ClaimAgeOver18}},
		{"onward, nothing granted", onward, grant(false, false, no(rp.ClaimName, "greet"), no(rp.ClaimAgeOver18, "age"),
			no(rp.ClaimInternetNumber, "link")), true, nil},
		{"internet number without the second yes", noNumber, grant(true, false, everything...), true,
			[]rp.Claim{rp.ClaimName, rp.ClaimAgeOver18}},
	}
	for _, tt := range tests {
		if got := covers(tt.rp, tt.consent, all); got != tt.wantCovers {
			t.Errorf("%s: covers() = %v, want %v", tt.name, got, tt.wantCovers)
		}
		if diff := cmp.Diff(tt.wantRelease, released(tt.rp, tt.consent, all)); diff != "" {
			t.Errorf("%s: released() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSurelyAged(t *testing.T) {
	now := time.Date(2025, 7, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		birth document.Date
		age   int
		want  bool
	}{
		{document.Date{Year: 2007, Month: 7, Day: 15}, 18, true},   // birthday today
		{document.Date{Year: 2007, Month: 7, Day: 16}, 18, false},  // tomorrow
		{document.Date{Year: 2007, Month: 7}, 18, false},           // July, day unknown: the 31st
		{document.Date{Year: 2007, Month: 6}, 18, true},            // June, day unknown: the 30th
		{document.Date{Year: 2007}, 18, false},                     // year only: 31 December
		{document.Date{Year: 2006}, 18, true},                      // year only, a year earlier
		{document.Date{Year: 2008, Month: 2, Day: 29}, 17, true},   // leap day, 17 on 1 March 2025
		{document.Date{Year: 2008, Month: 2, Day: 29}, 18, false},  // not yet 18
		{document.Date{Year: 1965, Month: 7, Day: 15}, 60, true},   // 60 today
		{document.Date{Year: 2011, Month: 12, Day: 31}, 14, false}, // 13
	}
	for _, tt := range tests {
		if got := surelyAged(tt.birth, tt.age, now); got != tt.want {
			t.Errorf("surelyAged(%s, %d) = %v, want %v", tt.birth, tt.age, got, tt.want)
		}
	}
}

func TestClaimValues(t *testing.T) {
	now := time.Date(2025, 7, 15, 12, 0, 0, 0, time.UTC)
	id := enrol.Identity{Name: "王芳", BirthDate: document.Date{Year: 2000, Month: 1, Day: 2}, Sex: "F",
		Nationality: "CHN", DocumentNumber: "110105200001020044"}
	yes, no := true, false
	got := claimValues([]rp.Claim{rp.ClaimInternetNumber, rp.ClaimName, rp.ClaimBirthdate, rp.ClaimGender,
		rp.ClaimNationality, rp.ClaimDocumentNumber, rp.ClaimAgeOver18, rp.ClaimAgeOver60}, "ABCDEFGHJK", id, now)
	want := releasedClaims{InternetNumber: "ABCDEFGHJK", Name: "王芳", Birthdate: "2000-01-02", Gender: "female",
		Nationality: "CHN", DocumentNumber: "110105200001020044", AgeOver18: &yes, AgeOver60: &no}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claimValues() mismatch (-want +got):\n%s", diff)
	}
	if got := claimValues([]rp.Claim{rp.ClaimAgeOver18, rp.ClaimGender}, "", enrol.Identity{Sex: "X"}, now); got != (releasedClaims{}) {
		t.Errorf("claimValues(no birth date, sex X) = %+v, want nothing released", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		issuer  string
		wantErr string
	}{
		{"https://id.example.cn", ""},
		{"https://id.example.cn/", ""},
		{"https://id.example.cn:8443", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://localhost:8080", ""},
		{"", "empty"},
		{"http://id.example.cn", "https"},
		{"https://id.example.cn/netid", "path"},
		{"https://id.example.cn?x=1", "path, query"},
		{"https://id.example.cn#f", "path, query"},
		{"https://user@id.example.cn", "user"},
		{"id.example.cn", "absolute"},
	}
	for _, tt := range tests {
		err := Config{Issuer: tt.issuer}.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tt.issuer, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Validate(%q) = %v, want an error about %q", tt.issuer, err, tt.wantErr)
		}
	}
	err := Config{Issuer: "https://x.example", CodeLifetime: time.Hour, SessionLifetime: -time.Second}.Validate()
	if err == nil || !strings.Contains(err.Error(), "CodeLifetime") || !strings.Contains(err.Error(), "SessionLifetime") {
		t.Errorf("Validate(bad lifetimes) = %v, want both problems reported", err)
	}
}

// TestIDTokenClaimsJSON pins the wire format of ID token claims: the
// result-only fields always, released claims only when set, in this order.
func TestIDTokenClaimsJSON(t *testing.T) {
	yes := true
	tests := []struct {
		name   string
		claims idTokenClaims
		want   string
	}{
		{"result only", idTokenClaims{Issuer: "https://id.example.cn", Subject: "sub", Audience: "rp-1", Expiry: 1700000600,
			IssuedAt: 1700000000, AuthTime: 1699999990, ACR: "low", AMR: []string{"pwd"}, AZP: "rp-1"},
			`{"iss":"https://id.example.cn","sub":"sub","aud":"rp-1","exp":1700000600,"iat":1700000000,` +
				`"auth_time":1699999990,"acr":"low","amr":["pwd"],"azp":"rp-1"}`},
		{"with nonce, at_hash and claims", idTokenClaims{Issuer: "https://id.example.cn", Subject: "sub", Audience: "rp-1",
			Expiry: 1, IssuedAt: 1, AuthTime: 1, Nonce: "n", ACR: "low", AMR: []string{"pwd"}, AZP: "rp-1", ATHash: "h",
			releasedClaims: releasedClaims{InternetNumber: "ABCDEFGHJK", Name: "王芳", AgeOver18: &yes}},
			`{"iss":"https://id.example.cn","sub":"sub","aud":"rp-1","exp":1,"iat":1,"auth_time":1,"nonce":"n",` +
				`"acr":"low","amr":["pwd"],"azp":"rp-1","at_hash":"h","internet_number":"ABCDEFGHJK","name":"王芳","age_over_18":true}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(&tt.claims)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%s: JSON =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}
