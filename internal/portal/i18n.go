package portal

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/netid/netid/internal/i18n"
)

// Lang is a language the portal is written in (package i18n): the OpenID
// provider's languages, and the choice is remembered in the same cookie,
// so that a resident who switched on one reads the other in the same
// language.
type Lang = i18n.Lang

// The portal's languages.
const (
	LangEN = i18n.EN
	LangZH = i18n.ZH
)

// lang is the language of the request's page, as render chooses it.
func (p *Portal) lang(r *http.Request) Lang {
	l, _ := i18n.Choose(r, p.cookies.lang)
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

// translator renders catalogue messages in one language; a missing key
// shows as the key in brackets (TestCataloguesComplete keeps it from
// happening).
type translator struct {
	lang Lang
	cat  i18n.Catalogue
}

func newTranslator(l Lang) translator { return translator{lang: l, cat: catalogues[l]} }

// text returns the message key formatted with args.
func (t translator) text(key string, args ...any) string { return t.cat.Text(key, args...) }

// html returns a message that carries markup, its arguments escaped.
func (t translator) html(key string, args ...any) template.HTML { return t.cat.HTML(key, args...) }

// msg is a message a handler puts in a view: a catalogue key and its
// arguments, translated when the page is rendered.
type msg struct {
	Key  string
	Args []any
}

// m makes a msg.
func m(key string, args ...any) *msg { return &msg{Key: key, Args: args} }
