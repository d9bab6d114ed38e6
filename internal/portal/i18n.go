package portal

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/text/language"
)

// Lang is a language the portal is written in, as a BCP 47 tag that goes
// into <html lang>, Content-Language and the lang parameter.
type Lang string

// The portal's languages. They are the OpenID provider's, and the choice
// is remembered in the same cookie, so that a resident who switched on
// one reads the other in the same language.
const (
	LangEN Lang = "en"
	LangZH Lang = "zh-CN"
)

// langs are the supported languages; the first is the default.
var langs = []Lang{LangEN, LangZH}

// langNames name each language in itself, for the switch link: a reader
// who cannot read the current page can still find their own language.
var langNames = map[Lang]string{LangEN: "English", LangZH: "中文"}

// langMatcher maps an Accept-Language list onto langs: zh, zh-Hans and
// (with low confidence, which for a Chinese reader beats English) zh-Hant
// go to Simplified Chinese; English is the default.
var langMatcher = language.NewMatcher([]language.Tag{language.English, language.MustParse("zh-CN")})

// maxAcceptLanguage bounds the header the matcher parses: a real browser
// sends a few dozen bytes.
const maxAcceptLanguage = 1024

// langCookieMaxAge keeps an explicit choice for a year.
const langCookieMaxAge = 365 * 24 * 60 * 60

// parseLang accepts exactly the supported tags, ignoring case; anything
// else (a lang parameter or cookie is outside data) is ignored.
func parseLang(s string) (Lang, bool) {
	for _, l := range langs {
		if strings.EqualFold(s, string(l)) {
			return l, true
		}
	}
	return "", false
}

// acceptLang chooses from an Accept-Language header, honouring q-values;
// English when the header is absent, malformed or names nothing we have.
func acceptLang(header string) Lang {
	if header == "" || len(header) > maxAcceptLanguage {
		return LangEN
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return LangEN
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return LangEN
	}
	return langs[i]
}

// chooseLang picks the language of a page: an explicit lang query
// parameter, else the lang cookie of an earlier switch, else
// Accept-Language. explicit reports that the choice came from the
// parameter, so that the caller remembers it in the cookie.
func chooseLang(r *http.Request, cookieName string) (l Lang, explicit bool) {
	if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
		return l, true
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if l, ok := parseLang(c.Value); ok {
			return l, false
		}
	}
	return acceptLang(r.Header.Get("Accept-Language")), false
}

// lang is the language of the request's page, as render chooses it.
func (p *Portal) lang(r *http.Request) Lang {
	l, _ := chooseLang(r, p.cookies.lang)
	return l
}

// switchHref is the link to the same page in lang: a query-only relative
// reference ("?platform=x&lang=zh-CN"), which the browser resolves
// against the current page, so it can never lead to another page or
// site. It keeps the query of a GET (the filters of the disclosures
// page); a page answering a POST links to its own path without one.
func switchHref(r *http.Request, lang Lang) string {
	q := url.Values{}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q = r.URL.Query()
	}
	q.Del("lang")
	q.Set("lang", string(lang))
	return "?" + q.Encode()
}

// translator renders catalogue messages in one language.
type translator struct {
	lang Lang
	cat  map[string]string
}

func newTranslator(l Lang) translator { return translator{lang: l, cat: catalogues[l]} }

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

// msg is a message a handler puts in a view: a catalogue key and its
// arguments, translated when the page is rendered.
type msg struct {
	Key  string
	Args []any
}

// m makes a msg.
func m(key string, args ...any) *msg { return &msg{Key: key, Args: args} }
