package admin

import (
	"net/http"
	"strconv"
)

// maxRPPage bounds one page of GET /admin/v1/rps.
const maxRPPage = 1000

func (a *API) listRPs(w http.ResponseWriter, r *http.Request, _ Actor) error {
	q, err := query(r, "after", "limit")
	if err != nil {
		return err
	}
	limit := 100
	if s := q["limit"]; s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > maxRPPage {
			return badRequest("limit %q is not a number from 1 to %d", s, maxRPPage)
		}
	}
	rs, err := a.svc.RPs(r.Context(), q["after"], limit)
	if err != nil {
		return err
	}
	out := struct {
		RPs []RPView `json:"rps"`
		// Next is the "after" of the next page; empty on the last.
		Next string `json:"next,omitempty"`
	}{RPs: make([]RPView, len(rs))}
	for i, rp := range rs {
		out.RPs[i] = ViewRP(rp)
	}
	if len(rs) == limit {
		out.Next = rs[len(rs)-1].ClientID
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) createRP(w http.ResponseWriter, r *http.Request, actor Actor) error {
	var req registrationRequest
	if err := decodeRequest(r, &req); err != nil {
		return err
	}
	if req.Version != 0 {
		return badRequest("version is not allowed when registering a relying party")
	}
	created, secret, err := a.svc.CreateRP(r.Context(), actor, req.registration())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/admin/v1/rps/"+created.ClientID)
	return writeJSON(w, http.StatusCreated, createdRP{
		ClientCredentials: ClientCredentials{ClientID: created.ClientID, ClientSecret: secret},
		RelyingParty:      ViewRP(created)})
}

func (a *API) getRP(w http.ResponseWriter, r *http.Request, _ Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	got, err := a.svc.RP(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ViewRP(got))
}

func (a *API) updateRP(w http.ResponseWriter, r *http.Request, actor Actor) error {
	var req registrationRequest
	if err := decodeRequest(r, &req); err != nil {
		return err
	}
	if req.Version < 0 {
		return badRequest("version must be positive")
	}
	got, err := a.svc.UpdateRP(r.Context(), actor, r.PathValue("id"), req.registration(), req.Version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ViewRP(got))
}

func (a *API) suspendRP(w http.ResponseWriter, r *http.Request, actor Actor) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	got, err := a.svc.SuspendRP(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ViewRP(got))
}

func (a *API) activateRP(w http.ResponseWriter, r *http.Request, actor Actor) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	got, err := a.svc.ActivateRP(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ViewRP(got))
}

func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request, actor Actor) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	secret, err := a.svc.RotateRPSecret(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ClientCredentials{ClientID: id, ClientSecret: secret})
}
