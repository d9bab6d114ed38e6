package oidc

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"github.com/netid/netid/internal/rp"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the provider's server-rendered pages: plain HTML forms that
// work without JavaScript (and without styles, which netid's Content
// Security Policy does not load). English only for now; the bilingual pages
// replace these templates and keep the handlers.
type pages struct {
	login, consent, logout, errorPage *template.Template
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
	} {
		if *dst, err = parse(name); err != nil {
			return nil, err
		}
	}
	return &ps, nil
}

// claimLabels say in words what each claim gives the RP.
var claimLabels = map[rp.Claim]string{
	rp.ClaimInternetNumber: "Your internet number (the same at every site that receives it)",
	rp.ClaimName:           "Your full name",
	rp.ClaimBirthdate:      "Your date of birth",
	rp.ClaimGender:         "Your sex as on your identity document",
	rp.ClaimNationality:    "Your nationality",
	rp.ClaimDocumentNumber: "Your identity document number",
	rp.ClaimAgeOver14:      "Whether you are 14 or older (yes or no, not your date of birth)",
	rp.ClaimAgeOver16:      "Whether you are 16 or older (yes or no, not your date of birth)",
	rp.ClaimAgeOver18:      "Whether you are 18 or older (yes or no, not your date of birth)",
	rp.ClaimAgeOver60:      "Whether you are 60 or older (yes or no, not your date of birth)",
}

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

// render writes a page with status. It renders into a buffer first, so
// that a template failure becomes a clean 500 rather than half a page.
func (p *Provider) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		p.log.ErrorContext(r.Context(), "oidc: render page", "page", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders the error page with a message for the resident.
func (p *Provider) fail(w http.ResponseWriter, r *http.Request, status int, message string) {
	p.render(w, r, status, p.pages.errorPage, errorView{Title: http.StatusText(status), Message: message,
		RequestID: w.Header().Get("X-Request-Id")})
}

// failInternal logs err and renders the error page for an internal error.
func (p *Provider) failInternal(w http.ResponseWriter, r *http.Request, op string, err error) {
	p.log.ErrorContext(r.Context(), "oidc: "+op+" failed", "err", err)
	p.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again; if it keeps happening, quote the reference below to the operator.")
}
