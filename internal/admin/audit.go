package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// Channel is how an admin acted.
type Channel string

// The channels.
const (
	// ChannelAPI: through the admin API, with a token.
	ChannelAPI Channel = "api"
	// ChannelCommand: through an operator command on a host that holds
	// the data dir (and so every key): the operating system's account is
	// the authentication.
	ChannelCommand Channel = "command"
)

// Actor is who performs an admin action.
type Actor struct {
	// Name is the token's name, or "local:" and the operating system
	// user for commands.
	Name    string
	TokenID string
	Channel Channel
}

// Action names an admin action in the audit trail.
type Action string

// The audited actions.
const (
	ActionTokenCreate          Action = "token.create"
	ActionTokenRevoke          Action = "token.revoke"
	ActionRPCreate             Action = "rp.create"
	ActionRPUpdate             Action = "rp.update"
	ActionRPSuspend            Action = "rp.suspend"
	ActionRPActivate           Action = "rp.activate"
	ActionRPRotateSecret       Action = "rp.rotate-secret"
	ActionCertificateRevoke    Action = "certificate.revoke"
	ActionCertificateRevokeAll Action = "certificate.revoke-all"
	ActionLawfulAccess         Action = "lawful-access"
)

// Bounds of the audit record's free fields, in bytes.
const (
	maxAuditDetail = 500
	maxAuditTarget = 200
)

// Outcome is how an admin action ended.
type Outcome string

// The outcomes. Every refusal is audited with its class, so that the trail
// shows attempts as well as changes.
const (
	OutcomeOK       Outcome = "ok"
	OutcomeInvalid  Outcome = "invalid"
	OutcomeNotFound Outcome = "not-found"
	OutcomeConflict Outcome = "conflict"
	OutcomeGone     Outcome = "gone"
	OutcomeError    Outcome = "error"
)

// OutcomeOf classifies the error of an action for the audit trail (and, in
// the same way, for HTTP statuses).
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrInvalid), errors.Is(err, rp.ErrInvalid), errors.Is(err, credential.ErrReason),
		errors.Is(err, translog.ErrInvalidEntry), errors.Is(err, credential.ErrInvalidRequest):
		return OutcomeInvalid
	case errors.Is(err, ErrNotFound), errors.Is(err, rp.ErrNotFound), errors.Is(err, store.ErrNotFound),
		errors.Is(err, enrol.ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrErased), errors.Is(err, envelope.ErrShredded):
		return OutcomeGone
	case errors.Is(err, credential.ErrAlreadyRevoked), errors.Is(err, store.ErrConflict):
		return OutcomeConflict
	}
	return OutcomeError
}

// newAuditID returns a record id: the time in microseconds as 15 hex digits
// (sortable until the year 3000) and 16 random hex digits.
func newAuditID(r io.Reader, us int64) (string, error) {
	b := make([]byte, 8)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("admin: random: %w", err)
	}
	return fmt.Sprintf("%015x-%s", us, hex.EncodeToString(b)), nil
}

// clip keeps s to n bytes of printable text on one line: audit fields are
// read in terminals and logs, where a control character could forge a line.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// note is what an audit record says about an action: its target and
// detail. An action may complete it once it knows more (the client id of
// the relying party it created).
type note struct {
	target, detail string
}

// act runs fn, the action, in one transaction with the audit record of its
// success, so that no change commits without its record and no record
// claims a change that rolled back. When fn fails, the refusal is recorded
// on its own afterwards (nothing of fn was written) with the class of the
// error, and fn's error is returned. Every action also makes one log line.
// fn may be run more than once (store.TxRunner retries): it must be
// idempotent, and the note it completes is a fresh copy each run.
func (s *Service) act(ctx context.Context, a Actor, action Action, n note, fn func(ctx context.Context, n *note) error) error {
	at := s.stamp()
	id, err := newAuditID(s.rand, at.UnixMicro())
	if err != nil {
		return err
	}
	rec := AuditRecord{ID: id, At: at, Admin: a.Name, TokenID: a.TokenID, Channel: a.Channel, Action: action,
		Outcome: OutcomeOK}
	var done note
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		done = n
		if err := fn(ctx, &done); err != nil {
			return err
		}
		r := rec
		r.Target, r.Detail = clip(done.target, maxAuditTarget), clip(done.detail, maxAuditDetail)
		return s.st.AppendAdminAudit(ctx, r)
	})
	if err == nil {
		s.log.InfoContext(ctx, "admin action", "admin", a.Name, "token", a.TokenID, "channel", a.Channel,
			"action", action, "target", clip(done.target, maxAuditTarget), "outcome", OutcomeOK, "audit_id", rec.ID)
		return nil
	}
	rec.Outcome = OutcomeOf(err)
	rec.Target, rec.Detail = clip(n.target, maxAuditTarget), clip(withReason(n.detail, rec.Outcome, err), maxAuditDetail)
	logf := s.log.InfoContext
	if rec.Outcome == OutcomeError {
		logf = s.log.ErrorContext
	}
	logf(ctx, "admin action refused", "admin", a.Name, "token", a.TokenID, "channel", a.Channel,
		"action", action, "target", rec.Target, "outcome", rec.Outcome, "audit_id", rec.ID, "err", err)
	// The record of the attempt is written even when the request's context
	// is cancelled (a client that went away).
	if aerr := s.st.AppendAdminAudit(context.WithoutCancel(ctx), rec); aerr != nil {
		s.log.ErrorContext(ctx, "admin audit record lost", "audit_id", rec.ID, "action", action, "err", aerr)
	}
	return err
}

// randomHex returns n random bytes in hex.
func randomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("admin: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
