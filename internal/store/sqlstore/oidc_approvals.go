package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/oidc"
)

var _ oidc.ApprovalStore = (*Store)(nil)

// approvalColumns lists the columns of oidc_approvals in the order
// scanApproval reads and approvalArgs writes them.
const approvalColumns = `id, kind, client_id, code_hash, device_code_hash, interaction_id, resident_id, request,
	challenge, status, decision, grant_id, poll_interval, last_polled_at, created_at, expires_at, decided_at, version`

func approvalArgs(a oidc.Approval) []any {
	return []any{
		a.ID, string(a.Kind), a.ClientID, nonNil(a.CodeHash), nonNil(a.DeviceCodeHash), a.InteractionID, a.ResidentID,
		nonNil(a.Request), nonNil(a.Challenge), string(a.Status), nonNil(a.Decision), a.GrantID,
		int64(a.PollInterval / time.Second), optMicros(a.LastPolledAt), micros(a.CreatedAt), micros(a.ExpiresAt),
		optMicros(a.DecidedAt), a.Version,
	}
}

func scanApproval(row rowScanner) (oidc.Approval, error) {
	var a oidc.Approval
	var kind, status string
	var interval, polled, created, expires, decided int64
	if err := row.Scan(&a.ID, &kind, &a.ClientID, &a.CodeHash, &a.DeviceCodeHash, &a.InteractionID, &a.ResidentID,
		&a.Request, &a.Challenge, &status, &a.Decision, &a.GrantID, &interval, &polled, &created, &expires, &decided,
		&a.Version); err != nil {
		return oidc.Approval{}, err
	}
	a.Kind, a.Status = oidc.ApprovalKind(kind), oidc.ApprovalStatus(status)
	a.PollInterval = time.Duration(interval) * time.Second
	a.LastPolledAt, a.CreatedAt, a.ExpiresAt = fromOptMicros(polled), fromMicros(created), fromMicros(expires)
	a.DecidedAt = fromOptMicros(decided)
	return a, nil
}

// checkApproval reports every problem of an approval to be written.
func checkApproval(a oidc.Approval) error {
	var errs []error
	if a.ID == "" {
		errs = append(errs, fmt.Errorf("%w: empty approval id", errInvalid))
	}
	if len(a.CodeHash) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty code hash", errInvalid))
	}
	switch a.Kind {
	case oidc.ApprovalLogin:
		if a.InteractionID == "" {
			errs = append(errs, fmt.Errorf("%w: a login approval without an interaction", errInvalid))
		}
	case oidc.ApprovalDevice:
		if len(a.DeviceCodeHash) == 0 {
			errs = append(errs, fmt.Errorf("%w: a device approval without a device code hash", errInvalid))
		}
	default:
		errs = append(errs, fmt.Errorf("%w: approval kind %q", errInvalid, a.Kind))
	}
	if a.PollInterval < 0 || a.PollInterval%time.Second != 0 {
		errs = append(errs, fmt.Errorf("%w: poll interval %v is not whole seconds", errInvalid, a.PollInterval))
	}
	return errors.Join(errs...)
}

// CreateApproval implements oidc.ApprovalStore.
func (s *Store) CreateApproval(ctx context.Context, a oidc.Approval) error {
	err := checkApproval(a)
	if a.Version != 1 {
		err = errors.Join(err, fmt.Errorf("%w: version %d, want 1", errInvalid, a.Version))
	}
	if err != nil {
		return fmt.Errorf("sqlstore: create approval: %w", err)
	}
	return s.do(ctx, "create approval", func(q querier) error {
		// No conflict target: the id, the code hash and the two partial
		// unique indexes all count.
		res, err := q.ExecContext(ctx, `INSERT INTO oidc_approvals (`+approvalColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			ON CONFLICT DO NOTHING`, approvalArgs(a)...)
		return insertedOne(res, err)
	})
}

// ApprovalByCode implements oidc.ApprovalStore.
func (s *Store) ApprovalByCode(ctx context.Context, codeHash []byte) (oidc.Approval, error) {
	return getOne(ctx, s, "get approval by code", scanApproval,
		`SELECT `+approvalColumns+` FROM oidc_approvals WHERE code_hash = $1`, nonNil(codeHash))
}

// ApprovalByDeviceCode implements oidc.ApprovalStore.
func (s *Store) ApprovalByDeviceCode(ctx context.Context, deviceCodeHash []byte) (oidc.Approval, error) {
	return getOne(ctx, s, "get approval by device code", scanApproval,
		`SELECT `+approvalColumns+` FROM oidc_approvals WHERE kind = 'device' AND device_code_hash = $1`,
		nonNil(deviceCodeHash))
}

// ApprovalOfInteraction implements oidc.ApprovalStore.
func (s *Store) ApprovalOfInteraction(ctx context.Context, interactionID string) (oidc.Approval, error) {
	return getOne(ctx, s, "get approval of interaction", scanApproval,
		`SELECT `+approvalColumns+` FROM oidc_approvals WHERE kind = 'login' AND interaction_id = $1`, interactionID)
}

// UpdateApproval implements oidc.ApprovalStore.
func (s *Store) UpdateApproval(ctx context.Context, prevVersion int64, a oidc.Approval) error {
	err := checkApproval(a)
	if a.Version <= prevVersion {
		err = errors.Join(err, fmt.Errorf("%w: new version %d, want more than %d", errInvalid, a.Version, prevVersion))
	}
	if err != nil {
		return fmt.Errorf("sqlstore: update approval: %w", err)
	}
	args := approvalArgs(a)
	return s.do(ctx, "update approval", func(q querier) error {
		// The fields that never change are part of the match: a write
		// that would change them matches nothing and is a conflict.
		res, err := q.ExecContext(ctx, `UPDATE oidc_approvals SET resident_id = $7, status = $10, decision = $11,
				grant_id = $12, poll_interval = $13, last_polled_at = $14, decided_at = $17, version = $18
			WHERE id = $1 AND version = $19 AND kind = $2 AND client_id = $3 AND code_hash = $4
				AND device_code_hash = $5 AND interaction_id = $6 AND request = $8 AND challenge = $9
				AND created_at = $15 AND expires_at = $16`, append(args, prevVersion)...)
		return updatedOne(ctx, q, res, err, `SELECT 1 FROM oidc_approvals WHERE id = $1`, a.ID)
	})
}

// DeleteApproval implements oidc.ApprovalStore.
func (s *Store) DeleteApproval(ctx context.Context, id string) error {
	return s.do(ctx, "delete approval", func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM oidc_approvals WHERE id = $1`, id)
		return deletedSome(res, err)
	})
}

// PruneApprovals implements oidc.ApprovalStore.
func (s *Store) PruneApprovals(ctx context.Context, t time.Time) (int64, error) {
	return s.deleteCount(ctx, "prune approvals", `DELETE FROM oidc_approvals WHERE expires_at < $1`, micros(t))
}
