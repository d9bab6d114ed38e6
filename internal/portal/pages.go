package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/i18n"
)

//go:embed templates/*.html templates/style.css
var templateFS embed.FS

// style is the portal's one stylesheet, inlined in every page. netid's
// Content Security Policy loads nothing by default; the portal's pages
// allow exactly this stylesheet by its hash (styleCSP), so no injected
// style or script can run. The pages work without it: it adds visible
// focus, tables with borders and colours whose contrast TestStyleContrast
// checks.
var style, styleCSP = func() (template.CSS, string) {
	b, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return template.CSS(b), "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'" //nolint:gosec // our own file
}()

// contentSecurityPolicy replaces the service-wide policy on the portal's
// pages: nothing may load but the inline stylesheet of that hash, forms
// may post only to this origin, and no page may be framed.
var contentSecurityPolicy = "default-src 'none'; style-src " + styleCSP +
	"; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// pages are the parsed templates, by file name without ".html".
type pages map[string]*template.Template

func newPages() (pages, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := pages{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(template.FuncMap{"sub": func(a, b int) int { return a - b }}).
			ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("portal: page %s: %w", name, err)
		}
		if ps[name] = t.Lookup(name + ".html"); ps[name] == nil {
			return nil, fmt.Errorf("portal: page %s: no template %s.html", name, name)
		}
	}
	return ps, nil
}

// navItem is one link of the account navigation.
type navItem struct {
	Href, Key string
	Current   bool
}

// navigation is the account navigation, in order.
var navigation = []navItem{
	{Href: pathAccount, Key: "nav.data"},
	{Href: pathDisclosures, Key: "nav.disclosures"},
	{Href: pathHistory, Key: "nav.history"},
	{Href: pathConsents, Key: "nav.consents"},
	{Href: pathCertificates, Key: "nav.certificates"},
	{Href: pathLocks, Key: "nav.locks"},
	{Href: pathMinors, Key: "nav.minors"},
	{Href: pathExport, Key: "nav.export"},
	{Href: pathDelete, Key: "nav.delete"},
}

// actingView names the minor a guardian acts for.
type actingView struct{ Name, Number string }

// pageData is what a template executes on: the handler's view and, around
// it, the language, the title, the navigation and a flash message.
type pageData struct {
	Lang       string // the <html lang> tag
	Title      string
	Style      template.CSS
	SwitchHref string // the same page in SwitchLang
	SwitchLang string
	SwitchName string // SwitchLang named in itself
	Nav        []navItem
	LogoutCSRF string
	Flash      *msg
	// Acting names the minor whose account a guardian is acting on.
	Acting *actingView
	V      any // the page's view

	tr  translator
	loc *time.Location
}

// T is the catalogue message key, formatted with args, as plain text.
func (d pageData) T(key string, args ...any) string { return d.tr.text(key, args...) }

// H is the catalogue message key with markup; the args are escaped.
func (d pageData) H(key string, args ...any) template.HTML { return d.tr.html(key, args...) }

// Msg translates a message a handler put in the view.
func (d pageData) Msg(m *msg) string {
	if m == nil {
		return ""
	}
	return d.tr.text(m.Key, m.Args...)
}

// Enum translates a value of a closed set (a status, a pathway, a lock
// method): the catalogue key prefix+"."+value, or the value itself when
// the catalogue does not know it (a value added since).
func (d pageData) Enum(prefix string, value any) string {
	key := prefix + "." + fmt.Sprint(value)
	if _, ok := d.tr.cat[key]; ok {
		return d.tr.text(key)
	}
	return fmt.Sprint(value)
}

// Claim names a claim in the page's language.
func (d pageData) Claim(c any) string { return claimLabel(d.tr, fmt.Sprint(c)) }

// Serial writes a certificate serial in groups of four digits.
func (d pageData) Serial(s string) string { return formatSerial(s) }

// Short shortens a long hexadecimal fingerprint to its first 16 digits.
func (d pageData) Short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// DocType names a document type in the page's language; chip documents
// ("mrz:" and the MRZ code) and unknown types show as they are.
func (d pageData) DocType(t string) string {
	info, ok := document.DocType(t).Info()
	if !ok {
		return t
	}
	if d.tr.lang == LangZH {
		return info.NameZH
	}
	return info.Name
}

// Time writes an instant in the portal's time zone, to the minute, with
// the zone's abbreviation: the same digits in every language.
func (d pageData) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(d.loc).Format("2006-01-02 15:04 MST")
}

// Date writes the calendar date of an instant in the portal's time zone.
func (d pageData) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(d.loc).Format("2006-01-02")
}

// frame is what render needs besides the view: the page, its status, its
// title, and the session when the resident is logged in (for the
// navigation).
type frame struct {
	status int
	page   string
	title  *msg
	sess   *session
	// current is the navigation entry to mark as the current page.
	current string
}

// render writes a page, in the language i18n.Choose picks. It renders into
// a buffer first, so that a template failure becomes a clean 500 rather
// than half a page.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, f frame, view any) {
	lang, explicit := i18n.Choose(r, p.cookies.lang)
	other := LangZH
	if lang == LangZH {
		other = LangEN
	}
	tr := newTranslator(lang)
	d := pageData{Lang: string(lang), Title: tr.text(f.title.Key, f.title.Args...), Style: style,
		SwitchHref: switchHref(r, other), SwitchLang: string(other), SwitchName: i18n.Names[other],
		V: view, tr: tr, loc: p.cfg.Location}
	if f.sess != nil {
		d.Nav = make([]navItem, len(navigation))
		for i, n := range navigation {
			n.Current = n.Href == f.current
			if n.Href != pathMinors {
				n.Href = withMinor(n.Href, f.sess)
			}
			d.Nav[i] = n
		}
		if a := f.sess.actor; a.Guardian() {
			d.Acting = &actingView{Name: a.Minor.Name, Number: string(a.SubjectNumber)}
		}
		var err error
		if d.LogoutCSRF, err = f.sess.csrf(r.Context(), p.d.Keys, csrfLogout); err != nil {
			p.log.ErrorContext(r.Context(), "portal: csrf", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		d.Flash = p.takeFlash(w, r)
	}
	t := p.pages[f.page]
	if t == nil {
		p.log.ErrorContext(r.Context(), "portal: no such page", "page", f.page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		p.log.ErrorContext(r.Context(), "portal: render page", "page", f.page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if explicit {
		http.SetCookie(w, p.cookies.cookie(p.cookies.lang, string(lang), time.Time{}, i18n.CookieMaxAge))
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", string(lang))
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Add("Vary", "Accept-Language, Cookie")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(f.status)
	_, _ = buf.WriteTo(w)
}

// errorView is the error page's view.
type errorView struct {
	Message   *msg
	RequestID string
	LoggedIn  bool
}

// fail renders the error page with a message for the resident.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, status int, sess *session, message *msg) {
	p.render(w, r, frame{status: status, page: "error", title: m(errorTitleKey(status)), sess: sess},
		errorView{Message: message, RequestID: w.Header().Get("X-Request-Id"), LoggedIn: sess != nil})
}

// failInternal logs err and renders the error page for an internal error.
func (p *Portal) failInternal(w http.ResponseWriter, r *http.Request, sess *session, op string, err error) {
	p.log.ErrorContext(r.Context(), "portal: "+op+" failed", "err", err)
	p.fail(w, r, http.StatusInternalServerError, sess, m("error.internal"))
}

// errorTitleKey is the catalogue key of the error page's title for a
// status.
func errorTitleKey(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict,
		http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable:
		return fmt.Sprintf("error.title.%d", status)
	}
	return "error.title"
}
