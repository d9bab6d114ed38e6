package rp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/netid/netid/internal/enrol"
)

// Limits of a registration.
const (
	MaxNameLen     = 200
	MaxURIs        = 20
	MaxURILen      = 2000
	MaxSectorLen   = 253
	maxClaimsCount = 64
)

// CheckRedirectURI reports what is wrong with a redirect URI (or a
// post-logout redirect URI): it must be an absolute https URL without a
// fragment or user information (RFC 6749 section 3.1.2), or an http URL of
// a loopback host (127.0.0.0/8, ::1, localhost) for development and tests
// on one machine (RFC 8252 section 7.3). The URI is matched exactly at
// authorization, so it is not normalised here: what the operator types is
// what the RP must send.
func CheckRedirectURI(s string) error {
	if s == "" {
		return errors.New("empty URI")
	}
	if len(s) > MaxURILen {
		return fmt.Errorf("URI is %d bytes long, more than %d", len(s), MaxURILen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	switch {
	case !u.IsAbs() || u.Opaque != "":
		return fmt.Errorf("%q is not an absolute URL", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q has a fragment, which a redirect URI must not have", s)
	case u.User != nil:
		return fmt.Errorf("%q contains user information", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q uses http: only https is allowed, except for loopback hosts", s)
	}
	return fmt.Errorf("%q has scheme %q: only https is allowed", s, u.Scheme)
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NormalizeSector returns the sector in canonical form (lower case, no
// trailing dot) or an error: a DNS host name of letters, digits, hyphens
// and dots, as the host of a sector_identifier_uri would be (OpenID Connect
// Core section 8.1).
func NormalizeSector(s string) (string, error) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "" {
		return "", errors.New("empty sector")
	}
	if len(s) > MaxSectorLen {
		return "", fmt.Errorf("sector is %d bytes long, more than %d", len(s), MaxSectorLen)
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("sector %q is not a host name", s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Errorf("sector %q is not a host name", s)
			}
		}
	}
	return s, nil
}

// defaultSector is the one host of uris, or "" when they name several (or
// none).
func defaultSector(uris []string) string {
	host := ""
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		h := strings.ToLower(u.Hostname())
		if host != "" && h != host {
			return ""
		}
		host = h
	}
	return host
}

// Normalize returns reg with its defaults applied (sector from the redirect
// URIs, minimum assurance low, name and purposes trimmed) and checks it.
// The error lists every broken rule, each wrapping ErrInvalid.
func (reg Registration) Normalize() (Registration, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	out := reg
	out.Name = strings.TrimSpace(reg.Name)
	switch {
	case out.Name == "":
		bad("the name is empty")
	case len(out.Name) > MaxNameLen:
		bad("the name is %d bytes long, more than %d", len(out.Name), MaxNameLen)
	case !utf8.ValidString(out.Name) || strings.ContainsFunc(out.Name, isControl):
		bad("the name must be printable UTF-8")
	}

	if len(reg.RedirectURIs) == 0 {
		bad("at least one redirect URI is required")
	}
	checkURIs := func(kind string, uris []string) {
		if len(uris) > MaxURIs {
			bad("%d %s URIs, more than %d", len(uris), kind, MaxURIs)
		}
		seen := map[string]bool{}
		for _, u := range uris {
			if err := CheckRedirectURI(u); err != nil {
				bad("%s URI: %v", kind, err)
			}
			if seen[u] {
				bad("%s URI %q is listed twice", kind, u)
			}
			seen[u] = true
		}
	}
	checkURIs("redirect", reg.RedirectURIs)
	checkURIs("post-logout redirect", reg.PostLogoutRedirectURIs)

	sector := reg.Sector
	if strings.TrimSpace(sector) == "" {
		if sector = defaultSector(reg.RedirectURIs); sector == "" && len(reg.RedirectURIs) > 0 {
			bad("the redirect URIs have several hosts: name the sector")
		}
	}
	if sector != "" {
		s, err := NormalizeSector(sector)
		if err != nil {
			bad("%v", err)
		}
		out.Sector = s
	}

	if len(reg.ApprovedClaims) > maxClaimsCount {
		bad("%d approved claims, more than %d", len(reg.ApprovedClaims), maxClaimsCount)
	}
	out.ApprovedClaims = make([]ClaimApproval, 0, len(reg.ApprovedClaims))
	seen := map[Claim]bool{}
	for _, a := range reg.ApprovedClaims {
		a.Purpose = strings.TrimSpace(a.Purpose)
		if a.Claim.Class() == ClassUnknown {
			bad("unknown claim %q (known: %s)", a.Claim, claimList())
		}
		if err := checkPurpose(a.Purpose); err != nil {
			bad("claim %s: %v", a.Claim, err)
		}
		if seen[a.Claim] {
			bad("claim %s is approved twice", a.Claim)
		}
		seen[a.Claim] = true
		out.ApprovedClaims = append(out.ApprovedClaims, a)
	}
	switch {
	case reg.MayReceiveInternetNumber && !seen[ClaimInternetNumber]:
		bad("the RP may receive the internet number, but %s is not an approved claim with a purpose", ClaimInternetNumber)
	case !reg.MayReceiveInternetNumber && seen[ClaimInternetNumber]:
		bad("%s is approved, but the RP is not marked as one that may receive the internet number", ClaimInternetNumber)
	}

	if out.MinAssurance == "" {
		out.MinAssurance = enrol.AssuranceLow
	}
	if out.MinAssurance.Rank() == 0 {
		bad("minimum assurance %q is not low, substantial or high", out.MinAssurance)
	}
	if err := errors.Join(errs...); err != nil {
		return Registration{}, err
	}
	return out, nil
}

// isControl reports control characters, which a name shown on one line
// must not contain.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
