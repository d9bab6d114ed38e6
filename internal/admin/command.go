package admin

import (
	"crypto/rand"
	"strings"
	"time"
)

// CommandRecord is the audit record of an action an operator command took
// outside the Service: a key rotation, retirement or rewrap, or a backup,
// which change files rather than the database, so that their record cannot
// commit with the change and is appended after it
// (Store.AppendAdminAudit). The record is made as the Service makes its
// own: the same id, the same bounds on target and detail, and a refusal's
// reason (err, when outcome is not OutcomeError) added to the detail, while
// an internal error's text stays out of the trail. outcome is the command's
// classification of err (OutcomeOf, or a stricter one of its own).
func CommandRecord(a Actor, action Action, target, detail string, outcome Outcome, err error, at time.Time) (AuditRecord, error) {
	at = at.UTC().Truncate(time.Microsecond)
	id, rerr := newAuditID(rand.Reader, at.UnixMicro())
	if rerr != nil {
		return AuditRecord{}, rerr
	}
	return AuditRecord{ID: id, At: at, Admin: a.Name, TokenID: a.TokenID, Channel: a.Channel, Action: action,
		Target: clip(target, maxAuditTarget), Outcome: outcome, Detail: clip(withReason(detail, outcome, err), maxAuditDetail)}, nil
}

// withReason adds a refusal's reason to detail: the reason judges the
// operator's own input by netid's rules, while an internal error's text
// (outcome OutcomeError) stays in the log only.
func withReason(detail string, outcome Outcome, err error) string {
	if err == nil || outcome == OutcomeError {
		return detail
	}
	return strings.TrimPrefix(detail+"; "+err.Error(), "; ")
}
