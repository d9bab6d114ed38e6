package resident

import (
	"context"
	"fmt"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/translog"
)

// ExportFormat names the format of an export.
const ExportFormat = "netid-export/1"

// Export is everything netid holds about a resident, in one document: the
// data held, every disclosure, the consents, the certificates and the
// whole transparency log with its proofs.
type Export struct {
	Format       string
	ExportedAt   time.Time
	Data         enrol.Held
	Disclosures  []Disclosure
	Consents     []Consent
	Certificates []Certificate
	History      History
}

// Export gathers everything about the resident of sess (their own
// account only) and records a data-exported account event in their
// transparency log. The event is logged after the export is gathered, so
// the export's history ends just before it.
func (s *Service) Export(ctx context.Context, sess Session) (Export, error) {
	a := Self(sess)
	x := Export{Format: ExportFormat, ExportedAt: s.stamp()}
	var err error
	if x.Data, err = s.Data(ctx, a); err != nil {
		return Export{}, err
	}
	x.Disclosures = []Disclosure{}
	for f := (DisclosureFilter{Limit: MaxDisclosures}); ; {
		page, err := s.Disclosures(ctx, a, f)
		if err != nil {
			return Export{}, err
		}
		x.Disclosures = append(x.Disclosures, page.Disclosures...)
		if page.NextBefore.IsZero() {
			break
		}
		f.Before = page.NextBefore
	}
	if x.Consents, err = s.Consents(ctx, a); err != nil {
		return Export{}, err
	}
	if x.Certificates, err = s.Certificates(ctx, a); err != nil {
		return Export{}, err
	}
	if x.History, err = s.fullHistory(ctx, sess); err != nil {
		return Export{}, err
	}
	id, err := s.entryID("exported")
	if err != nil {
		return Export{}, err
	}
	if _, err := s.d.Log.Append(ctx, sess.ResidentID, translog.Entry{ID: id, Kind: translog.KindAccountEvent,
		Event: translog.EventDataExported, Time: s.stamp()}); err != nil {
		return Export{}, fmt.Errorf("resident: log export: %w", err)
	}
	return x, nil
}

// fullHistory returns the resident's whole log, every entry proven
// against one checkpoint. Pages read while the log grows may come with
// different checkpoints; then it reads again, which finds a checkpoint
// covering everything (the first read signed one), a few times at most.
func (s *Service) fullHistory(ctx context.Context, sess Session) (History, error) {
	for range 3 {
		var h History
		q := HistoryQuery{Limit: translog.MaxListing}
		consistent := true
		for {
			page, err := s.History(ctx, sess, q)
			if err != nil {
				return History{}, err
			}
			if q.AfterSeq == 0 {
				h = page
			} else {
				h.Entries = append(h.Entries, page.Entries...)
				consistent = consistent && page.Checkpoint.Size == h.Checkpoint.Size
			}
			if !page.More {
				break
			}
			q.AfterSeq = page.Entries[len(page.Entries)-1].Seq
		}
		if consistent {
			h.More = false
			return h, nil
		}
	}
	return History{}, fmt.Errorf("resident: export: the log kept growing while it was read; try again")
}
