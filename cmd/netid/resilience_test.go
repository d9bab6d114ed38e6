package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/translog"
	"github.com/netid/netid/internal/wallet"
)

// The resilience tests run the built netid as an operator would and hurt
// it: SIGKILL in the middle of enrolments and logins, the PostgreSQL
// server stopped under load, two nodes sharing one database. Clients are
// real (the wallet package, go-oidc and x/oauth2 through the provider's
// forms), each from its own loopback address, as the per-address limits
// expect. docs/performance.md ("Resilience") says what they prove.

// kill ends the process with SIGKILL: no shutdown, no flush, no deferred
// code; whatever the store had not made durable is lost.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

// resLoad is the enrolment and login traffic of one round of
// TestSIGKILLLosesNothing.
type resLoad struct {
	base    string
	rp      *resRP
	people  *resPassports
	wallets string
	next    *atomic.Int64 // the next person number

	killed atomic.Bool // set just before the kill: later errors are expected
	events chan string // one per enrolment or login the client saw complete, "" per failure

	mu          sync.Mutex
	enrolled    []resEnrolled
	logins      map[string]int // completed logins per internet number
	interrupted []resPerson    // enrolments a failure cut off
	unexpected  []error        // failures before the kill
}

// maxLoginsPerResident keeps every account well under the per-account
// login limit (10 in 15 minutes), which a busy login worker would reach.
const maxLoginsPerResident = 3

func (l *resLoad) fail(what string, err error) {
	if l.killed.Load() || errors.Is(err, context.Canceled) {
		return
	}
	l.mu.Lock()
	l.unexpected = append(l.unexpected, fmt.Errorf("%s: %w", what, err))
	l.mu.Unlock()
	l.event("") // wakes the test up: no kill happened, something broke
}

// enrolLoop enrols new people one after another from src until ctx ends.
func (l *resLoad) enrolLoop(ctx context.Context, src string) {
	hc := resHTTP(src, nil, nil)
	for ctx.Err() == nil {
		p, err := l.people.person(int(l.next.Add(1)))
		if err != nil {
			l.fail("issuing a passport", err)
			return
		}
		acct, err := resEnrol(ctx, hc, l.base, filepath.Join(l.wallets, fmt.Sprint(p.n)), p, false)
		l.mu.Lock()
		if err != nil {
			l.interrupted = append(l.interrupted, p)
		} else {
			l.enrolled = append(l.enrolled, resEnrolled{person: p, account: acct})
		}
		l.mu.Unlock()
		if err != nil {
			l.fail(fmt.Sprintf("enrolling passport %d", p.n), err)
			return
		}
		l.event("enrolled " + acct.InternetNumber)
	}
}

// loginLoop logs enrolled residents in from src until ctx ends, the
// least logged-in first.
func (l *resLoad) loginLoop(ctx context.Context, src string) {
	for ctx.Err() == nil {
		who, ok := l.pickLogin()
		if !ok {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		_, err := l.rp.login(ctx, src, nil, who.account.InternetNumber, who.person.password)
		if err != nil {
			l.fail("logging "+who.account.InternetNumber+" in", err)
			return
		}
		l.event("logged in " + who.account.InternetNumber)
	}
}

// pickLogin reserves a login for the enrolled resident with the fewest.
func (l *resLoad) pickLogin() (resEnrolled, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var best resEnrolled
	found := false
	for _, e := range l.enrolled {
		n := l.logins[e.account.InternetNumber]
		if n < maxLoginsPerResident && (!found || n < l.logins[best.account.InternetNumber]) {
			best, found = e, true
		}
	}
	if found {
		// Counted when picked, so that two workers do not pass the cap
		// together; an attempt that fails counts too, as on the server.
		l.logins[best.account.InternetNumber]++
	}
	return best, found
}

// failures returns the failures before the kill so far.
func (l *resLoad) failures() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.unexpected...)
}

// loginCount is the number of logins attempted so far.
func (l *resLoad) loginCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.logins {
		n += c
	}
	return n
}

func (l *resLoad) event(what string) {
	select {
	case l.events <- what:
	default: // nobody counts any more
	}
}

// TestSIGKILLLosesNothing kills serve --demo on SQLite with SIGKILL while
// enrolments and logins run, at several points, and restarts it on the
// same data dir each time. Every enrolment a wallet saw complete is in the
// store with its internet number and the very certificate the wallet
// holds; no resident lacks its number, certificate or identity anchor;
// SQLite's integrity check passes; the transparency log published after
// the restart extends the one published before, includes every stored
// leaf and keeps every resident's chain; interrupted enrolments resume;
// logins work again.
func TestSIGKILLLosesNothing(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	base := "http://" + addr
	args := []string{"--demo", "--data-dir", dataDir, "--translog-checkpoint-interval", "1s"}
	s := startServerAt(t, addr, args...)
	s.waitReady(t)
	control := resHTTP("127.0.0.1", nil, nil)
	auditor := resAuditor(t, control, base, addr+"/translog")
	load := &resLoad{base: base, rp: registerResRP(t, base, "--data-dir", dataDir), people: newResPassports(t, dataDir),
		wallets: t.TempDir(), next: new(atomic.Int64), logins: map[string]int{}}

	// Each round kills once this many enrolments and logins completed,
	// with the workers still busy: the kill lands inside some request.
	killAfter := []int{1, 2, 4, 8}
	var published translog.Checkpoint
	for round, after := range killAfter {
		t.Logf("round %d: killing after %d completed enrolments or logins", round, after)
		ctx, cancel := context.WithCancel(context.Background())
		load.events = make(chan string, 64)
		load.killed.Store(false)
		load.unexpected = nil
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Go(func() { load.enrolLoop(ctx, fmt.Sprintf("127.0.%d.%d", round+1, 10+w)) })
		}
		for w := range 2 {
			wg.Go(func() { load.loginLoop(ctx, fmt.Sprintf("127.0.%d.%d", round+1, 20+w)) })
		}
		for range after {
			if what := <-load.events; what == "" {
				t.Fatalf("round %d: before the kill: %v\n%s", round, load.failures(), s.logs)
			}
		}
		if cp, err := latestCheckpoint(auditor, control, base); err == nil {
			published = cp
		}
		load.killed.Store(true)
		s.kill(t)
		cancel()
		wg.Wait()
		for _, err := range load.unexpected {
			t.Errorf("round %d, before the kill: %v", round, err)
		}
		if t.Failed() {
			t.Fatalf("server logs:\n%s", s.logs)
		}

		// The process is dead: the database is as the kill left it.
		db := openResSQLite(t, dataDir)
		checkSQLiteIntegrity(t, db)
		residents := checkResidents(t, db, load.enrolled)
		t.Logf("round %d: %d residents stored, %d enrolments seen complete, %d cut off", round, residents, len(load.enrolled), len(load.interrupted))

		s = startServerAt(t, addr, args...)
		s.waitReady(t)
		published = auditLog(t, db, auditor, control, base, published)

		// Interrupted enrolments resume where the server has them.
		interrupted := load.interrupted
		load.interrupted = nil
		resumed, lost := 0, 0
		for i, p := range interrupted {
			src := fmt.Sprintf("127.0.%d.%d", round+1, 100+i)
			dir := filepath.Join(load.wallets, fmt.Sprint(p.n))
			acct, err := resEnrol(context.Background(), resHTTP(src, nil, nil), base, dir, p, false)
			if err != nil && !errors.Is(err, wallet.ErrEnrolmentLost) {
				// The SMS of a code sent as the server died may never
				// have gone out: ask for a new one, as a resident would.
				acct, err = resEnrol(context.Background(), resHTTP(src, nil, nil), base, dir, p, true)
			}
			switch {
			case err == nil:
				resumed++
				load.enrolled = append(load.enrolled, resEnrolled{person: p, account: acct})
			case errors.Is(err, wallet.ErrEnrolmentLost):
				lost++
				w, werr := wallet.Open(dir)
				if werr != nil {
					t.Fatal(werr)
				}
				checkEnrolmentLost(t, db, w.State().Enrolment.ID)
			case wallet.IsProblem(err, wallet.ProblemThrottled):
				// The code was sent as the server died and its SMS went
				// with it: a new one may be asked for only after the
				// resend interval (a minute), which a resident would
				// wait out. The enrolment stays open and consistent.
				t.Logf("passport %d: a new phone code must wait: %v", p.n, err)
			default:
				t.Errorf("resuming the enrolment of passport %d after the restart: %v", p.n, err)
			}
		}
		checkResidents(t, db, load.enrolled)
		t.Logf("round %d: after the restart, %d interrupted enrolments resumed to completion, %d had completed unseen; %d logins so far; log of %d leaves audited",
			round, resumed, lost, load.loginCount(), published.Size)

		// The service works again: a resident enrolled before logs in.
		if len(load.enrolled) > 0 {
			who := load.enrolled[0]
			if _, err := load.rp.login(context.Background(), fmt.Sprintf("127.0.%d.99", round+1), nil,
				who.account.InternetNumber, who.person.password); err != nil {
				t.Errorf("round %d: login after the restart: %v", round, err)
			}
			load.logins[who.account.InternetNumber]++
		}
		db.Close()
		if t.Failed() {
			t.Fatalf("server logs:\n%s", s.logs)
		}
	}
	if len(load.enrolled) < len(killAfter) {
		t.Errorf("only %d enrolments completed over %d rounds: the test did not exercise much", len(load.enrolled), len(killAfter))
	}
	s.stop(t)
}

// TestPostgresRestartUnderLoad stops the PostgreSQL server under netid
// while clients keep sending requests that need it (readiness, enrolment
// start and status, authorization, userinfo, token refresh, the
// transparency log, the CRL), then starts it again. While it is down every
// answer is a clean 503 (a problem, or an OAuth error at the provider's
// endpoints) and /readyz says 503: never a 500, never a hang, never a
// dropped connection. Once it is back, every request succeeds again
// without restarting netid. The cluster is private to the test (pgtest.
// NewCluster); without initdb the test skips, except in CI.
func TestPostgresRestartUnderLoad(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	base := "http://" + addr
	storage := []string{"--data-dir", dataDir, "--database-url", cluster.URL()}
	s := startServerAt(t, addr, append([]string{"--demo"}, storage...)...)
	s.waitReady(t)
	rp := registerResRP(t, base, storage...)
	people := newResPassports(t, dataDir)
	ctx := context.Background()

	// A resident, logged in once: a token for userinfo and refresh.
	p, err := people.person(1)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := resEnrol(ctx, resHTTP("127.0.0.1", nil, nil), base, filepath.Join(t.TempDir(), "wallet"), p, false)
	if err != nil {
		t.Fatalf("enrolment before the outage: %v\n%s", err, s.logs)
	}
	toks, err := rp.login(ctx, "127.0.0.2", nil, acct.InternetNumber, p.password)
	if err != nil {
		t.Fatalf("login before the outage: %v\n%s", err, s.logs)
	}
	// An enrolment left open, for its status.
	open, err := people.person(2)
	if err != nil {
		t.Fatal(err)
	}
	wc, err := wallet.NewClient(base, wallet.WithHTTPClient(resHTTP("127.0.0.3", nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	chip, err := json.Marshal(open.doc.Chip)
	if err != nil {
		t.Fatal(err)
	}
	started, err := wc.StartEnrolment(ctx, wallet.StartRequest{Evidence: wallet.Evidence{Chip: chip, PrintedMRZ: open.doc.PrintedMRZ}})
	if err != nil {
		t.Fatal(err)
	}

	hc := resHTTP("127.0.0.4", nil, nil)
	probes := []resProbe{
		statusProbe("readyz", base, "/readyz", http.StatusOK, hc),
		enrolStartProbe(t, base, people, 100),
		enrolStatusProbe(base, started.ID, started.Token, hc),
		authorizeProbe(rp, hc),
		userinfoProbe(base, toks.token.AccessToken, hc),
		refreshProbe(rp, toks.token.RefreshToken, hc),
		statusProbe("translog checkpoint", base, "/translog/checkpoint", http.StatusOK, hc),
		cachedProbe(statusProbe("crl", base, "/crl", http.StatusOK, hc)),
	}
	// Two outages: a clean shutdown, which terminates the connections,
	// then a crash, after which the server recovers from its WAL.
	for _, mode := range []string{"fast", "immediate"} {
		o := newResOutage(probes)
		// The bound of each wait is a hang detector, not a speed
		// assertion.
		wait := func(phase int32, ok bool, n int) {
			t.Helper()
			wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
			defer cancel()
			if err := o.waitFor(wctx, phase, ok, n); err != nil {
				o.judge(t)
				t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, s.logs)
			}
		}
		load, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Go(func() { o.run(load, w*3) })
		}
		began := time.Now()
		step := func(what string) {
			t.Logf("-m %s, %v: %s", mode, time.Since(began).Round(time.Millisecond), what)
		}
		wait(phaseUp, true, 2)
		step("every probe succeeded; stopping PostgreSQL")
		o.phase.Store(phaseStopping)
		cluster.Stop(t, mode)
		o.phase.Store(phaseDown)
		step("PostgreSQL stopped")
		wait(phaseDown, false, 5)
		step("every probe refused; starting PostgreSQL")
		o.phase.Store(phaseStarting)
		cluster.Start(t)
		step("PostgreSQL started")
		s.waitReady(t)
		o.phase.Store(phaseRecovered)
		step("netid ready")
		wait(phaseRecovered, true, 3)
		step("every probe succeeded again")
		stopLoad()
		wg.Wait()
		o.judge(t)
		if t.Failed() {
			t.Fatalf("server logs:\n%s", s.logs)
		}
	}
	s.stop(t)
	if strings.Contains(s.logs.String(), "panic") {
		t.Errorf("the server logged a panic:\n%s", s.logs)
	}
}

// TestTwoNodesOnePostgres runs two netid nodes behind one public URL on
// one PostgreSQL database, the second started with a copy of the first's
// data dir (the keys, and the demo's documents): residents enrolled on
// either log in on the other; a login started on node A (authorization
// and login page) finishes on node B (password, consent, token, userinfo)
// with the same pairwise subject; both publish the same keys and a
// transparency log one auditor verifies; a refresh token used on A is
// refused when replayed on B, and the replay revokes its family on A too.
func TestTwoNodesOnePostgres(t *testing.T) {
	dbURL := pgtest.New(t)
	dirA := filepath.Join(t.TempDir(), "a")
	dirB := filepath.Join(t.TempDir(), "b")
	addrA, addrB := freeAddr(t), freeAddr(t)
	public := "http://" + addrA // what a load balancer would front
	node := func(dir, addr string) *server {
		return startServerAt(t, addr, "--demo", "--data-dir", dir, "--database-url", dbURL, "--public-url", public)
	}
	a := node(dirA, addrA)
	a.waitReady(t)
	if out, err := exec.Command("cp", "-a", dirA, dirB).CombinedOutput(); err != nil {
		t.Fatalf("copying the data dir: %v\n%s", err, out)
	}
	b := node(dirB, addrB)
	b.waitReady(t)
	defer func() {
		// Read once B has exited: its log buffer is written until then.
		if b.cmd.ProcessState == nil {
			return
		}
		if strings.Contains(b.logs.String(), "created key") || strings.Contains(b.logs.String(), "migrated schema") {
			t.Errorf("node B created keys or migrated, want A's keys and schema:\n%s", b.logs)
		}
	}()
	toA := func() string { return addrA }
	toB := func() string { return addrB }
	ctx := context.Background()

	// Both nodes publish the same signing keys and log keys.
	for _, path := range []string{"/oidc/jwks", "/translog/keys", "/ca.pem"} {
		fromA, errA := resGet(resHTTP("127.0.0.1", nil, toA), public, path)
		fromB, errB := resGet(resHTTP("127.0.0.1", nil, toB), public, path)
		if errA != nil || errB != nil || !bytes.Equal(fromA, fromB) {
			t.Errorf("%s differs between the nodes (%v, %v)", path, errA, errB)
		}
	}

	rp := registerResRP(t, public, "--data-dir", dirA, "--database-url", dbURL)
	people := newResPassports(t, dirA)
	enrolOn := func(n int, to func() string, src string) (resPerson, *wallet.Account) {
		t.Helper()
		p, err := people.person(n)
		if err != nil {
			t.Fatal(err)
		}
		acct, err := resEnrol(ctx, resHTTP(src, nil, to), public, filepath.Join(t.TempDir(), "wallet"), p, false)
		if err != nil {
			t.Fatalf("enrolling passport %d: %v\nA:\n%s\nB:\n%s", n, err, a.logs, b.logs)
		}
		return p, acct
	}
	p1, onA := enrolOn(1, toA, "127.0.0.11")
	p2, onB := enrolOn(2, toB, "127.0.0.12")

	// Enrolled on A, logged in on B, and the other way round.
	if _, err := rp.login(ctx, "127.0.0.21", toB, onA.InternetNumber, p1.password); err != nil {
		t.Errorf("resident enrolled on A, login on B: %v", err)
	}
	if _, err := rp.login(ctx, "127.0.0.22", toA, onB.InternetNumber, p2.password); err != nil {
		t.Errorf("resident enrolled on B, login on A: %v", err)
	}

	// A login started on A finishes on B.
	jar := newJar()
	browserA, browserB := resHTTP("127.0.0.31", jar, toA), resHTTP("127.0.0.31", jar, toB)
	l, err := rp.start(browserA)
	if err != nil {
		t.Fatalf("authorization on A: %v", err)
	}
	if !strings.Contains(l.page.body, `name="password"`) {
		t.Fatalf("A did not show the login page: %.500s", l.page.body)
	}
	if err := l.password(browserB, onA.InternetNumber, p1.password); err != nil {
		t.Fatalf("password on B: %v\nB:\n%s", err, b.logs)
	}
	if err := l.consent(browserB); err != nil {
		t.Fatalf("consent on B: %v", err)
	}
	split, err := l.finish(ctx, resHTTP("127.0.0.32", nil, toB))
	if err != nil {
		t.Fatalf("token and userinfo on B: %v", err)
	}
	if split.userinfo["age_over_18"] != true {
		t.Errorf("userinfo on B = %v, want age_over_18 true", split.userinfo)
	}
	// The session B created serves single sign-on on A: same subject.
	sso, err := rp.start(browserA)
	if err != nil || sso.page.code == "" {
		t.Fatalf("a second authorization on A with B's session: %v, page %d %.300s; want straight back to the platform", err, sso.page.status, sso.page.body)
	}
	again, err := sso.finish(ctx, resHTTP("127.0.0.33", nil, toA))
	if err != nil {
		t.Fatalf("token on A after single sign-on: %v", err)
	}
	if again.subject != split.subject {
		t.Errorf("pairwise subject %q on A, %q on B: want the same", again.subject, split.subject)
	}

	// A refresh token used on A cannot be replayed on B; the replay
	// revokes the whole family, the token A just issued included.
	refreshed, err := rp.refresh(ctx, resHTTP("127.0.0.34", nil, toA), split.token.RefreshToken)
	if err != nil {
		t.Fatalf("refresh on A: %v", err)
	}
	_, err = rp.refresh(ctx, resHTTP("127.0.0.35", nil, toB), split.token.RefreshToken)
	if code := oauthErrorCode(err); code != "invalid_grant" {
		t.Errorf("the used refresh token replayed on B: %v (code %q), want invalid_grant", err, code)
	}
	_, err = rp.refresh(ctx, resHTTP("127.0.0.36", nil, toA), refreshed.RefreshToken)
	if code := oauthErrorCode(err); code != "invalid_grant" {
		t.Errorf("the family's newest refresh token after the replay: %v (code %q), want invalid_grant", err, code)
	}

	// One log: an auditor verifies both nodes' checkpoints.
	auditor := resAuditor(t, resHTTP("127.0.0.1", nil, toA), public, addrA+"/translog")
	for name, to := range map[string]func() string{"A": toA, "B": toB} {
		if _, err := latestCheckpoint(auditor, resHTTP("127.0.0.1", nil, to), public); err != nil {
			t.Errorf("node %s's checkpoint: %v", name, err)
		}
	}
	a.stop(t)
	b.stop(t)
}

// oauthErrorCode is the OAuth error code of a token endpoint refusal.
func oauthErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}
