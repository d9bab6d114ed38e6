package rp

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/enrol"
)

func TestCheckRedirectURI(t *testing.T) {
	tests := []struct {
		uri     string
		wantErr string
	}{
		{"https://shop.example/cb", ""},
		{"https://shop.example:8443/oidc/cb?tenant=1", ""},
		{"http://127.0.0.1:5000/cb", ""},
		{"http://localhost/cb", ""},
		{"http://[::1]:8080/cb", ""},
		{"", "empty"},
		{"http://shop.example/cb", "only https"},
		{"https://shop.example/cb#frag", "fragment"},
		{"https://shop.example/cb#", "fragment"},
		{"https://user:pw@shop.example/cb", "user information"},
		{"/cb", "absolute"},
		{"https:///cb", "no host"},
		{"com.example.app:/cb", "no host"},
		{"javascript:alert(1)", "absolute"},
		{"ftp://shop.example/cb", "scheme"},
		{"https://shop.example/" + strings.Repeat("a", MaxURILen), "long"},
		{"https://shop.example/%zz", "not a URL"},
	}
	for _, tt := range tests {
		err := CheckRedirectURI(tt.uri)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("CheckRedirectURI(%q) = %v, want nil", tt.uri, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("CheckRedirectURI(%q) = %v, want an error about %q", tt.uri, err, tt.wantErr)
		}
	}
}

func TestNormalizeSector(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"Shop.Example.", "shop.example", false},
		{" tax.gov.cn ", "tax.gov.cn", false},
		{"127.0.0.1", "127.0.0.1", false},
		{"xn--fiqs8s.example", "xn--fiqs8s.example", false},
		{"", "", true},
		{"shop..example", "", true},
		{"-shop.example", "", true},
		{"shop_example", "", true},
		{"shop.example/path", "", true},
		{"商店.example", "", true},
		{strings.Repeat("a", 64) + ".example", "", true},
	}
	for _, tt := range tests {
		got, err := NormalizeSector(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeSector(%q) = %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseClaimApproval(t *testing.T) {
	tests := []struct {
		in      string
		want    ClaimApproval
		wantErr string
	}{
		{"age_over_18=age rating of games", ClaimApproval{ClaimAgeOver18, "age rating of games"}, ""},
		{" name = 称呼您 = with an equals sign ", ClaimApproval{ClaimName, "称呼您 = with an equals sign"}, ""},
		{"name", ClaimApproval{}, "want claim=purpose"},
		{"email=newsletter", ClaimApproval{}, "unknown claim"},
		{"name=", ClaimApproval{}, "empty"},
		{"name=line\nbreak", ClaimApproval{}, "control"},
		{"name=" + strings.Repeat("x", MaxPurposeLen+1), ClaimApproval{}, "long"},
		{"name=\xff", ClaimApproval{}, "UTF-8"},
	}
	for _, tt := range tests {
		got, err := ParseClaimApproval(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseClaimApproval(%q) error = %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid)):
			t.Errorf("ParseClaimApproval(%q) = %v, want an ErrInvalid about %q", tt.in, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("ParseClaimApproval(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestRegistrationNormalize(t *testing.T) {
	good := Registration{Name: " Shop ", RedirectURIs: []string{"https://Shop.example/cb", "https://shop.example/cb2"},
		ApprovedClaims: []ClaimApproval{{ClaimAgeOver18, " age "}}}
	got, err := good.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	want := Registration{Name: "Shop", RedirectURIs: good.RedirectURIs, Sector: "shop.example",
		ApprovedClaims: []ClaimApproval{{ClaimAgeOver18, "age"}}, MinAssurance: enrol.AssuranceLow}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Normalize() mismatch (-want +got):\n%s", diff)
	}

	bad := Registration{
		Name:                     "",
		RedirectURIs:             []string{"https://a.example/cb", "https://b.example/cb", "https://a.example/cb"},
		PostLogoutRedirectURIs:   []string{"http://a.example/bye"},
		ApprovedClaims:           []ClaimApproval{{"email", "x"}, {ClaimName, ""}, {ClaimName, "again"}, {ClaimInternetNumber, "link"}},
		MayReceiveInternetNumber: false,
		MinAssurance:             "extreme",
	}
	_, err = bad.Normalize()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Normalize(bad) = %v, want ErrInvalid", err)
	}
	for _, want := range []string{"name is empty", "listed twice", "post-logout redirect URI", "several hosts",
		"unknown claim", "purpose is empty", "approved twice", "not marked as one that may receive", "minimum assurance"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Normalize(bad) error does not mention %q:\n%v", want, err)
		}
	}
	if _, err := (Registration{Name: "x", RedirectURIs: []string{"https://a.example/cb"}, MayReceiveInternetNumber: true}).Normalize(); err == nil ||
		!strings.Contains(err.Error(), "is not an approved claim") {
		t.Errorf("Normalize(internet number without the claim) = %v, want an error", err)
	}
	if _, err := (Registration{Name: "x"}).Normalize(); err == nil || !strings.Contains(err.Error(), "at least one redirect URI") {
		t.Errorf("Normalize(no redirect URI) = %v, want an error", err)
	}
}

func TestApproval(t *testing.T) {
	r := RP{ApprovedClaims: []ClaimApproval{{ClaimInternetNumber, "link"}, {ClaimName, "greet"}}}
	if _, ok := r.Approval(ClaimInternetNumber); ok {
		t.Error("Approval(internet_number) without MayReceiveInternetNumber = ok, want refused")
	}
	r.MayReceiveInternetNumber = true
	if a, ok := r.Approval(ClaimInternetNumber); !ok || a.Purpose != "link" {
		t.Errorf("Approval(internet_number) = %+v, %v, want the approval", a, ok)
	}
	if _, ok := r.Approval(ClaimBirthdate); ok {
		t.Error("Approval(birthdate) = ok, want refused (not approved)")
	}
}

func TestSecretMatches(t *testing.T) {
	r := RP{SecretHash: SecretHash("s3cret")}
	for secret, want := range map[string]bool{"s3cret": true, "s3cre": false, "s3cret ": false, "": false} {
		if got := r.SecretMatches(secret); got != want {
			t.Errorf("SecretMatches(%q) = %v, want %v", secret, got, want)
		}
	}
	if (RP{}).SecretMatches("") {
		t.Error("an RP without a secret hash matches the empty secret")
	}
}

func FuzzCheckRedirectURI(f *testing.F) {
	for _, seed := range []string{"https://shop.example/cb", "http://127.0.0.1:1/x", "https://a#b", "http://evil.example", "//x", ":", "https://[::1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckRedirectURI(s) != nil {
			return
		}
		// Whatever is accepted is an absolute http(s) URL without a
		// fragment or user information (the scheme in any case: RFC 3986
		// section 3.1).
		scheme := strings.ToLower(s[:min(len(s), len("https://"))])
		if !strings.HasPrefix(scheme, "https://") && !strings.HasPrefix(scheme, "http://") || strings.Contains(s, "#") {
			t.Errorf("CheckRedirectURI(%q) = nil for a URI a redirect must not have", s)
		}
	})
}

func FuzzNormalizeSector(f *testing.F) {
	for _, seed := range []string{"shop.example", "Shop.Example.", "a..b", "-x", "127.0.0.1", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeSector(s)
		if err != nil {
			return
		}
		again, err := NormalizeSector(got)
		if err != nil || again != got || strings.ContainsAny(got, "\x00/ ") {
			t.Errorf("NormalizeSector(%q) = %q, not a fixed point (%q, %v)", s, got, again, err)
		}
	})
}

func FuzzParseClaimApproval(f *testing.F) {
	for _, seed := range []string{"name=greeting", "age_over_18=", "=x", "internet_number=link = twice", "x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseClaimApproval(s)
		if err != nil {
			return
		}
		if a.Claim.Class() == ClassUnknown || checkPurpose(a.Purpose) != nil {
			t.Errorf("ParseClaimApproval(%q) = %+v, accepted something invalid", s, a)
		}
	})
}
