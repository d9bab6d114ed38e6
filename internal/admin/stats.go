package admin

import (
	"context"
	"fmt"
	"time"
)

// MaxStatsDays bounds the days of one statistics request.
const MaxStatsDays = 366

// day is the length of a statistics day; days are UTC.
const day = 24 * time.Hour

// Stats are the service's figures at one time: residents now, enrolments
// now and per day, and logins per day, relying party and level.
type Stats struct {
	// Time is when the figures were read.
	Time time.Time `json:"time"`
	// From and To are the first and last day of Days (YYYY-MM-DD, UTC).
	From       string         `json:"from"`
	To         string         `json:"to"`
	Residents  ResidentStats  `json:"residents"`
	Enrolments EnrolmentStats `json:"enrolments"`
	Days       []DayStats     `json:"days"`
}

// ResidentStats count enrolled residents.
type ResidentStats struct {
	// ByStatus counts accounts by status (active, pending-guardian, ...).
	ByStatus map[string]int64 `json:"by_status"`
	Total    int64            `json:"total"`
	// Activated counts residents holding a valid certificate: not
	// revoked, not expired.
	Activated int64 `json:"activated"`
}

// EnrolmentStats count enrolments in progress.
type EnrolmentStats struct {
	// Open counts enrolments neither completed nor expired.
	Open int64 `json:"open"`
	// Started counts enrolments started since StartedSince (now minus
	// the enrolment lifetime, 24 hours by default): the store deletes an
	// enrolment when its lifetime is over, so earlier starts are not known.
	Started      int64     `json:"started"`
	StartedSince time.Time `json:"started_since"`
}

// DayStats are one UTC day's figures.
type DayStats struct {
	Date string `json:"date"`
	// EnrolmentsStarted is null for a day that began before
	// Enrolments.StartedSince, whose enrolments may have been pruned.
	EnrolmentsStarted    *int64 `json:"enrolments_started"`
	EnrolmentsCompleted  int64  `json:"enrolments_completed"`
	AuthenticationsTotal int64  `json:"authentications_total"`
	// Authentications are the day's logins (authorization-code token
	// responses) by relying party and level; refreshes are not logins.
	Authentications []AuthenticationStat `json:"authentications"`
}

// AuthenticationStat counts one day's logins of one relying party at one
// level.
type AuthenticationStat struct {
	ClientID string `json:"client_id"`
	Level    string `json:"level"`
	Count    int64  `json:"count"`
}

// ParseDay parses a UTC day as YYYY-MM-DD.
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a date of the form YYYY-MM-DD", ErrInvalid, s)
	}
	return t, nil
}

// DayRange returns the days from and to (YYYY-MM-DD, to inclusive) as UTC
// midnights, checked: an empty to is today, an empty from is six days
// before to (a week); from must not be after to, and the range at most
// MaxStatsDays days.
func DayRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	end := now.UTC().Truncate(day)
	var err error
	if to != "" {
		if end, err = ParseDay(to); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	start := end.AddDate(0, 0, -6)
	if from != "" {
		if start, err = ParseDay(from); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	switch n := int(end.Sub(start)/day) + 1; {
	case start.After(end):
		return time.Time{}, time.Time{}, fmt.Errorf("%w: from %s is after to %s", ErrInvalid, start.Format(time.DateOnly), end.Format(time.DateOnly))
	case n > MaxStatsDays:
		return time.Time{}, time.Time{}, fmt.Errorf("%w: %d days asked, at most %d", ErrInvalid, n, MaxStatsDays)
	}
	return start, end, nil
}

// Stats reads the figures, with one entry in Days for every day from
// first to last (UTC midnights, as DayRange returns them).
func (s *Service) Stats(ctx context.Context, first, last time.Time) (Stats, error) {
	first, last = first.UTC().Truncate(day), last.UTC().Truncate(day)
	if last.Before(first) || int(last.Sub(first)/day)+1 > MaxStatsDays {
		return Stats{}, fmt.Errorf("%w: day range %s to %s", ErrInvalid, first.Format(time.DateOnly), last.Format(time.DateOnly))
	}
	now := s.stamp()
	out := Stats{Time: now, From: first.Format(time.DateOnly), To: last.Format(time.DateOnly)}
	st := s.d.Stats
	var err error
	if out.Residents.ByStatus, err = st.StatsResidentsByStatus(ctx); err != nil {
		return Stats{}, err
	}
	for _, n := range out.Residents.ByStatus {
		out.Residents.Total += n
	}
	if out.Residents.Activated, err = st.StatsActivatedResidents(ctx, now); err != nil {
		return Stats{}, err
	}
	since := now.Add(-s.cfg.EnrolmentTTL)
	out.Enrolments.StartedSince = since
	if out.Enrolments.Started, out.Enrolments.Open, err = st.StatsEnrolments(ctx, since, now); err != nil {
		return Stats{}, err
	}
	end := last.Add(day)
	started, err := st.StatsEnrolmentsStartedByDay(ctx, first, end)
	if err != nil {
		return Stats{}, err
	}
	completed, err := st.StatsEnrolmentsCompletedByDay(ctx, first, end)
	if err != nil {
		return Stats{}, err
	}
	auths, err := st.StatsAuthenticationsByDay(ctx, first, end)
	if err != nil {
		return Stats{}, err
	}
	// Keyed by Unix seconds: time.Time map keys would also compare
	// locations.
	byUnix := func(m map[time.Time]int64) map[int64]int64 {
		out := make(map[int64]int64, len(m))
		for d, n := range m {
			out[d.Unix()] += n
		}
		return out
	}
	startedOn, completedOn := byUnix(started), byUnix(completed)
	authsOn := map[int64][]AuthenticationStat{}
	for _, a := range auths {
		d := a.Day.Unix()
		authsOn[d] = append(authsOn[d], AuthenticationStat{ClientID: a.ClientID, Level: a.Level, Count: a.Count})
	}
	for d := first; !d.After(last); d = d.Add(day) {
		ds := DayStats{Date: d.Format(time.DateOnly), EnrolmentsCompleted: completedOn[d.Unix()], Authentications: authsOn[d.Unix()]}
		if !d.Before(since) {
			n := startedOn[d.Unix()]
			ds.EnrolmentsStarted = &n
		}
		if ds.Authentications == nil {
			ds.Authentications = []AuthenticationStat{}
		}
		for _, a := range ds.Authentications {
			ds.AuthenticationsTotal += a.Count
		}
		out.Days = append(out.Days, ds)
	}
	return out, nil
}
