package oidc

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/netid/netid/internal/i18n"
)

// pageLang is a language the pages are written in (package i18n, shared
// with the resident portal).
type pageLang = i18n.Lang

const (
	langEN = i18n.EN
	langZH = i18n.ZH
)

// langCookieName follows the provider's other cookies: under https the
// __Host- prefix, so that no subdomain can plant a language.
func (n cookieNames) langCookieName() string {
	if n.secure {
		return "__Host-netid-lang"
	}
	return "netid-lang"
}

// switchHref is the link to the same page in lang: a query-only relative
// reference ("?id=...&lang=zh-CN"), which the browser resolves against
// the current page, so it can never lead to another page or site. It
// keeps the page's query (the pending interaction id), or for a POSTed
// page its form's interaction id, so switching does not lose the login.
func switchHref(r *http.Request, lang pageLang) string {
	var q url.Values
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q = r.URL.Query()
	} else {
		q = url.Values{}
		if r.PostForm != nil && r.PostForm.Get("id") != "" {
			q.Set("id", r.PostForm.Get("id"))
		}
	}
	q.Del("lang")
	q.Set("lang", string(lang))
	return "?" + q.Encode()
}

// translator renders catalogue messages in one language; a missing key
// shows as the key in brackets (TestCataloguesComplete keeps it from
// happening).
type translator struct {
	lang pageLang
	cat  i18n.Catalogue
}

func newTranslator(l pageLang) translator {
	return translator{lang: l, cat: catalogues[l]}
}

// text returns the message key formatted with args.
func (t translator) text(key string, args ...any) string { return t.cat.Text(key, args...) }

// html returns a message that carries markup, its arguments escaped.
func (t translator) html(key string, args ...any) template.HTML { return t.cat.HTML(key, args...) }

// localize translates an English message the handlers pass (their error
// messages and titles are written in English, the catalogue's msgid, as
// gettext does). A message with one number in it ("... in 30 seconds")
// is found through its format. A message not in the catalogue stays as it
// is, and ok is false.
func (t translator) localize(english string) (s string, ok bool) {
	if english == "" {
		return "", true
	}
	if key, found := englishIndex[english]; found {
		return t.text(key), true
	}
	for _, f := range numberFormats {
		if n, match := f.parse(english); match {
			return t.text(f.key, n), true
		}
	}
	return english, false
}

// numberFormat is an English message with a single %d.
type numberFormat struct {
	key, prefix, suffix string
}

// parse reports whether s is the message with a decimal number in place
// of %d, and that number.
func (f numberFormat) parse(s string) (int64, bool) {
	if !strings.HasPrefix(s, f.prefix) || !strings.HasSuffix(s, f.suffix) || len(s) <= len(f.prefix)+len(f.suffix) {
		return 0, false
	}
	digits := s[len(f.prefix) : len(s)-len(f.suffix)]
	if len(digits) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// englishIndex and numberFormats find a key from its English text.
var englishIndex, numberFormats = indexEnglish(catalogueEN)

func indexEnglish(cat map[string]string) (map[string]string, []numberFormat) {
	idx := make(map[string]string, len(cat))
	var nfs []numberFormat
	for key, s := range cat {
		if strings.Count(s, "%") == 1 && strings.Count(s, "%d") == 1 {
			before, after, _ := strings.Cut(s, "%d")
			nfs = append(nfs, numberFormat{key: key, prefix: before, suffix: after})
			continue
		}
		if !strings.Contains(s, "%") {
			idx[s] = key
		}
	}
	return idx, nfs
}

// errorTitleKey is the catalogue key of the error page's title for a
// status.
func errorTitleKey(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusServiceUnavailable:
		return fmt.Sprintf("error.title.%d", status)
	}
	return "error.title"
}

// setLangCookie remembers an explicit switch.
func (p *Provider) setLangCookie(w http.ResponseWriter, l pageLang) {
	http.SetCookie(w, p.cookies.cookie(p.cookies.langCookieName(), string(l), time.Time{}, i18n.CookieMaxAge))
}
