package postgres

import (
	"net/url"
	"strings"
)

const mask = "xxxxx"

// secretParams are the connection parameters whose values are secrets.
var secretParams = map[string]bool{"password": true, "sslpassword": true}

// RedactURL returns the connection string s with every password replaced
// by "xxxxx", for logs and error messages. It handles both libpq forms:
// postgres:// URLs (the userinfo password and password= / sslpassword=
// query parameters) and keyword=value strings. A string it cannot parse
// with certainty comes back as a fixed placeholder, because guessing where
// a password ends in malformed input risks printing part of it.
func RedactURL(s string) string {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		if r, ok := redactURI(s); ok {
			return r
		}
		return "postgres://(unparseable database URL, redacted)"
	}
	if r, ok := redactKeywordValue(s); ok {
		return r
	}
	return "(unparseable database connection string, redacted)"
}

func redactURI(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	if u.Opaque != "" {
		return "", false // postgres:user:pass@... has no reliable structure
	}
	// An '@' after the authority means a password holding '/', '?' or
	// '#' unescaped, which cut the authority short: part of the password
	// now sits in the path, query or fragment.
	rest := s[strings.Index(s, "://")+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 && strings.Contains(rest[end:], "@") {
		return "", false
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, _ := strings.Cut(p, "=")
			key, err := url.QueryUnescape(k)
			if err != nil {
				return "", false
			}
			if secretParams[key] {
				parts[i] = k + "=" + mask
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		// A '#' in an unescaped password ends the URL early in Go's
		// parser, and the rest of the password lands here.
		u.Fragment, u.RawFragment = mask, ""
	}
	return u.Redacted(), true
}

// redactKeywordValue redacts a libpq keyword=value string, following
// libpq's rules: pairs separated by whitespace, optional whitespace around
// '=', values either single-quoted (with \' and \\ escapes) or running to
// the next whitespace (with backslash escapes).
func redactKeywordValue(s string) (string, bool) {
	var b strings.Builder
	i := 0
	skipSpace := func() {
		for i < len(s) && isSpace(s[i]) {
			b.WriteByte(s[i])
			i++
		}
	}
	for {
		skipSpace()
		if i == len(s) {
			return b.String(), true
		}
		k := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[k:i]
		if key == "" {
			return "", false // libpq rejects "=value" too
		}
		b.WriteString(key)
		skipSpace()
		if i == len(s) || s[i] != '=' {
			return "", false
		}
		b.WriteByte('=')
		i++
		skipSpace()
		v := i
		if i < len(s) && s[i] == '\'' {
			for i++; ; i++ {
				if i >= len(s) {
					return "", false // unterminated quote
				}
				if s[i] == '\\' {
					i++
					continue
				}
				if s[i] == '\'' {
					i++
					break
				}
			}
		} else {
			for ; i < len(s) && !isSpace(s[i]); i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i > len(s) {
				return "", false // trailing backslash
			}
		}
		if secretParams[key] {
			b.WriteString(mask)
		} else {
			b.WriteString(s[v:i])
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
