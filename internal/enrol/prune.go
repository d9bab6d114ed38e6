package enrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/store"
)

// PruneExpired deletes the enrolments whose time ran out and returns how
// many. An abandoned enrolment's data is crypto-shredded with its data key
// (its resident was never created); a completed enrolment's leftover
// record is simply deleted, since its data key now belongs to the account.
// Run it periodically; it is safe on several nodes at once.
func (s *Service) PruneExpired(ctx context.Context) (int, error) {
	const batch = 100
	total := 0
	for {
		// An enrolment is expired from its ExpiresAt on (see load), so
		// the cut-off is the microsecond after now.
		list, err := s.d.Store.EnrolmentsExpiredBefore(ctx, s.now().Add(time.Microsecond), batch)
		if err != nil {
			return total, err
		}
		for _, e := range list {
			err := s.d.Store.InTx(ctx, func(ctx context.Context) error {
				cur, err := s.d.Store.Enrolment(ctx, e.ID)
				if err != nil {
					return err
				}
				if s.now().Before(cur.ExpiresAt) {
					return nil
				}
				if cur.State != StateCompleted {
					if err := s.d.Envelope.Shred(ctx, cur.ResidentID); err != nil {
						return err
					}
				}
				return s.d.Store.DeleteEnrolment(ctx, cur.ID)
			})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return total, fmt.Errorf("enrol: prune %s: %w", e.ID, err)
			}
			if err == nil {
				total++
			}
			if err := s.d.Phone.Forget(ctx, e.ID); err != nil {
				s.log.WarnContext(ctx, "forget phone challenges", "enrolment", e.ID, "err", err)
			}
		}
		if len(list) < batch {
			return total, nil
		}
	}
}
