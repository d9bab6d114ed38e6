package oidc

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// pageLang is a language the pages are written in, as a BCP 47 tag that
// goes into <html lang>, Content-Language and the lang parameter.
type pageLang string

const (
	langEN pageLang = "en"
	langZH pageLang = "zh-CN"
)

// langs are the supported languages; the first is the default.
var langs = []pageLang{langEN, langZH}

// langNames name each language in itself, for the switch link: a reader
// who cannot read the current page can still find their own language.
var langNames = map[pageLang]string{langEN: "English", langZH: "中文"}

// langMatcher maps an Accept-Language list onto langs. The matcher knows
// that zh and zh-Hans mean Simplified Chinese, and it maps Traditional
// Chinese (zh-TW, zh-Hant) there too, with low confidence, which for a
// Chinese reader beats English. English is its default.
var langMatcher = language.NewMatcher([]language.Tag{language.English, language.MustParse("zh-CN")})

// maxAcceptLanguage bounds the header the matcher parses: a real browser
// sends a few dozen bytes.
const maxAcceptLanguage = 1024

// langCookieMaxAge keeps an explicit choice for a year.
const langCookieMaxAge = 365 * 24 * 60 * 60

// parseLang accepts exactly the supported tags, ignoring case (a lang
// parameter or cookie is outside data; anything else is ignored).
func parseLang(s string) (pageLang, bool) {
	for _, l := range langs {
		if strings.EqualFold(s, string(l)) {
			return l, true
		}
	}
	return "", false
}

// acceptLang chooses from an Accept-Language header, honouring q-values;
// English when the header is absent, malformed or names nothing we have.
func acceptLang(header string) pageLang {
	if header == "" || len(header) > maxAcceptLanguage {
		return langEN
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return langEN
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return langEN
	}
	return langs[i]
}

// chooseLang picks the language of a page: an explicit lang query
// parameter or (already parsed) form field, else the lang cookie of an
// earlier switch, else Accept-Language. explicit reports that the choice
// came from a parameter, so that the caller remembers it in the cookie.
func chooseLang(r *http.Request, cookieName string) (l pageLang, explicit bool) {
	if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
		return l, true
	}
	// PostForm is read only when the handler parsed it: parsing here could
	// consume a body the handler has not read yet, or fail a second time.
	if r.PostForm != nil {
		if l, ok := parseLang(r.PostForm.Get("lang")); ok {
			return l, true
		}
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if l, ok := parseLang(c.Value); ok {
			return l, false
		}
	}
	return acceptLang(r.Header.Get("Accept-Language")), false
}

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

// translator renders catalogue messages in one language.
type translator struct {
	lang pageLang
	cat  map[string]string
}

func newTranslator(l pageLang) translator {
	return translator{lang: l, cat: catalogues[l]}
}

// text returns the message key formatted with args. A missing key shows
// as the key in brackets, which the tests look for; it cannot happen with
// complete catalogues, which TestCataloguesComplete checks.
func (t translator) text(key string, args ...any) string {
	s, ok := t.cat[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// html returns a message that carries markup (the catalogues are ours and
// trusted); the arguments, which are not, are escaped first.
func (t translator) html(key string, args ...any) template.HTML {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = template.HTMLEscapeString(fmt.Sprint(a))
	}
	return template.HTML(t.text(key, esc...)) //nolint:gosec // trusted catalogue, escaped arguments
}

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
	http.SetCookie(w, p.cookies.cookie(p.cookies.langCookieName(), string(l), time.Time{}, langCookieMaxAge))
}
