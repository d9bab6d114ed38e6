// Package i18n is what netid's server-rendered pages (the OpenID
// provider's login and consent pages, the resident portal) share about
// languages: the supported languages, choosing one for a request
// (a lang parameter, the remembered choice, Accept-Language), and message
// catalogues. The catalogues themselves belong to each set of pages.
package i18n

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// Lang is a language the pages are written in, as a BCP 47 tag that goes
// into <html lang>, Content-Language and the lang parameter.
type Lang string

// The supported languages.
const (
	EN Lang = "en"
	ZH Lang = "zh-CN"
)

// Langs are the supported languages; the first is the default.
var Langs = []Lang{EN, ZH}

// Names name each language in itself, for the switch link: a reader who
// cannot read the current page can still find their own language.
var Names = map[Lang]string{EN: "English", ZH: "中文"}

// CookieMaxAge keeps an explicit choice for a year (seconds).
const CookieMaxAge = 365 * 24 * 60 * 60

// matcher maps an Accept-Language list onto Langs. It knows that zh and
// zh-Hans mean Simplified Chinese, and maps Traditional Chinese (zh-TW,
// zh-Hant) there too, with low confidence, which for a Chinese reader
// beats English. English is its default.
var matcher = language.NewMatcher([]language.Tag{language.English, language.MustParse("zh-CN")})

// maxAcceptLanguage bounds the header the matcher parses: a real browser
// sends a few dozen bytes.
const maxAcceptLanguage = 1024

// Parse accepts exactly the supported tags, ignoring case (a lang
// parameter or cookie is outside data; anything else is refused).
func Parse(s string) (Lang, bool) {
	for _, l := range Langs {
		if strings.EqualFold(s, string(l)) {
			return l, true
		}
	}
	return "", false
}

// FromAcceptLanguage chooses from an Accept-Language header, honouring
// q-values; English when the header is absent, malformed or names nothing
// supported.
func FromAcceptLanguage(header string) Lang {
	if header == "" || len(header) > maxAcceptLanguage {
		return EN
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return EN
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return EN
	}
	return Langs[i]
}

// Choose picks the language of a page: an explicit lang query parameter
// or (already parsed) form field, else the cookie cookieName of an
// earlier switch, else Accept-Language. explicit reports that the choice
// came from a parameter, so that the caller remembers it in the cookie.
func Choose(r *http.Request, cookieName string) (l Lang, explicit bool) {
	if l, ok := Parse(r.URL.Query().Get("lang")); ok {
		return l, true
	}
	// PostForm is read only when the handler parsed it: parsing here could
	// consume a body the handler has not read yet, or fail a second time.
	if r.PostForm != nil {
		if l, ok := Parse(r.PostForm.Get("lang")); ok {
			return l, true
		}
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if l, ok := Parse(c.Value); ok {
			return l, false
		}
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language")), false
}

// Catalogue maps message keys to the messages of one language: plain
// text, or fmt formats.
type Catalogue map[string]string

// Text returns the message key formatted with args. A missing key shows
// as the key in brackets, which tests look for; complete catalogues (each
// package's tests check theirs) never show one.
func (c Catalogue) Text(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// HTML returns a message that carries markup (the catalogues are netid's
// own and trusted); the arguments, which are not, are escaped first.
func (c Catalogue) HTML(key string, args ...any) template.HTML {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = template.HTMLEscapeString(fmt.Sprint(a))
	}
	return template.HTML(c.Text(key, esc...)) //nolint:gosec // trusted catalogue, escaped arguments
}

// formatVerb matches a fmt verb, with an explicit argument index or not.
var formatVerb = regexp.MustCompile(`%(\[[0-9]+\])?[a-z]`)

// verbs lists a format's verbs with the argument each one takes, sorted:
// a translation may reorder its arguments but must take the same ones.
func verbs(s string) []string {
	var out []string
	next := 1
	for _, m := range formatVerb.FindAllStringSubmatch(s, -1) {
		n := next
		if m[1] != "" {
			n, _ = strconv.Atoi(strings.Trim(m[1], "[]"))
		}
		next = n + 1
		out = append(out, strconv.Itoa(n)+m[0][len(m[0])-1:])
	}
	slices.Sort(out)
	return out
}

// Check lists how c, a translation of the reference catalogue ref, falls
// short: a key missing or empty, a message whose format verbs differ from
// the reference's (an argument would be dropped or misplaced), a key the
// reference does not have. Each package's tests check its catalogues
// with it.
func (c Catalogue) Check(ref Catalogue) []string {
	var out []string
	for key, en := range ref {
		s, ok := c[key]
		if !ok || strings.TrimSpace(s) == "" {
			out = append(out, fmt.Sprintf("missing translation of %q", key))
			continue
		}
		if want, got := verbs(en), verbs(s); !slices.Equal(want, got) {
			out = append(out, fmt.Sprintf("%q: format verbs %v differ from the reference's %v", key, got, want))
		}
	}
	for key := range c {
		if _, ok := ref[key]; !ok {
			out = append(out, fmt.Sprintf("key %q is not in the reference catalogue", key))
		}
	}
	slices.Sort(out)
	return out
}
