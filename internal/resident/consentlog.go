package resident

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/translog"
)

// Appender appends an entry to a resident's transparency log in the
// transaction ctx carries. *translog.Log implements it.
type Appender interface {
	Append(ctx context.Context, residentID string, e translog.Entry) (uint64, error)
}

// ConsentLog is the OpenID provider's store with one addition: every
// consent the resident asks the consent page to remember is recorded in
// their transparency log, as a consent-granted entry naming the platform
// and the claims granted, in the transaction that stores it. Give it to
// oidc.Deps.Store in place of the store it wraps; Log must share that
// store (the same *sqlstore.Store), so that both writes commit together.
//
// It changes nothing else: a consent given for one login only (not
// remembered) is not a lasting consent and is not logged as one; the
// disclosure it leads to is (oidc.TranslogRecorder).
type ConsentLog struct {
	oidc.Store
	Log Appender
}

// PutRememberedConsent stores c (oidc.Store) and logs it.
func (c ConsentLog) PutRememberedConsent(ctx context.Context, con oidc.Consent) error {
	if c.Store == nil || c.Log == nil {
		return errors.New("resident: ConsentLog needs a Store and a Log")
	}
	// Drawn before the transaction, so that a rerun appends the same
	// entry.
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("resident: random: %w", err)
	}
	id := "consent-granted-" + base64.RawURLEncoding.EncodeToString(b)
	at := con.UpdatedAt
	if at.IsZero() {
		at = time.Now()
	}
	return c.Store.InTx(ctx, func(ctx context.Context) error {
		if err := c.Store.PutRememberedConsent(ctx, con); err != nil {
			return err
		}
		_, err := c.Log.Append(ctx, con.ResidentID, translog.Entry{ID: id, Kind: translog.KindConsentGranted,
			ClientID: con.ClientID, Claims: Consent{Consent: con}.Granted(), Time: at})
		if err != nil {
			return fmt.Errorf("resident: log consent: %w", err)
		}
		return nil
	})
}
