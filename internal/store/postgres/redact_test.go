package postgres

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"url without password", "postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable",
			"postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable"},
		{"url with password", "postgres://netid:s3cret@db.example:5432/netid?sslmode=verify-full",
			"postgres://netid:xxxxx@db.example:5432/netid?sslmode=verify-full"},
		{"postgresql scheme", "postgresql://netid:s3cret@db/netid", "postgresql://netid:xxxxx@db/netid"},
		{"escaped password", "postgres://netid:p%40ss%2Fw@db/netid", "postgres://netid:xxxxx@db/netid"},
		{"unescaped @ in password", "postgres://netid:p@ss@db/netid", "postgres://netid:xxxxx@db/netid"},
		{"query password", "postgres://db/netid?user=netid&password=s3cret&sslpassword=k3y",
			"postgres://db/netid?user=netid&password=xxxxx&sslpassword=xxxxx"},
		{"escaped query key", "postgres://db/netid?pass%77ord=s3cret", "postgres://db/netid?pass%77ord=xxxxx"},
		{"slash in password", "postgres://netid:12/34@db/netid", "postgres://(unparseable database URL, redacted)"},
		{"hash in password", "postgres://netid:ab#cd@db/netid", "postgres://(unparseable database URL, redacted)"},
		{"question mark in password", "postgres://netid:ab?cd@db/netid", "postgres://(unparseable database URL, redacted)"},
		{"bad escape", "postgres://netid:%zz@db/netid", "postgres://(unparseable database URL, redacted)"},
		{"keyword form", "host=db user=netid password=s3cret dbname=netid",
			"host=db user=netid password=xxxxx dbname=netid"},
		{"keyword quoted", "host=db password='s3 c\\'ret' dbname=netid", "host=db password=xxxxx dbname=netid"},
		{"keyword spaces around =", "host = db  password =  s3cret\tsslpassword=k", "host = db  password =  xxxxx\tsslpassword=xxxxx"},
		{"keyword escaped space", `password=s3\ cret host=db`, "password=xxxxx host=db"},
		{"keyword unterminated quote", "host=db password='s3cret", "(unparseable database connection string, redacted)"},
		{"keyword missing =", "host=db s3cret", "(unparseable database connection string, redacted)"},
		{"keyword empty key", "password=s3 =cret", "(unparseable database connection string, redacted)"},
		{"keyword trailing backslash", `password=s3cret\`, "(unparseable database connection string, redacted)"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("%s: RedactURL(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// FuzzRedactURL builds connection strings in every form around a password
// and checks that no form lets the password through.
func FuzzRedactURL(f *testing.F) {
	seeds := [][4]string{
		{"netid", "s3cret", "db.example:5432", "netid"},
		{"u", "p@ss/w?o#r d'\\", "h", "d"},
		{"", "%41%zz", "127.0.0.1", ""},
		{"a:b", "::", "[::1]:5432", "x y"},
		{"user", "pass word", "h1:5432,h2:5433", "db"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, user, secret, host, db string) {
		// Markers around the secret make any leak recognisable and keep
		// the other parts from containing it by chance.
		for _, part := range []string{user, host, db} {
			if strings.Contains(part, "ZQ") || strings.Contains(part, "QZ") {
				t.Skip()
			}
		}
		pw := "ZQ" + secret + "QZ"
		quote := func(v string) string {
			return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
		}
		forms := map[string]string{
			"url":     (&url.URL{Scheme: "postgres", User: url.UserPassword(user, pw), Host: host, Path: "/" + db}).String(),
			"raw url": "postgres://" + user + ":" + pw + "@" + host + "/" + db,
			"query":   "postgres://" + host + "/" + url.PathEscape(db) + "?sslmode=disable&password=" + url.QueryEscape(pw),
			"keyword": "host=" + quote(host) + " user=" + quote(user) + " password=" + quote(pw) + " dbname=" + quote(db),
		}
		if !strings.ContainsAny(pw, " \t\n\r\f\v'\\") {
			// Unquoted, as an operator would write a simple password.
			forms["bare"] = "host=h password=" + pw + " dbname=d"
		}
		for form, in := range forms {
			out := RedactURL(in)
			for _, leak := range []string{"ZQ", "QZ"} {
				if strings.Contains(out, leak) {
					t.Fatalf("%s form: RedactURL(%q) = %q, leaks the password", form, in, out)
				}
			}
			if len(secret) >= 4 && !strings.Contains(user+host+db, secret) && strings.Contains(out, secret) &&
				!strings.Contains("postgres://(unparseable database URL, redacted)", secret) {
				t.Fatalf("%s form: RedactURL(%q) = %q, leaks the password's middle", form, in, out)
			}
		}
	})
}
