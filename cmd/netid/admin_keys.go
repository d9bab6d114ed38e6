package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
)

// newAdminKeysCommand is `netid admin keys`: the operator's view of the
// service keys and their life cycle (list, rotate, re-wrap, retire). Every
// subcommand takes the storage flags of serve and works beside running
// servers, which pick up a change within --key-reload-interval or at
// SIGHUP.
func newAdminKeysCommand(stdout, stderr io.Writer) *ffcli.Command {
	return newCommand(&ffcli.Command{
		Name:       "keys",
		ShortUsage: "netid admin keys <list|rotate|rewrap|retire> [flags]",
		ShortHelp:  "list, rotate, re-wrap and retire the service keys",
		LongHelp: `List, rotate, re-wrap and retire the service keys in DATA_DIR/keys.

A rotation makes a new active key for a purpose and moves the previous one to
retiring: it still verifies, unwraps and checks cookies, but does no new work.
Running servers see the change within their --key-reload-interval, or at once
on SIGHUP, without a restart and without failing a request. Retiring destroys
a retiring key's secret; wait until nothing needs it (see retire --help).
Several nodes on one key directory: rotate token-signing with --activate-in,
so that every node publishes the new key before any signs with it (see
rotate --help).

Key-encryption rotation: rotate --purpose key-encryption, then rewrap (moves
every resident's data key under the new KEK, resumable), then retire the old
KEK. See docs/operations.md, "Keys".

Every subcommand takes the storage flags of serve; every rotation,
retirement and re-wrap, refusals included, is recorded in the admin audit
trail (netid admin audit).`,
		FlagSet: flag.NewFlagSet("netid admin keys", flag.ContinueOnError),
		Subcommands: []*ffcli.Command{
			newKeysListCommand(stdout),
			newKeysRotateCommand(stdout, stderr),
			newKeysRewrapCommand(stdout, stderr),
			newKeysRetireCommand(stdout, stderr),
		},
	})
}

// keyDirOf is the key directory of a data dir.
func keyDirOf(f storageFlags) string { return filepath.Join(f.dataDir, "keys") }

// openKeysForAdmin opens the key store of the data dir without creating
// keys or checking them against the suite: a suite mismatch is what a
// rotation fixes. It refuses a data dir without a key directory rather
// than create one, since that is an operator's wrong --data-dir.
func openKeysForAdmin(f storageFlags) (*keystore.Store, error) {
	name, err := suite.Parse(f.suite)
	if err != nil {
		return nil, err
	}
	s, err := suite.New(name)
	if err != nil {
		return nil, err
	}
	dir := keyDirOf(f)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, exitError{code: 1, msg: fmt.Sprintf("no key directory %s: is --data-dir (%s) the server's data dir? (netid serve creates the keys on first start)", dir, env("data-dir"))}
	}
	keys, err := keystore.OpenDir(dir, s)
	if err != nil {
		return nil, fmt.Errorf("opening key store: %w", err)
	}
	return keys, nil
}

// keysStorageCheck validates the storage flags and the argument count of a
// keys subcommand.
func keysStorageCheck(f storageFlags, name string, args []string, want int, extra ...error) error {
	errs := append(f.validate(), extra...)
	if len(args) != want {
		if want == 0 {
			errs = append(errs, fmt.Errorf("keys %s takes no arguments, got %q", name, args))
		} else {
			errs = append(errs, fmt.Errorf("keys %s takes %d argument(s), got %q", name, want, args))
		}
	}
	return configErrors(errs)
}

func newKeysListCommand(stdout io.Writer) *ffcli.Command {
	var (
		storage storageFlags
		asJSON  bool
	)
	fs := flag.NewFlagSet("netid admin keys list", flag.ContinueOnError)
	storage.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the keys as a JSON array")
	return newCommand(&ffcli.Command{
		Name:       "list",
		ShortUsage: "netid admin keys list [--json] [storage flags]",
		ShortHelp:  "list every key: id, purpose, algorithm, state, creation",
		LongHelp: `List every key of the key store, oldest first, whatever its state: its id (the
JOSE "kid" of token-signing keys), purpose, algorithm, state (active, pending,
retiring, retired), when it was created, when its state last changed and, for a
pending key (rotate --activate-in), when it becomes the active one. No secret
is printed.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := keysStorageCheck(storage, "list", args, 0); err != nil {
				return err
			}
			keys, err := openKeysForAdmin(storage)
			if err != nil {
				return err
			}
			metas := keys.List("")
			if asJSON {
				type row struct {
					ID           string    `json:"id"`
					Purpose      string    `json:"purpose"`
					Algorithm    string    `json:"algorithm"`
					State        string    `json:"state"`
					Created      time.Time `json:"created"`
					StateChanged time.Time `json:"state_changed"`
					ActivateAt   time.Time `json:"activate_at,omitzero"`
				}
				rows := make([]row, 0, len(metas))
				for _, m := range metas {
					rows = append(rows, row{m.ID, string(m.Purpose), m.Algorithm, string(m.State), m.Created, m.StateChanged, m.ActivateAt})
				}
				return printJSON(stdout, rows)
			}
			tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPURPOSE\tALGORITHM\tSTATE\tCREATED\tSTATE CHANGED\tACTIVE FROM")
			for _, m := range metas {
				activeFrom := "-"
				if m.State == keystore.StatePending {
					activeFrom = m.ActivateAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Purpose, m.Algorithm, m.State,
					m.Created.UTC().Format(time.RFC3339), m.StateChanged.UTC().Format(time.RFC3339), activeFrom)
			}
			return tw.Flush()
		},
	})
}

// pinnedPurposeReason explains why a purpose cannot be rotated (or a key of
// it retired) by this command, or is "" when it can.
func pinnedPurposeReason(p keystore.Purpose) string {
	if p != keystore.BlindIndex {
		return ""
	}
	return `blind-index keys cannot be rotated or retired here: pairwise subjects and
transparency-log ids are computed under a blind-index key pinned in the database
on first use (rotating would not change them; retiring the pinned key would
change every subject at every platform), and identity anchors and phone numbers
are indexed under it without a re-indexing job (a new key would let a second
enrolment of one document slip past the uniqueness check while both keys are in
use, and retiring the old one would lose every index). A suspected compromise
of the blind-index key needs a planned migration; see docs/operations.md, "Keys".`
}

// rotateNextSteps says what an operator does after rotating purpose p.
func rotateNextSteps(p keystore.Purpose, oldIDs []string) string {
	old := strings.Join(oldIDs, " ")
	switch p {
	case keystore.KeyEncryption:
		return fmt.Sprintf("next: netid admin keys rewrap (moves every resident's data key under the new KEK), then netid admin keys retire %s", old)
	case keystore.TokenSigning:
		return fmt.Sprintf("JWKS lists both keys; retire %s once tokens signed with it have expired (ID and access tokens live 10 minutes)", old)
	case keystore.CA:
		return fmt.Sprintf("/ca.pem lists both CA certificates; certificates issued under %s keep verifying until it is retired: retire it only after they have expired (--cert-validity)", old)
	case keystore.Cookie:
		return fmt.Sprintf("cookies signed with %s keep working; retiring it ends every session it signed (sessions last 12 hours)", old)
	case keystore.LogSigning:
		return fmt.Sprintf("/translog/keys lists both verifier keys; give witnesses the new one before retiring %s", old)
	}
	return ""
}

func newKeysRotateCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		storage     storageFlags
		purpose     string
		changeSuite bool
		activateIn  graceFlag // a non-negative duration, or unset
	)
	fs := flag.NewFlagSet("netid admin keys rotate", flag.ContinueOnError)
	storage.register(fs)
	fs.StringVar(&purpose, "purpose", "", "the `purpose` to rotate: token-signing, ca, log-signing, key-encryption or cookie")
	fs.BoolVar(&changeSuite, "change-suite", false, "allow the new key to have another algorithm than the active one (moving the data dir to another --suite)")
	fs.Var(&activateIn, "activate-in", "token-signing only: publish the new key now and sign with it only after this `duration` (at least twice the servers' --key-reload-interval, e.g. 30s); empty or 0: at once")
	return newCommand(&ffcli.Command{
		Name:       "rotate",
		ShortUsage: "netid admin keys rotate --purpose PURPOSE [--activate-in DURATION] [storage flags]",
		ShortHelp:  "make a new active key for a purpose; the old one becomes retiring",
		LongHelp: `Make a new active key for a purpose and move the active one to retiring. The
new key is written before the old one is demoted, under the key directory's
lock, so the purpose always has an active key; running servers switch to it
within their --key-reload-interval (or at once on SIGHUP) while everything
made with the retiring key keeps verifying.

Purposes: token-signing (ID tokens; JWKS publishes both keys), ca (internet
certificates, CRLs, OCSP; the new CA certificate is stored at once and /ca.pem
publishes both), log-signing (transparency-log checkpoints), key-encryption
(wraps residents' data keys; follow with rewrap), cookie (session and form
cookies). blind-index is refused: its keys are pinned (see the message).

The new key gets the algorithm of --suite; if that differs from the active
key's, the rotation is refused unless --change-suite is given, so that a
forgotten --suite cannot switch a running service's algorithms.

Several nodes on one key directory: with --activate-in, a token-signing key is
published before it is used. It is written pending: every node lists it in
JWKS as soon as it reloads (--key-reload-interval), none signs with it before
the activation time, and from then on every node signs with it by its own
clock, with no SIGHUP and no further write (the nodes then record the switch:
the old key becomes retiring). Choose a duration of at least twice the
servers' --key-reload-interval, so that a platform fetching JWKS from any node
knows the key before it sees a token signed with it; the nodes' clocks must
agree (NTP). Without it, the new key is used at once by whichever node loads
it first, and a node that has not reloaded yet does not publish it: send
SIGHUP to every node right after rotating. A second --activate-in rotation
is refused while a key is pending; a rotation without it replaces the
pending key. Other purposes rotate at once (--activate-in is refused).`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			var extra []error
			p := keystore.Purpose(purpose)
			if purpose == "" {
				extra = append(extra, errors.New("--purpose is required"))
			} else if !slices.Contains(keystore.Purposes(), p) {
				extra = append(extra, fmt.Errorf("--purpose %q is not one of %v", purpose, keystore.Purposes()))
			}
			if activateIn.d > 0 && purpose != "" && p != keystore.TokenSigning {
				extra = append(extra, fmt.Errorf("--activate-in (%s) is for token-signing keys only: a %s key is rotated at once (see --help)", env("activate-in"), p))
			}
			if err := keysStorageCheck(storage, "rotate", args, 0, extra...); err != nil {
				return err
			}
			detail := "purpose " + purpose
			target, err := rotateKey(ctx, storage, p, changeSuite, activateIn.d, stdout, &detail)
			auditKeyCommand(ctx, storage, nil, stderr, "key.rotate", target, detail, err)
			return err
		},
	})
}

// rotateKey rotates purpose p and says what follows; it returns the new
// key's id (or the purpose, refused) for the audit trail, and completes
// detail. A positive activateIn writes the new key pending (rotatePending).
func rotateKey(ctx context.Context, storage storageFlags, p keystore.Purpose, changeSuite bool, activateIn time.Duration, stdout io.Writer, detail *string) (string, error) {
	if why := pinnedPurposeReason(p); why != "" {
		return string(p), exitError{code: 1, msg: why}
	}
	keys, err := openKeysForAdmin(storage)
	if err != nil {
		return string(p), err
	}
	if len(keys.List("")) == 0 {
		return string(p), exitError{code: 1, msg: fmt.Sprintf("the key directory %s holds no keys: start netid serve once to create them", keyDirOf(storage))}
	}
	// A pending key whose time has come is the active key already: record
	// it first, so that the keys named below are the ones Rotate changes.
	if _, err := keys.PromoteDue(ctx); err != nil {
		return string(p), err
	}
	var oldIDs []string
	want := keys.NewKeyAlgorithm(p)
	for _, m := range keys.List(p) {
		if m.State != keystore.StateActive {
			continue
		}
		oldIDs = append(oldIDs, m.ID)
		if m.Algorithm != want && !changeSuite {
			return string(p), exitError{code: 1, msg: fmt.Sprintf("the active %s key %s is %s but --suite %s makes %s: pass the --suite the servers use, or --change-suite to move to %s",
				p, m.ID, m.Algorithm, storage.suite, want, want)}
		}
	}
	if activateIn > 0 {
		return rotatePending(ctx, keys, p, activateIn, oldIDs, stdout, detail)
	}
	// A pending key is superseded: it becomes retiring with the active one.
	for _, m := range keys.List(p) {
		if m.State == keystore.StatePending {
			oldIDs = append(oldIDs, m.ID)
		}
	}
	m, err := keys.Rotate(ctx, p)
	if err != nil {
		return string(p), err
	}
	*detail += fmt.Sprintf("; algorithm %s; now retiring: %s", m.Algorithm, strings.Join(oldIDs, ", "))
	fmt.Fprintf(stdout, "rotated %s: new active key %s (%s)", p, m.ID, m.Algorithm)
	if len(oldIDs) > 0 {
		fmt.Fprintf(stdout, "; %s now retiring", strings.Join(oldIDs, ", "))
	}
	fmt.Fprintln(stdout)
	if p == keystore.CA {
		n, err := storeCACertificates(ctx, storage, keys)
		if err != nil {
			return m.ID, fmt.Errorf("the CA key is rotated but its certificate could not be stored (servers will make it on first use): %w", err)
		}
		fmt.Fprintf(stdout, "CA certificate of %s stored; /ca.pem now publishes %d CA certificate(s)\n", m.ID, n)
	}
	fmt.Fprintln(stdout, "running servers switch within --key-reload-interval, or at once on SIGHUP")
	if len(oldIDs) > 0 {
		fmt.Fprintln(stdout, rotateNextSteps(p, oldIDs))
	}
	return m.ID, nil
}

// rotatePending writes a new key of purpose p that becomes active
// activateIn from now (keystore.WithActivation), leaving the active keys
// oldIDs active until then, and says what follows.
func rotatePending(ctx context.Context, keys *keystore.Store, p keystore.Purpose, activateIn time.Duration, oldIDs []string, stdout io.Writer, detail *string) (string, error) {
	m, err := keys.Rotate(ctx, p, keystore.WithActivation(activateIn))
	if errors.Is(err, keystore.ErrState) {
		return string(p), exitError{code: 1, msg: err.Error()}
	}
	if err != nil {
		return string(p), err
	}
	at := m.ActivateAt.UTC().Format(time.RFC3339)
	*detail += fmt.Sprintf("; algorithm %s; pending, active from %s; then retiring: %s", m.Algorithm, at, strings.Join(oldIDs, ", "))
	fmt.Fprintf(stdout, "rotated %s: new key %s (%s) pending, active from %s (in %s)", p, m.ID, m.Algorithm, at, activateIn)
	if len(oldIDs) > 0 {
		fmt.Fprintf(stdout, "; %s stays active until then, then becomes retiring", strings.Join(oldIDs, ", "))
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "running servers publish it within --key-reload-interval (or at once on SIGHUP) and sign with it from that time, each by its own clock; no SIGHUP is needed")
	if len(oldIDs) > 0 {
		fmt.Fprintln(stdout, rotateNextSteps(p, oldIDs))
	}
	return m.ID, nil
}

// storeCACertificates makes and stores the CA certificate of every active
// and retiring CA key that has none, so that every node publishes the same
// bytes, and returns how many there are.
func storeCACertificates(ctx context.Context, f storageFlags, keys *keystore.Store) (int, error) {
	st, err := openStore(ctx, f)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	// The CA certificate depends on the key and the CA validity only, not
	// on the public URL, which certificates of residents carry.
	ca, err := credential.NewCA(keys.Suite(), keys, st, credential.Config{BaseURL: "https://netid.invalid"})
	if err != nil {
		return 0, err
	}
	certs, err := ca.CACertificates(ctx)
	return len(certs), err
}

// graceFlag is retire's --grace: a duration, or unset for the purpose's
// default.
type graceFlag struct {
	d   time.Duration
	set bool
}

func (g *graceFlag) String() string {
	if g == nil || !g.set {
		return ""
	}
	return g.d.String()
}

func (g *graceFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	g.d, g.set = d, true
	return nil
}

// defaultGrace is how long a key of purpose p must have been retiring
// before retire accepts it, and why.
func defaultGrace(p keystore.Purpose) (time.Duration, string) {
	switch p {
	case keystore.TokenSigning:
		return time.Hour, "ID and access tokens it signed live 10 minutes, and platforms cache JWKS"
	case keystore.Cookie:
		return 12 * time.Hour, "login sessions it signed last 12 hours"
	case keystore.CA:
		return 366 * 24 * time.Hour, "internet certificates it issued stay valid for --cert-validity (a year by default)"
	default:
		return 10 * time.Minute, "every node must have reloaded the keys (--key-reload-interval) and stopped using it"
	}
}

func newKeysRetireCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		storage storageFlags
		grace   graceFlag
	)
	fs := flag.NewFlagSet("netid admin keys retire", flag.ContinueOnError)
	storage.register(fs)
	fs.Var(&grace, "grace", "least `duration` the key must have been retiring; empty: the purpose's default (token-signing 1h, cookie 12h, ca 8784h, others 10m); 0 after a compromise")
	return newCommand(&ffcli.Command{
		Name:       "retire",
		ShortUsage: "netid admin keys retire KEY-ID [--grace DURATION] [storage flags]",
		ShortHelp:  "destroy a retiring key's secret (kept: its metadata and public key)",
		LongHelp: `Retire a retiring key: its secret material is destroyed, its metadata and
public key stay for audit. It no longer signs, verifies, unwraps or checks
anything: JWKS, /ca.pem and /translog/keys stop listing it.

An active key cannot be retired: rotate its purpose first. A key-encryption
key that still wraps any resident's data key is refused (run rewrap first),
since retiring it would make that data unreadable. A key must also have been
retiring for --grace, so that every node has reloaded and nothing it signed
is still in use; after a compromise, pass --grace 0 to retire it at once and
accept that what it signed stops verifying. blind-index keys are refused.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			// Flags may follow the key id too.
			args, err := positional(fs, args)
			if err != nil {
				return exitError{code: exitUsage, msg: err.Error()}
			}
			if err := keysStorageCheck(storage, "retire", args, 1); err != nil {
				return err
			}
			id := args[0]
			detail := ""
			err = retireKey(ctx, storage, id, grace, stdout, &detail)
			auditKeyCommand(ctx, storage, nil, stderr, "key.retire", id, detail, err)
			return err
		},
	})
}

// retireKey retires key id if nothing needs it any more, completing detail
// for the audit trail.
func retireKey(ctx context.Context, storage storageFlags, id string, grace graceFlag, stdout io.Writer, detail *string) error {
	keys, err := openKeysForAdmin(storage)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys.List(""), func(m keystore.Meta) bool { return m.ID == id })
	if i < 0 {
		return exitError{code: 1, msg: fmt.Sprintf("no key %q in %s (netid admin keys list shows them)", id, keyDirOf(storage))}
	}
	m := keys.List("")[i]
	*detail = "purpose " + string(m.Purpose)
	switch {
	case m.State == keystore.StateRetired:
		fmt.Fprintf(stdout, "%s is retired already (since %s)\n", id, m.StateChanged.UTC().Format(time.RFC3339))
		return nil
	case m.State == keystore.StateActive:
		return exitError{code: 1, msg: fmt.Sprintf("%s is the active %s key: rotate first (netid admin keys rotate --purpose %s)", id, m.Purpose, m.Purpose)}
	case m.State == keystore.StatePending:
		return exitError{code: 1, msg: fmt.Sprintf("%s is pending: it becomes the active %s key at %s; to drop it, rotate without --activate-in (it becomes retiring), then retire it",
			id, m.Purpose, m.ActivateAt.UTC().Format(time.RFC3339))}
	}
	if why := pinnedPurposeReason(m.Purpose); why != "" {
		return exitError{code: 1, msg: why}
	}
	wait, why := defaultGrace(m.Purpose)
	if grace.set {
		wait = grace.d
		*detail += "; grace " + wait.String()
	}
	if since := time.Since(m.StateChanged); since < wait {
		return exitError{code: 1, msg: fmt.Sprintf("%s has been retiring for %s, less than %s (%s): retire it after %s, or pass --grace 0 if it is compromised",
			id, since.Round(time.Second), wait, why, m.StateChanged.Add(wait).UTC().Format(time.RFC3339))}
	}
	if m.Purpose == keystore.KeyEncryption {
		n, err := dataKeysWrappedBy(ctx, storage, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return exitError{code: 1, msg: fmt.Sprintf("KEK %s still wraps %d resident data key(s): retiring it would make their data unreadable; run netid admin keys rewrap first", id, n)}
		}
	}
	if _, err := keys.Retire(ctx, id); err != nil {
		return err
	}
	if m.Purpose == keystore.KeyEncryption {
		// A node that had not reloaded for longer than the grace may have
		// wrapped a data key with the KEK after the count: say so loudly
		// rather than let the loss surface at the resident's next login.
		n, err := dataKeysWrappedBy(ctx, storage, id)
		if err != nil {
			return fmt.Errorf("retired %s, but counting the data keys it wraps afterwards failed: %w", id, err)
		}
		if n > 0 {
			return fmt.Errorf("retired %s, but %d data key(s) were wrapped by it meanwhile (a node that had not reloaded the keys): restore %s.json from the last backup into the key directory, run rewrap, then retire it again",
				id, n, id)
		}
	}
	fmt.Fprintf(stdout, "retired %s (%s): its secret is destroyed; servers drop it within --key-reload-interval, or at once on SIGHUP\n", id, m.Purpose)
	return nil
}

// dataKeysWrappedBy counts the data keys KEK id wraps.
func dataKeysWrappedBy(ctx context.Context, f storageFlags, id string) (int64, error) {
	st, err := openStore(ctx, f)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	counts, err := st.DataKeyCountsByKEK(ctx)
	if err != nil {
		return 0, err
	}
	return counts[id], nil
}

func newKeysRewrapCommand(stdout, stderr io.Writer) *ffcli.Command {
	var (
		storage storageFlags
		batch   int
	)
	fs := flag.NewFlagSet("netid admin keys rewrap", flag.ContinueOnError)
	storage.register(fs)
	fs.IntVar(&batch, "batch", envelope.DefaultRewrapBatch, "data keys re-wrapped per `transaction`")
	return newCommand(&ffcli.Command{
		Name:       "rewrap",
		ShortUsage: "netid admin keys rewrap [--batch N] [storage flags]",
		ShortHelp:  "move every resident's data key under the active key-encryption key",
		LongHelp: `Re-wrap every resident data key that a retiring key-encryption key (KEK) wraps
under the active KEK, --batch keys per transaction, with a progress bar on
stderr (count, rate and time left; plain lines when stderr is not a terminal).

It runs beside serving nodes: each key is moved with a compare-and-set, so a
key shredded or moved meanwhile is skipped, and servers read a key whichever
KEK wraps it. Interrupted (Ctrl-C, a crash), it loses at most the batch in
progress; run it again to continue. When it ends, no data key depends on the
retiring KEKs: retire them with netid admin keys retire.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			var extra []error
			if batch < 1 || batch > 10000 {
				extra = append(extra, fmt.Errorf("--batch must be between 1 and 10000, got %d", batch))
			}
			if err := keysStorageCheck(storage, "rewrap", args, 0, extra...); err != nil {
				return err
			}
			keys, err := openKeysForAdmin(storage)
			if err != nil {
				return err
			}
			st, err := openStore(ctx, storage)
			if err != nil {
				return err
			}
			defer st.Close()
			target, detail, err := rewrapAll(ctx, keys, st, batch, stdout, stderr)
			auditKeyCommand(ctx, storage, st, stderr, "key.rewrap", target, detail, err)
			return err
		},
	})
}

// rewrapAll moves every data key not wrapped by the active KEK under it.
// It returns the active KEK's id and what was done, for the audit trail.
func rewrapAll(ctx context.Context, keys *keystore.Store, st *sqlstore.Store, batch int, stdout, stderr io.Writer) (target, detail string, err error) {
	var active string
	known := map[string]keystore.Meta{}
	for _, m := range keys.List(keystore.KeyEncryption) {
		known[m.ID] = m
		if m.State == keystore.StateActive {
			active = m.ID
		}
	}
	if active == "" {
		return "", "", exitError{code: 1, msg: "there is no active key-encryption key: start netid serve once to create the keys"}
	}
	counts, err := st.DataKeyCountsByKEK(ctx)
	if err != nil {
		return active, "", err
	}
	var (
		from  []string
		total int64
		lost  []string
	)
	for id, n := range counts {
		if id == active {
			continue
		}
		if m, ok := known[id]; !ok || m.State == keystore.StateRetired {
			lost = append(lost, fmt.Sprintf("%s (%d data keys)", id, n))
			continue
		}
		from = append(from, id)
		total += n
	}
	slices.Sort(from)
	slices.Sort(lost)
	if len(lost) > 0 {
		return active, "", exitError{code: 1, msg: fmt.Sprintf("data keys are wrapped by KEKs that are retired or missing from the key directory, so their residents' data cannot be read: %s; restore those key files from a backup, then run rewrap again",
			strings.Join(lost, ", "))}
	}
	if total == 0 {
		fmt.Fprintf(stdout, "every data key (%d) is wrapped by the active KEK %s; nothing to re-wrap\n", counts[active], active)
		return active, "nothing to re-wrap", nil
	}
	env := envelope.New(keys.Suite(), keys, st)
	bar := newRewrapProgress(stderr, total, time.Now)
	var moved int64
	report := func() string {
		return fmt.Sprintf("moved %d of %d data keys from %s", moved, total, strings.Join(from, ", "))
	}
	for _, id := range from {
		for {
			base := moved
			n, err := env.Rewrap(ctx, id, batch, func(done int) { bar.update(base + int64(done)) })
			moved += int64(n)
			if err != nil {
				bar.stop()
				if ctx.Err() != nil {
					return active, report() + "; interrupted", exitError{code: 130, msg: fmt.Sprintf("interrupted after re-wrapping %d of %d data keys; run netid admin keys rewrap again to continue", moved, total)}
				}
				return active, report(), fmt.Errorf("re-wrapping the data keys of KEK %s (after %d of %d): %w", id, moved, total, err)
			}
			inUse, err := env.KEKInUse(ctx, id)
			if err != nil {
				bar.stop()
				return active, report(), err
			}
			if !inUse {
				break
			}
			// Keys appeared under the old KEK during the pass (a node that
			// had not reloaded yet wrapped new ones): another pass takes
			// them. A pass that moved nothing cannot make progress.
			if n == 0 {
				bar.stop()
				return active, report(), fmt.Errorf("KEK %s still wraps data keys that could not be moved (they changed during the run); run netid admin keys rewrap again", id)
			}
		}
	}
	bar.finish(moved)
	fmt.Fprintf(stdout, "re-wrapped %d data key(s) under the active KEK %s; no data key depends on %s any more: retire with netid admin keys retire KEY-ID\n",
		moved, active, strings.Join(from, ", "))
	return active, report(), nil
}

// rewrapProgress draws re-wrap progress on stderr: one line redrawn in place
// on a terminal, else a plain line at every whole percent (at most about a
// hundred lines, whatever the count).
type rewrapProgress struct {
	w        io.Writer
	terminal bool
	total    int64
	now      func() time.Time
	start    time.Time
	lastPct  int64
	drawn    bool
}

func newRewrapProgress(w io.Writer, total int64, now func() time.Time) *rewrapProgress {
	return &rewrapProgress{w: w, terminal: isTerminal(w), total: total, now: now, start: now(), lastPct: -1}
}

// isTerminal reports whether w is a character device (a terminal): the
// test netid can make without a terminal library.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// line formats the state after done keys.
func (p *rewrapProgress) line(done int64) string {
	total := max(p.total, done) // keys wrapped during the run count too
	pct := done * 100 / max(total, 1)
	elapsed := p.now().Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	bar := ""
	if p.terminal {
		const width = 30
		filled := int(done * width / max(total, 1))
		bar = "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "] "
	}
	return fmt.Sprintf("re-wrapping %s%d/%d data keys (%d%%), %.0f/s, ETA %s", bar, done, total, pct, rate, eta)
}

func (p *rewrapProgress) update(done int64) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(done))
		p.drawn = true
		return
	}
	pct := done * 100 / max(p.total, done, 1)
	if pct == p.lastPct {
		return
	}
	p.lastPct = pct
	fmt.Fprintln(p.w, p.line(done))
}

// stop ends the redrawn line, if any, before an error message.
func (p *rewrapProgress) stop() {
	if p.terminal && p.drawn {
		fmt.Fprintln(p.w)
	}
}

// finish prints the final state.
func (p *rewrapProgress) finish(done int64) {
	elapsed := p.now().Sub(p.start).Round(time.Millisecond)
	if p.terminal && p.drawn {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", p.line(done))
	}
	fmt.Fprintf(p.w, "re-wrapped %d data keys in %s\n", done, elapsed)
}

// reloadKeys keeps a serving node's keys current until ctx ends: every
// interval, and at once on each value from hup (SIGHUP), it re-reads the
// key directory, so that keys rotated or retired by `netid admin keys` in
// another process (or by another node sharing the directory) take effect
// without a restart. After a reload it records a pending token-signing key
// whose activation time has come as active (keystore PromoteDue). Each
// change is logged. A new CA key's certificate is
// made and stored outside any request's transaction (credential.CA's
// advice), so that every node publishes the same bytes at /ca.pem. A failed
// reload keeps the keys loaded before and is logged; /readyz reports a
// store that Check refuses.
func reloadKeys(ctx context.Context, keys *keystore.Store, ca *credential.CA, interval time.Duration, hup <-chan os.Signal, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	// Changes are logged against what the previous reload saw: a key that
	// a request's unknown id made the store load in between is logged too.
	seen := keys.List("")
	for {
		trigger := "interval"
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-hup:
			trigger = "SIGHUP"
		}
		if err := keys.Reload(ctx); err != nil {
			if ctx.Err() == nil {
				log.Warn("reloading keys failed; the keys loaded before stay in use", "trigger", trigger, "err", err)
			}
			continue
		}
		// A pending key whose activation time has come is in use on every
		// node already (selection goes by the clock); PromoteDue records it
		// as active, and the old key as retiring, taking the directory lock
		// only when a key is due. Several nodes may do it at once: the first
		// changes the files, the others find nothing due.
		if _, err := keys.PromoteDue(ctx); err != nil && ctx.Err() == nil {
			log.Warn("recording a due pending key as active failed; it is in use all the same, and the next reload tries again", "trigger", trigger, "err", err)
		}
		now := keys.List("")
		changes := keyChanges(seen, now)
		seen = now
		caChanged := false
		for _, c := range changes {
			log.Info("key changed", "trigger", trigger, "id", c.ID, "purpose", c.Purpose, "from", c.from, "to", c.State)
			caChanged = caChanged || c.Purpose == keystore.CA
		}
		if trigger == "SIGHUP" && len(changes) == 0 {
			log.Info("keys reloaded, nothing changed")
		}
		if err := keys.Check(); err != nil {
			log.Error("the reloaded keys are not usable", "err", err)
		}
		if caChanged {
			if _, err := ca.CACertificates(ctx); err != nil {
				log.Error("storing the CA certificate of a new CA key failed; it is made on first use", "err", err)
			}
		}
	}
}

// keyChange is a key whose state differs between two listings: from is the
// state before, "new" for a key that appeared; a key that disappeared has
// State "gone".
type keyChange struct {
	keystore.Meta
	from string
}

func keyChanges(before, after []keystore.Meta) []keyChange {
	was := map[string]keystore.Meta{}
	for _, m := range before {
		was[m.ID] = m
	}
	var out []keyChange
	for _, m := range after {
		prev, ok := was[m.ID]
		delete(was, m.ID)
		switch {
		case !ok:
			out = append(out, keyChange{Meta: m, from: "new"})
		case prev.State != m.State:
			out = append(out, keyChange{Meta: m, from: string(prev.State)})
		}
	}
	for _, m := range was {
		gone := m
		gone.State = "gone"
		out = append(out, keyChange{Meta: gone, from: string(m.State)})
	}
	return out
}

// auditKeyCommand records an operator command's action in the admin audit
// trail (netid admin audit) with the outcome of err, and logs it on
// stderr as the other admin commands do. A key action changes files, not
// the database, so its record cannot commit with it: it is written right
// after, and a record that cannot be written is reported on stderr, never
// silently dropped. st may be nil: the store is then opened for the record.
func auditKeyCommand(ctx context.Context, f storageFlags, st *sqlstore.Store, stderr io.Writer, action, target, detail string, err error) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a := localActor()
	outcome := admin.OutcomeOf(err)
	var ee exitError
	if errors.As(err, &ee) && outcome == admin.OutcomeError && ee.code != 130 {
		outcome = admin.OutcomeConflict // refused by a rule, the message says which
	}
	rec, rerr := admin.CommandRecord(a, admin.Action(action), target, detail, outcome, err, time.Now())
	if rerr != nil {
		log.Error("admin audit record lost", "action", action, "err", rerr)
		return
	}
	// The record of an interrupted command is written all the same.
	ctx = context.WithoutCancel(ctx)
	if st == nil {
		// Never create a database for the record: a wrong --data-dir
		// must stay absent.
		if f.databaseURL == "" {
			if _, serr := os.Stat(filepath.Join(f.dataDir, sqlite.FileName)); serr != nil {
				log.Error("admin audit record lost: no database in the data dir", "action", action, "target", rec.Target, "err", serr)
				return
			}
		}
		opened, oerr := openStore(ctx, f)
		if oerr != nil {
			log.Error("admin audit record lost", "action", action, "target", rec.Target, "err", oerr)
			return
		}
		defer opened.Close()
		st = opened
	}
	if aerr := st.AppendAdminAudit(ctx, rec); aerr != nil {
		log.Error("admin audit record lost", "action", action, "target", rec.Target, "err", aerr)
		return
	}
	if err == nil {
		log.Info("admin action", "admin", a.Name, "channel", a.Channel, "action", action, "target", rec.Target, "outcome", outcome, "audit_id", rec.ID)
	} else {
		log.Info("admin action refused", "admin", a.Name, "channel", a.Channel, "action", action, "target", rec.Target, "outcome", outcome, "audit_id", rec.ID)
	}
}
