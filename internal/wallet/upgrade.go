package wallet

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/netid/netid/internal/biometric"
)

// ResidentLogin is a resident's internet number and password.
type ResidentLogin struct {
	InternetNumber string `json:"internet_number"`
	Password       string `json:"password"`
}

// UpgradeChallengeRequest is the body of POST
// /v1/residents/upgrade/challenge.
type UpgradeChallengeRequest = ResidentChallengeRequest

// UpgradeChallenge is the answer: the liveness challenge the upgrade's
// face capture must be attested for, bound to the account, and its expiry.
type UpgradeChallenge = ResidentChallenge

// UpgradeFace is the live face capture of an upgrade.
type UpgradeFace struct {
	Challenge string `json:"challenge"`
	Image     []byte `json:"image"`
	// Format is the image's media type (image/jpeg, image/png, image/jp2).
	Format string `json:"format"`
	// Liveness is the compact JWS attestation of the capture for the
	// challenge.
	Liveness string `json:"liveness"`
}

// UpgradeRequest is the body of POST /v1/residents/upgrade: the resident's
// credentials, the document evidence to add to their account (of the same
// shape as a start's) and a live face capture.
type UpgradeRequest struct {
	Resident ResidentLogin `json:"resident"`
	Evidence Evidence      `json:"evidence"`
	Face     UpgradeFace   `json:"face"`
}

// Upgraded is the answer to an upgrade: the account as it now stands.
type Upgraded struct {
	InternetNumber   string `json:"internet_number"`
	Pathway          string `json:"pathway"`
	AssuranceCeiling string `json:"assurance_ceiling"`
}

// RequestUpgradeChallenge logs in as login and asks for an upgrade
// challenge (POST /v1/residents/upgrade/challenge). Refusals are *Problem:
// bad-credentials, account-pending, throttled.
func (c *Client) RequestUpgradeChallenge(ctx context.Context, login ResidentLogin) (*UpgradeChallenge, error) {
	return c.residentChallenge(ctx, "/v1/residents/upgrade/challenge", "upgrade", login)
}

// UpgradeAccount adds document evidence to the account of req.Resident
// (POST /v1/residents/upgrade). Refusals are *Problem: bad-credentials,
// account-pending, duplicate-identity (the document is another account's),
// evidence-refused, upgrade-mismatch (the document is not of the account's
// holder), face-mismatch, not-live (also for a stale or foreign
// challenge), upgrade-needs-portrait, throttled.
func (c *Client) UpgradeAccount(ctx context.Context, req UpgradeRequest) (*Upgraded, error) {
	var out Upgraded
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/residents/upgrade", in: req, out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	if out.InternetNumber == "" || out.Pathway == "" || out.AssuranceCeiling == "" {
		return nil, errorf(ErrResponse, "the upgrade's answer lacks the internet number, pathway or assurance ceiling")
	}
	return &out, nil
}

// UpgradeOptions are the inputs of Upgrade.
type UpgradeOptions struct {
	Password string
	Evidence Evidence
	// Face returns the capture of the resident's face, Liveness its
	// attestation for the server's upgrade challenge: the same providers
	// as Enrol's. A nil Liveness asks for an attestation
	// (*InputNeededError naming the challenge).
	Face     FaceFunc
	Liveness LivenessFunc
}

// Upgrade adds document evidence to the wallet's account, as the resident
// whose wallet w is: typically an account of the assisted pathway whose
// holder has since obtained a passport or an identity card. The resident
// logs in with the wallet's internet number and password, and proves
// being the document's holder with a live face: Upgrade asks the server
// for an upgrade challenge, takes the capture (o.Face) and its liveness
// attestation for the challenge (o.Liveness), and sends them with the
// document. The server matches the face with a chip's portrait. The
// account keeps its internet number; the server raises its evidence
// pathway and assurance ceiling when the document's are higher, and
// Upgrade records the new ones in wallet.json. Upgrading again with the
// same document changes nothing and succeeds.
//
// When the attestation provider asks for input (an attestation made
// outside the wallet), the challenge is saved in wallet.json, so that the
// next run, given the attestation, uses the same one while it is valid; a
// saved challenge the server no longer accepts is replaced once.
//
// It needs an enrolled wallet (ErrNotEnrolled) of c's server
// (ErrOtherServer), a document, a password and a face (*InputNeededError).
// Server refusals are *Problem errors (see Client.UpgradeAccount). When
// the server upgraded the account but the wallet could not be saved, the
// error wraps ErrUpgradeNotSaved. It holds the wallet's lock throughout
// (ErrWalletBusy if another command has it).
func Upgrade(ctx context.Context, w *Wallet, c *Client, o UpgradeOptions) (*Upgraded, error) {
	acct, unlock, err := w.lockAccount(c)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ev := o.Evidence
	if len(ev.Chip) == 0 && ev.Authority == nil {
		return nil, &InputNeededError{Input: InputEvidence, For: "the upgrade"}
	}
	if o.Password == "" {
		return nil, &InputNeededError{Input: InputPassword, For: "the upgrade"}
	}
	if o.Face == nil {
		return nil, &InputNeededError{Input: InputFace, For: "the upgrade"}
	}
	liveness := o.Liveness
	if liveness == nil {
		liveness = LivenessFromFile("")
	}
	image, err := o.Face(ctx)
	if err != nil {
		return nil, forUpgrade(err)
	}
	format := biometric.DetectFormat(image)
	if format == "" {
		return nil, errors.New("the face image is not a JPEG, PNG or JPEG 2000 image")
	}
	login := ResidentLogin{InternetNumber: acct.InternetNumber, Password: o.Password}

	saved := w.state.UpgradeChallenge
	challenge := ""
	if saved != nil && time.Now().Before(saved.ExpiresAt) {
		challenge = saved.Challenge
	}
	fresh := false
	for {
		if challenge == "" {
			ch, err := c.RequestUpgradeChallenge(ctx, login)
			if err != nil {
				return nil, err
			}
			challenge, fresh = ch.Challenge, true
			saved = &PendingChallenge{Challenge: ch.Challenge, ExpiresAt: ch.ExpiresAt}
		}
		att, err := liveness(ctx, challenge, image)
		if errors.Is(err, ErrInputNeeded) {
			// Keep the challenge for the run that brings the attestation.
			if serr := w.update(func(s *State) error { s.UpgradeChallenge = saved; return nil }); serr != nil {
				return nil, errors.Join(err, serr)
			}
			return nil, forUpgrade(err)
		}
		if err != nil {
			return nil, err
		}
		up, err := c.UpgradeAccount(ctx, UpgradeRequest{Resident: login, Evidence: ev,
			Face: UpgradeFace{Challenge: challenge, Image: image, Format: string(format), Liveness: att}})
		if IsProblem(err, ProblemNotLive) && !fresh {
			// The saved challenge expired, or the server's key changed.
			challenge = ""
			continue
		}
		if err != nil {
			if cerr := w.clearUpgradeChallenge(); cerr != nil {
				return nil, errors.Join(err, cerr)
			}
			return nil, err
		}
		// The server answers for the account it logged in, which is the
		// wallet's; anything else is an answer not to record.
		if up.InternetNumber != acct.InternetNumber {
			return nil, errorf(ErrResponse, "the server answered for internet number %s, not this wallet's %s",
				cleanText(up.InternetNumber), acct.InternetNumber)
		}
		err = w.update(func(s *State) error {
			s.Account.Pathway, s.Account.AssuranceCeiling = up.Pathway, up.AssuranceCeiling
			s.UpgradeChallenge = nil
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUpgradeNotSaved, err)
		}
		return up, nil
	}
}

// lockAccount takes the wallet's lock and re-reads wallet.json, for an
// operation of the resident on their account at c's server (upgrade,
// renewal): it refuses a wallet that is not enrolled (ErrNotEnrolled) or
// whose account is on another server (ErrOtherServer). On success the
// caller holds the lock until it calls unlock.
func (w *Wallet) lockAccount(c *Client) (acct *Account, unlock func(), err error) {
	unlock, err = w.Lock()
	if err != nil {
		return nil, nil, err
	}
	if err := w.reload(); err != nil {
		unlock()
		return nil, nil, err
	}
	if w.state.Account == nil {
		unlock()
		return nil, nil, ErrNotEnrolled
	}
	if s := w.state.Server; s != "" && s != c.Server() {
		unlock()
		return nil, nil, fmt.Errorf("%w: its account is on %s, not %s", ErrOtherServer, s, c.Server())
	}
	return w.state.Account, unlock, nil
}

// clearUpgradeChallenge forgets a saved upgrade challenge, once the
// server has answered on it; saving nothing when none is saved.
func (w *Wallet) clearUpgradeChallenge() error {
	if w.state.UpgradeChallenge == nil {
		return nil
	}
	return w.update(func(s *State) error { s.UpgradeChallenge = nil; return nil })
}

// forUpgrade makes a provider's *InputNeededError say that the input is
// for the upgrade; other errors pass unchanged.
func forUpgrade(err error) error {
	var need *InputNeededError
	if !errors.As(err, &need) || need.For != "" {
		return err
	}
	n := *need
	n.For = "the upgrade"
	return &n
}
