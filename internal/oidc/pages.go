package oidc

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"github.com/netid/netid/internal/i18n"
	"github.com/netid/netid/internal/rp"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the provider's server-rendered pages: plain HTML forms that
// work without JavaScript (and without styles, which netid's Content
// Security Policy does not load), in English and Simplified Chinese. The
// handlers fill the views in English; render chooses the language
// (i18n.Choose) and translates through the catalogues (i18n_catalogue.go).
type pages struct {
	login, consent, logout, errorPage *template.Template
	stepUp, device, approve           *template.Template
}

func newPages() (*pages, error) {
	parse := func(name string) (*template.Template, error) {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("oidc: page %s: %w", name, err)
		}
		return t.Lookup(name), nil
	}
	var ps pages
	var err error
	for name, dst := range map[string]**template.Template{
		"login.html": &ps.login, "consent.html": &ps.consent, "logout.html": &ps.logout, "error.html": &ps.errorPage,
		"stepup.html": &ps.stepUp, "device.html": &ps.device, "approve.html": &ps.approve,
	} {
		if *dst, err = parse(name); err != nil {
			return nil, err
		}
	}
	return &ps, nil
}

// claimLabels say in words, in English, what each claim gives the RP. The
// handlers put them in the consent view; render shows the label of the
// page's language, from the catalogue key "claim."+claim.
var claimLabels = func() map[rp.Claim]string {
	m := make(map[rp.Claim]string)
	for _, c := range []rp.Claim{rp.ClaimInternetNumber, rp.ClaimName, rp.ClaimBirthdate, rp.ClaimGender,
		rp.ClaimNationality, rp.ClaimDocumentNumber, rp.ClaimAgeOver14, rp.ClaimAgeOver16, rp.ClaimAgeOver18,
		rp.ClaimAgeOver60} {
		m[c] = catalogueEN[claimKey(c)]
	}
	return m
}()

// claimKey is the catalogue key of a claim's label.
func claimKey(c rp.Claim) string { return "claim." + string(c) }

type loginView struct {
	Title, RPName, Action, ID, CSRF, Username, Error string
}

type consentItemView struct {
	Claim, Label, Purpose string
}

type consentView struct {
	Title, RPName, Action, ID, CSRF string
	Items                           []consentItemView
	Plaintext, Onward               bool
}

type logoutView struct {
	Title, RPName, Action, CSRF, ClientID, RedirectURI, State string
	Done                                                      bool
}

type errorView struct {
	Title, Message, RequestID string
}

// pageData is what a template executes on: the view of the handler,
// translated, and the language around it.
type pageData struct {
	Lang       string // the <html lang> tag
	Title      string
	SwitchHref string // the same page in SwitchLang
	SwitchLang string
	SwitchName string // SwitchLang named in itself
	// Refresh, when not zero, makes the page reload itself after that
	// many seconds (<meta http-equiv="refresh">: no script needed).
	Refresh int
	V       any // the view: loginView, consentView, logoutView, errorView, stepUpView, deviceView or approvePageView

	tr translator
}

// T is the catalogue message key, formatted with args, as plain text.
func (d pageData) T(key string, args ...any) string { return d.tr.text(key, args...) }

// H is the catalogue message key with markup; the args are escaped.
func (d pageData) H(key string, args ...any) template.HTML { return d.tr.html(key, args...) }

// localize returns the title and a translated copy of a view.
func (p *Provider) localize(r *http.Request, tr translator, data any) (string, any) {
	loc := func(english string) string {
		s, ok := tr.localize(english)
		if !ok {
			p.log.WarnContext(r.Context(), "oidc: page message not in the catalogue", "message", english)
		}
		return s
	}
	switch v := data.(type) {
	case loginView:
		v.Error = loc(v.Error)
		return tr.text("login.title"), v
	case consentView:
		items := make([]consentItemView, len(v.Items))
		for i, it := range v.Items {
			if _, ok := tr.cat[claimKey(rp.Claim(it.Claim))]; ok {
				it.Label = tr.text(claimKey(rp.Claim(it.Claim)))
			}
			items[i] = it
		}
		v.Items = items
		return tr.text("consent.title", v.RPName), v
	case logoutView:
		if v.Done {
			return tr.text("logout.done.title"), v
		}
		return tr.text("logout.action"), v
	case errorView:
		v.Message = loc(v.Message)
		return loc(v.Title), v
	case stepUpView:
		v.Error = loc(v.Error)
		return tr.text("stepup.title"), v
	case deviceView:
		v.Error = loc(v.Error)
		return tr.text("device.title"), v
	case approvePageView:
		return tr.text("approve.title"), v
	}
	return "netid", data
}

// render writes a page with status, in the language i18n.Choose picks. It
// renders into a buffer first, so that a template failure becomes a clean
// 500 rather than half a page.
func (p *Provider) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any) {
	lang, explicit := i18n.Choose(r, p.cookies.langCookieName())
	other := langZH
	if lang == langZH {
		other = langEN
	}
	tr := newTranslator(lang)
	d := pageData{Lang: string(lang), SwitchHref: switchHref(r, other), SwitchLang: string(other),
		SwitchName: i18n.Names[other], tr: tr}
	if rf, ok := data.(refreshing); ok {
		d.Refresh, data = rf.seconds, rf.view
	}
	d.Title, d.V = p.localize(r, tr, data)
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		p.log.ErrorContext(r.Context(), "oidc: render page", "page", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if explicit {
		p.setLangCookie(w, lang)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", string(lang))
	h.Add("Vary", "Accept-Language, Cookie")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders the error page with a message for the resident, written in
// English and translated by render.
func (p *Provider) fail(w http.ResponseWriter, r *http.Request, status int, message string) {
	p.render(w, r, status, p.pages.errorPage, errorView{Title: catalogueEN[errorTitleKey(status)], Message: message,
		RequestID: w.Header().Get("X-Request-Id")})
}

// failInternal logs err and renders the error page for an internal error.
func (p *Provider) failInternal(w http.ResponseWriter, r *http.Request, op string, err error) {
	p.log.ErrorContext(r.Context(), "oidc: "+op+" failed", "err", err)
	p.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again; if it keeps happening, quote the reference below to the operator.")
}
