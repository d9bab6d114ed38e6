package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/demo"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/translog"
)

// enrolFlags configure enrolment and issuance: where evidence is checked,
// how codes reach phones, how faces are matched, how passwords are hashed.
type enrolFlags struct {
	publicURL        string
	trustDir         string
	authorityURL     string
	authorityToken   string
	authorityRecords string
	smsSink          string
	smsGatewayURL    string
	smsGatewayToken  string
	faceEngineURL    string
	faceEngineToken  string
	livenessKeys     string
	argon2           password.Params
	maxHashes        int
	certValidity     time.Duration
}

func (e *enrolFlags) register(fs *flag.FlagSet) {
	p := password.DefaultParams()
	fs.StringVar(&e.publicURL, "public-url", "", "public `url` of this service, used in certificates (CRL and OCSP locations); default http://ADDR")
	fs.StringVar(&e.trustDir, "trust-dir", "", "CSCA trust `directory` for document chips: certificates, master lists, CRLs (empty: chip evidence off)")
	fs.StringVar(&e.authorityURL, "authority-url", "", "document authority verification service `url` (POST {url}/v1/verify) for resident ID cards")
	fs.StringVar(&e.authorityToken, "authority-token", "", "bearer `token` for --authority-url")
	fs.StringVar(&e.authorityRecords, "authority-records", "", "development only: answer document-authority queries from this simulated records `file`")
	fs.StringVar(&e.smsSink, "sms-sink", "", "development only: append one-time codes as JSON lines to this `file` instead of sending SMS")
	fs.StringVar(&e.smsGatewayURL, "sms-gateway-url", "", "SMS gateway `url` (JSON POST {to, text, purpose})")
	fs.StringVar(&e.smsGatewayToken, "sms-gateway-token", "", "bearer `token` for --sms-gateway-url")
	fs.StringVar(&e.faceEngineURL, "face-engine-url", "", "external biometric engine `url` (POST {url}/v1/match); empty uses the built-in matcher, fit only for synthetic test portraits")
	fs.StringVar(&e.faceEngineToken, "face-engine-token", "", "bearer `token` for --face-engine-url")
	fs.StringVar(&e.livenessKeys, "liveness-keys", "", "JWK set `file` of trusted liveness detectors (ES256 or EdDSA keys with kid)")
	fs.Func("argon2-memory", fmt.Sprintf("argon2id memory in `KiB` (default %d)", p.Memory), uintSetter(&e.argon2.Memory))
	fs.Func("argon2-time", fmt.Sprintf("argon2id passes (`t`, default %d)", p.Time), uintSetter(&e.argon2.Time))
	fs.IntVar(&e.maxHashes, "max-concurrent-hashes", 0, "password hashes computed at once (`n`; 0: one per core within 256 MiB); more wait in a bounded queue, then get 503")
	fs.DurationVar(&e.certValidity, "cert-validity", 365*24*time.Hour, "validity of internet certificates")
	e.argon2 = p
}

func uintSetter(dst *uint32) func(string) error {
	return func(s string) error {
		var v uint32
		if _, err := fmt.Sscan(s, &v); err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*dst = v
		return nil
	}
}

func (e *enrolFlags) validate() []error {
	var errs []error
	if err := e.argon2.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("--argon2-memory/--argon2-time: %w", err))
	}
	if e.smsSink != "" && e.smsGatewayURL != "" {
		errs = append(errs, fmt.Errorf("--sms-sink (%s) and --sms-gateway-url (%s) exclude each other", env("sms-sink"), env("sms-gateway-url")))
	}
	if e.authorityURL != "" && e.authorityRecords != "" {
		errs = append(errs, fmt.Errorf("--authority-url and --authority-records exclude each other"))
	}
	if e.maxHashes < 0 {
		errs = append(errs, fmt.Errorf("--max-concurrent-hashes must not be negative"))
	}
	if e.certValidity < time.Hour {
		errs = append(errs, fmt.Errorf("--cert-validity must be at least 1h"))
	}
	return errs
}

// enrolment is the built enrolment service and what it needs closed.
type enrolment struct {
	svc      *enrol.Service
	disabled string // why enrolment is not offered, if it is not
	ca       *credential.CA
	// log is the transparency log the service records account and
	// certificate events in; serve publishes it.
	log     *translog.Log
	demo    *demo.Demo
	closers []io.Closer
}

func (e *enrolment) Close() {
	for _, c := range e.closers {
		_ = c.Close()
	}
}

// buildEnrolment wires the enrolment service from the flags. With d set
// (serve --demo) the demo's test CSCA, simulated authority, development SMS
// sink and liveness detector fill what the flags leave empty.
//
// Without a trusted liveness detector enrolment cannot be offered: the
// returned enrolment says why in disabled, and its service only serves what
// needs no face (authenticating residents, operator commands); forAdmin
// quietens the warning for operator commands.
func buildEnrolment(ctx context.Context, svc *service, e enrolFlags, addr string, d *demo.Demo, forAdmin bool, log *slog.Logger) (*enrolment, error) {
	out := &enrolment{demo: d}
	fail := func(err error) (*enrolment, error) { out.Close(); return nil, err }
	st, keys, s := svc.store, svc.keys, svc.suite

	publicURL := e.publicURL
	if publicURL == "" {
		publicURL = "http://" + addr
	}
	// Every certificate issued or revoked, and every account event, goes
	// into the resident's transparency log in the same transaction.
	tlog, err := buildTranslog(svc, publicURL)
	if err != nil {
		return fail(err)
	}
	out.log = tlog
	ca, err := credential.NewCA(s, keys, st, credential.Config{BaseURL: publicURL, Validity: e.certValidity},
		credential.WithEvents(enrol.CertificateLog{Residents: st, Log: tlog}))
	if err != nil {
		return fail(fmt.Errorf("certificate authority: %w", err))
	}
	// Create (or load) the CA certificates now, outside any request's
	// transaction, so every node publishes the stored bytes.
	if _, err := ca.CACertificates(ctx); err != nil {
		return fail(fmt.Errorf("certificate authority: %w", err))
	}
	out.ca = ca

	// Evidence: chips need a trust directory, ID cards an authority.
	trustDir, records := e.trustDir, e.authorityRecords
	if d != nil {
		if trustDir == "" {
			trustDir = d.TrustDir()
		}
		if records == "" && e.authorityURL == "" {
			records = d.AuthorityRecords()
		}
	}
	var trust *emrtd.TrustStore
	if trustDir != "" {
		if trust, err = emrtd.LoadTrustDir(trustDir, time.Now()); err != nil {
			return fail(fmt.Errorf("--trust-dir: %w", err))
		}
		rep := trust.Report()
		log.Info("document trust loaded", "dir", trustDir, "cscas", rep.CSCAs, "countries", len(rep.ByCountry), "crls", rep.CRLs)
	} else {
		log.Warn("no --trust-dir: enrolment by document chip is off")
	}
	var authority document.Authority
	switch {
	case e.authorityURL != "":
		opts := []document.HTTPOption{document.WithLogger(log)}
		if e.authorityToken != "" {
			opts = append(opts, document.WithBearerToken(e.authorityToken))
		}
		if authority, err = document.NewHTTPAuthority(e.authorityURL, opts...); err != nil {
			return fail(fmt.Errorf("--authority-url: %w", err))
		}
	case records != "":
		if authority, err = document.LoadSimulatedAuthority(records); err != nil {
			return fail(fmt.Errorf("--authority-records: %w", err))
		}
		log.Warn("document authority is SIMULATED from a records file: development only", "file", records)
	default:
		log.Warn("no document authority: enrolment by resident ID number is off")
	}

	// Phone codes.
	sink := e.smsSink
	if sink == "" && e.smsGatewayURL == "" && d != nil {
		sink = d.SMSSink()
	}
	var sender phone.Sender
	switch {
	case e.smsGatewayURL != "":
		gw, err := phone.NewHTTPGateway(e.smsGatewayURL, e.smsGatewayToken)
		if err != nil {
			return fail(fmt.Errorf("--sms-gateway-url: %w", err))
		}
		sender = gw
	case sink != "":
		fs, err := phone.NewFileSink(sink)
		if err != nil {
			return fail(fmt.Errorf("--sms-sink: %w", err))
		}
		out.closers = append(out.closers, fs)
		sender = fs
		if d != nil {
			d.SetSMSSink(sink)
		}
		log.Warn("one-time codes go to a development file, not to phones", "file", sink)
	default:
		sender = phone.SenderFunc(func(context.Context, phone.Message) error {
			return errors.New("no SMS gateway is configured (--sms-gateway-url)")
		})
		log.Warn("no SMS gateway: the phone step of enrolment will fail")
	}
	// The phone-code key is derived from the cookie key, so that every node
	// sharing the key directory agrees on it without another secret to
	// distribute.
	_, phoneKey, err := keys.ActiveMAC(ctx, keystore.Cookie, []byte("netid phone one-time codes v1"))
	if err != nil {
		return fail(fmt.Errorf("phone key: %w", err))
	}
	verifier, err := phone.New(st, sender, phone.WithKey(phoneKey), phone.WithMAC(s.MAC))
	if err != nil {
		return fail(fmt.Errorf("phone: %w", err))
	}

	// Passwords.
	maxHashes := e.maxHashes
	if maxHashes == 0 {
		maxHashes = password.DefaultMaxConcurrent(e.argon2)
	}
	hasher, err := password.NewHasher(e.argon2, maxHashes)
	if err != nil {
		return fail(fmt.Errorf("password hasher: %w", err))
	}

	// Faces.
	var (
		matcher   biometric.Matcher
		extractor biometric.Extractor
	)
	if e.faceEngineURL != "" {
		opts := []biometric.RemoteOption{}
		if e.faceEngineToken != "" {
			opts = append(opts, biometric.WithBearerToken(e.faceEngineToken))
		}
		remote, err := biometric.NewRemote(e.faceEngineURL, opts...)
		if err != nil {
			return fail(fmt.Errorf("--face-engine-url: %w", err))
		}
		matcher, extractor = remote, remote
	} else {
		ex := biometric.NewAppearanceExtractor()
		m, err := biometric.NewCosineMatcher(ex, biometric.AppearanceThreshold)
		if err != nil {
			return fail(err)
		}
		matcher, extractor = m, ex
		if d == nil {
			log.Warn("no --face-engine-url: the built-in face matcher is fit only for synthetic test portraits, not real people")
		}
	}
	var trusted []biometric.TrustedKey
	if e.livenessKeys != "" {
		if trusted, err = loadLivenessKeys(e.livenessKeys); err != nil {
			return fail(fmt.Errorf("--liveness-keys: %w", err))
		}
	}
	if d != nil {
		trusted = append(trusted, d.LivenessKey())
	}
	if len(trusted) == 0 {
		// Without a trusted detector no face step can pass: enrolment is
		// not offered (serve does not mount its routes), but the service
		// still authenticates existing residents (OIDC login) and serves
		// operator commands. Trust a fresh key whose private half is
		// dropped at once, so that no attestation can ever verify.
		out.disabled = "no liveness detector is trusted (--liveness-keys)"
		if !forAdmin {
			log.Warn("enrolment is OFF: no liveness detector is trusted; set --liveness-keys (or use --demo)")
		}
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return fail(err)
		}
		trusted = []biometric.TrustedKey{{ID: "none", Key: k.Public()}}
	}
	liveness, err := biometric.NewLivenessVerifier(trusted)
	if err != nil {
		return fail(fmt.Errorf("liveness: %w", err))
	}

	out.svc, err = enrol.New(enrol.Deps{
		Store: st, Keys: keys, Envelope: envelope.New(s, keys, st), Phone: verifier,
		Hasher: hasher, Policy: password.DefaultPolicy(),
		Matcher: matcher, Extractor: extractor, Liveness: liveness,
		Trust: trust, Authority: authority, Issuer: ca, Throttle: st,
	}, enrol.Config{}, enrol.WithLogger(log), enrol.WithEventLog(tlog))
	if err != nil {
		return fail(err)
	}
	return out, nil
}

// loadLivenessKeys reads a JWK set of trusted liveness detector keys.
func loadLivenessKeys(path string) ([]biometric.TrustedKey, error) {
	b, err := readBounded(path, 1<<20)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, err
	}
	var out []biometric.TrustedKey
	for _, k := range set.Keys {
		if k.KeyID == "" || !k.IsPublic() {
			return nil, fmt.Errorf("every key needs a kid and must be public")
		}
		out = append(out, biometric.TrustedKey{ID: k.KeyID, Key: k.Key})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no keys")
	}
	return out, nil
}

// demoProblem lets the demo package write netid problems.
func demoProblem(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
	httpapi.WriteProblem(w, r, httpapi.NewProblem(status, slug, detail))
}
