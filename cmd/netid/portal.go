package main

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/portal"
	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/translog"
)

// mountPortal serves the resident portal (/account/...) over the resident
// service: the pages a resident uses to see and exercise their rights in
// a browser. Its cookies are Secure, with the __Host- prefix, when the
// public URL is https.
func mountPortal(srv *httpapi.Server, svc *service, res *resident.Service, tlog *translog.Log, issuer string, log *slog.Logger) error {
	p, err := portal.New(portal.Config{Secure: strings.HasPrefix(issuer, "https://")},
		portal.Deps{Residents: res, Keys: svc.keys, Log: tlog, Platforms: rp.NewService(svc.store)},
		portal.WithLogger(log),
		portal.WithClientAddr(func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }))
	if err != nil {
		return err
	}
	for pattern, h := range p.Routes() {
		srv.Handle(pattern, h)
	}
	return nil
}
