package admin_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
)

// toNoon moves the env's clock to the next 12:00 UTC, so that "today" and
// "yesterday" of a test are the same whatever the time it runs.
func (e *env) toNoon() time.Time {
	now := e.e.Clock.Now()
	noon := now.UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	if !noon.After(now) {
		noon = noon.Add(24 * time.Hour)
	}
	e.e.Clock.Advance(noon.Sub(now))
	return noon
}

// statsFixture enrols two residents (Bob's certificate revoked), leaves an
// enrolment open, and records logins of two platforms today and one
// yesterday, plus a refresh, which is not a login.
func statsFixture(t *testing.T, e *env) (today time.Time) {
	t.Helper()
	ctx := context.Background()
	noon := e.toNoon()
	e.enrol("Alice")
	bob := e.enrol("Bob")
	if _, err := e.svc.RevokeCertificatesOf(ctx, operator, bob.number, credential.ReasonCessationOfOperation); err != nil {
		t.Fatal(err)
	}
	card := e.e.RegisterIDCard("Open", e.e.BirthForAge(40), "M", 99)
	if _, err := e.e.Service.Start(ctx, enrol.StartRequest{Evidence: enrol.Evidence{Authority: card.Evidence()}, ClientAddr: "192.0.2.9"}); err != nil {
		t.Fatal(err)
	}
	for i, d := range []struct {
		client string
		at     time.Time
		acr    enrol.Assurance
		kind   oidc.DisclosureKind
	}{
		{"rp-a", noon.Add(-time.Hour), enrol.AssuranceLow, oidc.DisclosureCode},
		{"rp-a", noon.Add(-2 * time.Hour), enrol.AssuranceLow, oidc.DisclosureCode},
		{"rp-a", noon.Add(-3 * time.Hour), enrol.AssuranceSubstantial, oidc.DisclosureCode},
		{"rp-b", noon.Add(-4 * time.Hour), enrol.AssuranceLow, oidc.DisclosureCode},
		{"rp-b", noon.Add(-5 * time.Hour), enrol.AssuranceLow, oidc.DisclosureRefresh},
		{"rp-b", noon.Add(-20 * time.Hour), enrol.AssuranceHigh, oidc.DisclosureCode},
	} {
		if err := e.e.Store.RecordDisclosure(ctx, oidc.Disclosure{ID: fmt.Sprintf("d%d", i), ResidentID: "r", ClientID: d.client,
			GrantID: "g", At: d.at, ACR: d.acr, Kind: d.kind}); err != nil {
			t.Fatal(err)
		}
	}
	return noon.Truncate(24 * time.Hour)
}

// TestAPIStats reads the statistics over HTTP.
func TestAPIStats(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		today := statsFixture(t, e)
		yesterday := today.AddDate(0, 0, -1)
		var st admin.Stats
		e.call(http.MethodGet, "/admin/v1/stats?from="+yesterday.Format(time.DateOnly)+"&to="+today.Format(time.DateOnly), nil).
			decode(t, http.StatusOK, &st)
		if st.Residents.Total != 2 || st.Residents.ByStatus["active"] != 2 || st.Residents.Activated != 1 {
			t.Errorf("residents = %+v, want 2 active, 1 activated", st.Residents)
		}
		if st.Enrolments.Open != 1 || st.Enrolments.Started != 3 {
			t.Errorf("enrolments = %+v, want 1 open, 3 started", st.Enrolments)
		}
		if len(st.Days) != 2 || st.Days[0].Date != yesterday.Format(time.DateOnly) || st.Days[1].Date != today.Format(time.DateOnly) {
			t.Fatalf("days = %+v, want yesterday and today", st.Days)
		}
		y, d := st.Days[0], st.Days[1]
		if y.AuthenticationsTotal != 1 || len(y.Authentications) != 1 || y.Authentications[0] != (admin.AuthenticationStat{ClientID: "rp-b", Level: "high", Count: 1}) {
			t.Errorf("yesterday = %+v, want one high login of rp-b", y)
		}
		if y.EnrolmentsStarted != nil {
			t.Errorf("yesterday's started = %d, want null: the day began before the enrolment lifetime", *y.EnrolmentsStarted)
		}
		want := []admin.AuthenticationStat{{"rp-a", "low", 2}, {"rp-a", "substantial", 1}, {"rp-b", "low", 1}}
		if d.AuthenticationsTotal != 4 || fmt.Sprint(d.Authentications) != fmt.Sprint(want) {
			t.Errorf("today's logins = %d %+v, want 4 %+v (the refresh is not a login)", d.AuthenticationsTotal, d.Authentications, want)
		}
		if d.EnrolmentsCompleted != 2 || d.EnrolmentsStarted == nil || *d.EnrolmentsStarted != 3 {
			t.Errorf("today's enrolments = %+v, want 3 started, 2 completed", d)
		}

		for _, q := range []string{"?from=2025-13-01", "?from=2025-07-02&to=2025-07-01", "?from=2024-01-01&to=2025-07-01", "?since=x", "?to=07/01/2025"} {
			r := e.call(http.MethodGet, "/admin/v1/stats"+q, nil)
			if p := r.problem(t); r.status != http.StatusBadRequest {
				t.Errorf("stats%s = %d %s, want 400", q, r.status, p.Detail)
			}
		}
		// The default range is the last seven days.
		e.call(http.MethodGet, "/admin/v1/stats", nil).decode(t, http.StatusOK, &st)
		if len(st.Days) != 7 {
			t.Errorf("default range has %d days, want 7", len(st.Days))
		}
	})
}

// scrape reads /metrics and returns its sample lines by name and labels.
func scrape(t *testing.T, url string) map[string]string {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("/metrics = %d %s", res.StatusCode, b)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		out[line[:i]] = line[i+1:]
	}
	return out
}

// TestCollector scrapes the statistics from /metrics, checks that they are
// reused within the cache time and read again after it, and that a store
// failure keeps the last figures with netid_stats_up 0.
func TestCollector(t *testing.T) {
	e := newEnv(t, "sqlite")
	today := statsFixture(t, e)
	srv := httpapi.New(httpapi.DefaultConfig(), slog.New(slog.DiscardHandler))
	col := admin.NewCollector(e.svc, time.Minute, admin.WithCollectorClock(e.e.Clock.Now),
		admin.WithCollectorLogger(slog.New(slog.DiscardHandler)))
	srv.Registry().MustRegister(col)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	want := map[string]string{
		`netid_stats_up`:                                                    "1",
		`netid_residents{status="active"}`:                                  "2",
		`netid_residents_activated`:                                         "1",
		`netid_enrolments_open`:                                             "1",
		`netid_enrolments_started`:                                          "3",
		`netid_enrolments_started_window_seconds`:                           "86400",
		`netid_enrolments_completed_today`:                                  "2",
		`netid_authentications_today{client_id="rp-a",level="low"}`:         "2",
		`netid_authentications_today{client_id="rp-a",level="substantial"}`: "1",
		`netid_authentications_today{client_id="rp-b",level="low"}`:         "1",
	}
	got := scrape(t, ts.URL)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got[`netid_authentications_today{client_id="rp-b",level="high"}`]; ok {
		t.Error("yesterday's login is counted today")
	}

	// A new login: within the cache time the figures are reused, after
	// it they are read again.
	if err := e.e.Store.RecordDisclosure(context.Background(), oidc.Disclosure{ID: "new", ResidentID: "r", ClientID: "rp-b",
		GrantID: "g", At: today.Add(11 * time.Hour), ACR: enrol.AssuranceLow, Kind: oidc.DisclosureCode}); err != nil {
		t.Fatal(err)
	}
	key := `netid_authentications_today{client_id="rp-b",level="low"}`
	if got := scrape(t, ts.URL)[key]; got != "1" {
		t.Errorf("within the cache time: %s = %s, want the cached 1", key, got)
	}
	e.e.Clock.Advance(time.Minute)
	if got := scrape(t, ts.URL)[key]; got != "2" {
		t.Errorf("after the cache time: %s = %s, want 2", key, got)
	}

	// The store goes away: the scrape still answers, with the last
	// figures and netid_stats_up 0.
	e.e.Store.Close()
	e.e.Clock.Advance(time.Minute)
	got = scrape(t, ts.URL)
	if got["netid_stats_up"] != "0" || got[key] != "2" {
		t.Errorf("with the store closed: up %s, %s = %s; want 0 and the last figure", got["netid_stats_up"], key, got[key])
	}
}
