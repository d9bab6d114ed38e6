package enrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/translog"
)

// EventLog appends an entry to a resident's transparency log in the
// transaction ctx carries. *translog.Log implements it.
type EventLog interface {
	Append(ctx context.Context, residentID string, e translog.Entry) (uint64, error)
}

var _ EventLog = (*translog.Log)(nil)

// WithEventLog makes the Service record account events (enrolled, guardian
// approved, evidence upgraded) in the resident's transparency log, in the
// transaction that makes the change. Without it nothing is logged.
func WithEventLog(l EventLog) Option { return func(s *Service) { s.events = l } }

// logAccountEvent appends an account event of residentID, if a log is set.
// id must be drawn at random before the transaction: a retried
// transaction then appends the same entry, and the log (whose leaves name
// the resident only by a pseudonymous log id) learns no resident id.
func (s *Service) logAccountEvent(ctx context.Context, residentID, id string, ev translog.Event, level Assurance, at time.Time) error {
	if s.events == nil {
		return nil
	}
	_, err := s.events.Append(ctx, residentID, translog.Entry{
		ID: id, Kind: translog.KindAccountEvent, Event: ev, Level: translog.Level(level), Time: at,
	})
	if err != nil {
		return fmt.Errorf("enrol: log %s: %w", ev, err)
	}
	return nil
}

// CertificateLog records the CA's issuances and revocations in the
// transparency log of the resident who holds the internet number: pass it
// to credential.WithEvents. The entries name the certificate by serial
// number only.
type CertificateLog struct {
	Residents Store
	Log       EventLog
}

var _ credential.Events = CertificateLog{}

// residentOf returns the resident id of an internet number.
func (c CertificateLog) residentOf(ctx context.Context, number string) (string, error) {
	r, err := c.Residents.ResidentByNumber(ctx, number)
	if err != nil {
		return "", fmt.Errorf("enrol: certificate event for an unknown internet number: %w", err)
	}
	return r.ID, nil
}

// CertificateIssued implements credential.Events.
func (c CertificateLog) CertificateIssued(ctx context.Context, rec credential.CertificateRecord) error {
	if c.Residents == nil || c.Log == nil {
		return errors.New("enrol: CertificateLog needs Residents and Log")
	}
	id, err := c.residentOf(ctx, rec.InternetNumber)
	if err != nil {
		return err
	}
	_, err = c.Log.Append(ctx, id, translog.Entry{
		ID: "cert-issued-" + rec.Serial, Kind: translog.KindCertificateIssued, Ref: rec.Serial, Time: rec.Issued,
	})
	return err
}

// CertificateRevoked implements credential.Events.
func (c CertificateLog) CertificateRevoked(ctx context.Context, number, serial string, reason credential.RevocationReason, at time.Time) error {
	if c.Residents == nil || c.Log == nil {
		return errors.New("enrol: CertificateLog needs Residents and Log")
	}
	id, err := c.residentOf(ctx, number)
	if err != nil {
		return err
	}
	_, err = c.Log.Append(ctx, id, translog.Entry{
		ID: "cert-revoked-" + serial, Kind: translog.KindCertificateRevoked, Event: translog.Event(reason.String()),
		Ref: serial, Time: at,
	})
	return err
}
