package resident

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/resident/residentapi"
)

// Routes returns the resident API as net/http.ServeMux patterns, for
// httpapi.Server.Handle (the package documentation lists them). Every
// route but the challenge and the sign-in takes the session token as a
// bearer token; every answer is JSON or an RFC 9457 problem, never
// cached.
func (s *Service) Routes() map[string]http.Handler {
	self := func(fn func(w http.ResponseWriter, r *http.Request, a Actor) error) http.Handler {
		return s.authed(func(w http.ResponseWriter, r *http.Request, sess Session) error { return fn(w, r, Self(sess)) })
	}
	minor := func(fn func(w http.ResponseWriter, r *http.Request, a Actor) error) http.Handler {
		return s.authed(func(w http.ResponseWriter, r *http.Request, sess Session) error {
			a, err := s.ForMinor(r.Context(), sess, r.PathValue("id"))
			if err != nil {
				return err
			}
			return fn(w, r, a)
		})
	}
	routes := map[string]http.Handler{
		"GET /v1/me/challenge":  s.handle(s.challenge),
		"POST /v1/me/sessions":  s.handle(s.signIn),
		"DELETE /v1/me/session": s.authed(s.signOut),
		"GET /v1/me":            s.authed(s.me),
		"DELETE /v1/me":         s.authed(s.deleteMe),
		"GET /v1/me/history":    s.authed(s.history),
		"GET /v1/me/export":     s.authed(s.export),
		"GET /v1/me/minors":     s.authed(s.minors),
		"GET /v1/me/minors/{id}": minor(func(w http.ResponseWriter, r *http.Request, a Actor) error {
			h, err := s.Data(r.Context(), a)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, dataWire(h))
			return nil
		}),
	}
	// The routes a guardian may also take on a minor's behalf, under
	// /v1/me and /v1/me/minors/{id}.
	shared := map[string]func(w http.ResponseWriter, r *http.Request, a Actor) error{
		"GET /disclosures":                   s.disclosures,
		"GET /consents":                      s.consents,
		"DELETE /consents/{client_id}":       s.withdraw,
		"GET /certificates":                  s.certificates,
		"POST /certificates/{serial}/revoke": s.revoke,
		"GET /locks":                         s.locks,
		"GET /locks/{method}":                s.lock,
		"PUT /locks/{method}":                s.setLockRoute(true),
		"DELETE /locks/{method}":             s.setLockRoute(false),
	}
	for pattern, fn := range shared {
		method, path, _ := strings.Cut(pattern, " ")
		routes[method+" /v1/me"+path] = self(fn)
		routes[method+" /v1/me/minors/{id}"+path] = minor(fn)
	}
	return routes
}

// handle adapts a handler that returns an error.
func (s *Service) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authed adapts a handler that needs the caller's session.
func (s *Service) authed(fn func(w http.ResponseWriter, r *http.Request, sess Session) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		sess, err := s.SessionFor(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		return fn(w, r, sess)
	})
}

func (s *Service) challenge(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Challenge(r.Context(), s.clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, residentapi.Challenge{Challenge: c.Value, Audience: c.Audience, ExpiresAt: c.ExpiresAt})
	return nil
}

func (s *Service) signIn(w http.ResponseWriter, r *http.Request) error {
	var in residentapi.Login
	if err := decodeBody(w, r, &in, false); err != nil {
		return err
	}
	var sess Session
	var err error
	switch {
	case in.Presentation != "" && in.Username == "" && in.Password == "":
		sess, err = s.LoginWallet(r.Context(), in.Presentation, s.clientAddr(r))
	case in.Presentation == "" && in.Username != "" && in.Password != "":
		sess, err = s.Login(r.Context(), in.Username, in.Password, s.clientAddr(r))
	default:
		return badRequest("give username and password, or presentation")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sessionWire(sess))
	return nil
}

func (s *Service) signOut(w http.ResponseWriter, r *http.Request, sess Session) error {
	if err := s.Logout(r.Context(), sess); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) me(w http.ResponseWriter, r *http.Request, sess Session) error {
	h, err := s.Data(r.Context(), Self(sess))
	if err != nil {
		return err
	}
	out := dataWire(h)
	sj := sessionWire(sess)
	out.Session = &sj
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) deleteMe(w http.ResponseWriter, r *http.Request, sess Session) error {
	var in residentapi.Delete
	if err := decodeBody(w, r, &in, false); err != nil {
		return err
	}
	e, err := s.Delete(r.Context(), sess, DeleteRequest{Confirm: in.Confirm, Password: in.Password, Presentation: in.Presentation},
		s.clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, residentapi.Erased{InternetNumber: string(e.InternetNumber), Status: string(enrol.StatusDeleted),
		DeletedAt: e.At})
	return nil
}

func (s *Service) history(w http.ResponseWriter, r *http.Request, sess Session) error {
	q, err := ParseHistoryQuery(r.URL.Query())
	if err != nil {
		return err
	}
	h, err := s.History(r.Context(), sess, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, historyWire(h))
	return nil
}

func (s *Service) export(w http.ResponseWriter, r *http.Request, sess Session) error {
	if len(r.URL.Query()) > 0 {
		return badRequest("the export takes no parameters")
	}
	x, err := s.Export(r.Context(), sess)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="netid-export-%s-%s.json"`,
		sess.InternetNumber, x.ExportedAt.Format("20060102T150405Z")))
	writeJSON(w, http.StatusOK, exportWire(x))
	return nil
}

func (s *Service) minors(w http.ResponseWriter, r *http.Request, sess Session) error {
	ms, err := s.Minors(r.Context(), sess)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, residentapi.MinorList{Minors: minorsWire(ms)})
	return nil
}

func (s *Service) disclosures(w http.ResponseWriter, r *http.Request, a Actor) error {
	f, err := ParseDisclosureQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.Disclosures(r.Context(), a, f)
	if err != nil {
		return err
	}
	out := disclosuresJSON{Disclosures: disclosuresWire(page.Disclosures)}
	if !page.NextBefore.IsZero() {
		out.NextBefore = &page.NextBefore
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) consents(w http.ResponseWriter, r *http.Request, a Actor) error {
	cs, err := s.Consents(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, residentapi.ConsentList{Consents: consentsWire(cs)})
	return nil
}

func (s *Service) withdraw(w http.ResponseWriter, r *http.Request, a Actor) error {
	if err := s.WithdrawConsent(r.Context(), a, r.PathValue("client_id")); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) certificates(w http.ResponseWriter, r *http.Request, a Actor) error {
	cs, err := s.Certificates(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, residentapi.CertificateList{Certificates: certificatesWire(cs)})
	return nil
}

func (s *Service) revoke(w http.ResponseWriter, r *http.Request, a Actor) error {
	in := residentapi.Revoke{Reason: credential.ReasonUnspecified.String()}
	if err := decodeBody(w, r, &in, true); err != nil {
		return err
	}
	reason, err := credential.ParseRevocationReason(in.Reason)
	if err != nil {
		return badRequest("reason: want unspecified, keyCompromise or cessationOfOperation")
	}
	if err := s.RevokeCertificate(r.Context(), a, r.PathValue("serial"), reason); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) locks(w http.ResponseWriter, r *http.Request, a Actor) error {
	l, err := s.Locks(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, residentapi.LockList{Locks: locksWire(l)})
	return nil
}

// pathMethod reads the {method} of a lock route.
func pathMethod(r *http.Request) (enrol.Method, error) {
	m, err := enrol.ParseMethod(r.PathValue("method"))
	if err != nil {
		return "", ErrNotFound
	}
	return m, nil
}

func (s *Service) lock(w http.ResponseWriter, r *http.Request, a Actor) error {
	m, err := pathMethod(r)
	if err != nil {
		return err
	}
	l, err := s.Locks(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lockWire(l, m))
	return nil
}

func (s *Service) setLockRoute(lock bool) func(w http.ResponseWriter, r *http.Request, a Actor) error {
	return func(w http.ResponseWriter, r *http.Request, a Actor) error {
		m, err := pathMethod(r)
		if err != nil {
			return err
		}
		if err := s.setLock(r.Context(), a, m, lock); err != nil {
			return err
		}
		l, err := s.d.Residents.Locks(r.Context(), a.SubjectID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, lockWire(l, m))
		return nil
	}
}
