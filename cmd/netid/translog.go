package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// translogOrigin names the transparency log after the public URL where its
// routes live, without the scheme: "id.example.cn/translog" for the issuer
// https://id.example.cn. Witnesses key checkpoints by this name, so it
// must not change once the log is published: set --public-url in
// production.
func translogOrigin(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("transparency log: public URL %q has no host", issuer)
	}
	origin := u.Host + strings.TrimSuffix(u.Path, "/") + "/translog"
	if !translog.ValidOrigin(origin) {
		return "", fmt.Errorf("transparency log: origin %q derived from %q is not a valid log name", origin, issuer)
	}
	return origin, nil
}

// buildTranslog builds the transparency log over the service's store and
// keys.
func buildTranslog(svc *service, issuer string) (*translog.Log, error) {
	origin, err := translogOrigin(issuer)
	if err != nil {
		return nil, err
	}
	return translog.New(origin, translog.Deps{Store: svc.store, Tx: svc.store, Keys: svc.keys})
}

// translogReady is the /readyz check of the log: it can sign checkpoints
// (a log-signing key is there). The log offers no check of its own.
func translogReady(l *translog.Log) httpapi.ReadyCheck {
	return httpapi.ReadyCheck{Name: "translog", Check: func(context.Context) error {
		keys, err := l.VerifierKeys()
		if err == nil && len(keys) == 0 {
			err = errors.New("no log-signing key")
		}
		return err
	}}
}

// runPublisher signs checkpoints every interval (when the log grew) until
// ctx ends. Every node runs one; they share the stored checkpoints. A log
// that has none yet gets one at once, of its current tree (the empty tree
// on a first start), so that /translog/checkpoint always has something
// for witnesses to pin; a failure there is logged and the publisher tries
// again on its own schedule.
func runPublisher(ctx context.Context, l *translog.Log, interval time.Duration, log *slog.Logger) error {
	p, err := translog.NewPublisher(l, interval, log)
	if err != nil {
		return err
	}
	if _, err := l.LatestCheckpoint(ctx); errors.Is(err, store.ErrNotFound) {
		if _, err := l.Checkpoint(ctx); err != nil {
			log.WarnContext(ctx, "transparency log: first checkpoint failed", "err", err)
		}
	}
	go p.Run(ctx)
	return nil
}
