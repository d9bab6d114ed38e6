package enrol_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/store"
)

const goodPassword = "correct horse battery staple 42"

func TestAdultChipEnrolment(t *testing.T) {
	for _, tc := range []struct{ engine, suite string }{{"sqlite", "intl"}, {"sqlite", "sm"}, {"postgres", "intl"}, {"postgres", "sm"}} {
		t.Run(tc.engine+"/"+tc.suite, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, enroltest.WithEngine(tc.engine), enroltest.WithSuite(tc.suite))
			ev := e.chip("E12345678", 35, 11)
			st, err := e.startChip(ev, nil)
			if err != nil {
				t.Fatalf("Start() error = %v", err)
			}
			if st.Next != enrol.StepPhone || st.AgeGroup != enrol.AgeAdult || st.Pathway != enrol.PathwayChip || st.PhoneOptional {
				t.Errorf("Start() = next %q, age %q, pathway %q, phone optional %t; want phone, adult, document-chip, false",
					st.Next, st.AgeGroup, st.Pathway, st.PhoneOptional)
			}
			if len(st.Token) < 43 {
				t.Errorf("token %d characters, want at least 43 (32 bytes base64url)", len(st.Token))
			}
			w := e.wallet(st)
			steps := []struct {
				name string
				run  func() error
				want enrol.State
			}{
				{"phone", func() error { return w.phone("13800138000") }, enrol.StatePhoneVerified},
				{"face", func() error {
					res, err := w.face(11, false)
					if err == nil && (!res.Matched || res.TemplateKept) {
						t.Errorf("SubmitFace() = %+v, want matched against the portrait, template not kept", res)
					}
					return err
				}, enrol.StateFaceVerified},
				{"password", func() error { return e.Service.SetPassword(ctx, w.id(), w.token(), goodPassword) }, enrol.StatePasswordSet},
			}
			for _, s := range steps {
				if err := s.run(); err != nil {
					t.Fatalf("%s step error = %v", s.name, err)
				}
				got, err := e.Service.Status(ctx, w.id(), w.token())
				if err != nil || got.State != s.want {
					t.Fatalf("after %s: Status() = %q, %v; want %q", s.name, got.State, err, s.want)
				}
			}
			done, err := e.Service.Complete(ctx, w.id(), w.token(), w.csr())
			if err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			if done.Status != enrol.StatusActive || done.Pathway != enrol.PathwayChip || done.AssuranceCeiling != enrol.AssuranceHigh {
				t.Errorf("Complete() = status %q, pathway %q, ceiling %q; want active, document-chip, high", done.Status, done.Pathway, done.AssuranceCeiling)
			}
			if _, err := credential.ParseInternetNumber(string(done.InternetNumber)); err != nil {
				t.Errorf("internet number %q: %v", done.InternetNumber, err)
			}
			checkCertificate(t, e, w, done)
			if len(done.DynamicCodeSecret) < 20 {
				t.Errorf("dynamic code secret %d bytes, want at least 20", len(done.DynamicCodeSecret))
			}
			if code := credential.NewDynamicCode(done.DynamicCodeSecret).Code(e.Clock.Now()); len(code) != 8 {
				t.Errorf("dynamic code %q, want 8 digits", code)
			}

			// The account logs in; the enrolment is over.
			acct, err := e.Service.AuthenticateResident(ctx, done.InternetNumber.Display(), goodPassword, "198.51.100.7")
			if err != nil || acct.ID != done.ResidentID || !acct.PhoneLogin || acct.FaceTemplate {
				t.Errorf("AuthenticateResident() = %+v, %v; want the new account, phone login, no template", acct, err)
			}
			_, err = e.Service.Complete(ctx, w.id(), w.token(), w.csr())
			var ws *enrol.WrongStepError
			if !errors.As(err, &ws) || ws.Expected != enrol.StepNone {
				t.Errorf("second Complete() error = %v, want a WrongStepError expecting nothing", err)
			}
			rec, err := e.Store.InternetNumber(ctx, string(done.InternetNumber))
			if err != nil || rec.ResidentID != done.ResidentID || !rec.RetiredAt.IsZero() {
				t.Errorf("InternetNumber() = %+v, %v; want assigned to the resident, not retired", rec, err)
			}
			anchors, err := e.Store.IdentityAnchorsOf(ctx, done.ResidentID)
			if err != nil || len(anchors) != 1 {
				t.Errorf("IdentityAnchorsOf() = %d anchors, %v; want 1", len(anchors), err)
			}
		})
	}
}

// checkCertificate verifies the internet certificate: the subject is the
// internet number, the key is the wallet's device key, and every opening
// the wallet received opens a commitment of the certificate.
func checkCertificate(t *testing.T, e *env, w *wallet, done enrol.Completed) {
	t.Helper()
	cert, err := e.Suite.ParseCertificate(done.Certificate)
	if err != nil {
		t.Fatalf("ParseCertificate() error = %v", err)
	}
	if cert.Subject.CommonName != string(done.InternetNumber) {
		t.Errorf("certificate subject %q, want %q", cert.Subject.CommonName, done.InternetNumber)
	}
	want, err := e.Suite.MarshalPublicKey(w.device.Public())
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Suite.MarshalPublicKey(cert.PublicKey)
	if err != nil || string(got) != string(want) {
		t.Errorf("certificate key differs from the device key (err %v)", err)
	}
	commitments, err := credential.ParseCommitments(cert)
	if err != nil {
		t.Fatalf("ParseCommitments() error = %v", err)
	}
	if len(commitments) != len(done.Openings) || len(commitments) < 4 {
		t.Fatalf("%d commitments, %d openings; want equal and at least 4", len(commitments), len(done.Openings))
	}
	byName := map[string]credential.Commitment{}
	for _, c := range commitments {
		byName[c.Attribute] = c
	}
	for _, o := range done.Openings {
		if err := byName[o.Attribute].Verify(o); err != nil {
			t.Errorf("opening %q does not open its commitment: %v", o.Attribute, err)
		}
	}
	if _, ok := byName["birth_date"]; !ok {
		t.Errorf("no birth_date commitment among %v", commitments)
	}
	rec, err := e.Store.Certificate(context.Background(), done.Serial)
	if err != nil || rec.InternetNumber != string(done.InternetNumber) {
		t.Errorf("Certificate(%s) = %+v, %v; want the record of the issued certificate", done.Serial, rec, err)
	}
}

func TestAuthorityEnrolmentKeepsTemplate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	card := e.idCard("测试大人", e.BirthForAge(40), "M", 1)
	st, err := e.startAuthority(card, nil)
	if err != nil {
		t.Fatalf("Start(authority) error = %v", err)
	}
	w := e.wallet(st)
	if err := w.phone("13900139000"); err != nil {
		t.Fatal(err)
	}
	res, err := w.face(21, true)
	if err != nil || res.Matched || !res.TemplateKept {
		t.Fatalf("SubmitFace() = %+v, %v; want liveness only (no portrait), template kept", res, err)
	}
	if err := e.Service.SetPassword(ctx, w.id(), w.token(), goodPassword); err != nil {
		t.Fatal(err)
	}
	done, err := e.Service.Complete(ctx, w.id(), w.token(), w.csr())
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	if done.Pathway != enrol.PathwayAuthority || done.AssuranceCeiling != enrol.AssuranceSubstantial {
		t.Errorf("Complete() pathway %q ceiling %q, want document-authority, substantial", done.Pathway, done.AssuranceCeiling)
	}
	// The kept template is sealed on the account and is the capture's.
	r, err := e.Store.Resident(ctx, done.ResidentID)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.Envelope.Open(ctx, r.ID, "face-template", r.Template)
	if err != nil {
		t.Fatalf("open kept template: %v", err)
	}
	var tmpl biometric.Template
	if err := tmpl.UnmarshalBinary(plain); err != nil {
		t.Fatalf("kept template: %v", err)
	}
	want, err := e.Extractor.Extract(ctx, enroltest.LiveCapture(t, 21, 1), biometric.FormatJPEG)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := biometric.Cosine(&tmpl, &want); err != nil || s < 0.9999 {
		t.Errorf("kept template vs the capture's: cosine %v, %v; want the same template", s, err)
	}
	// The enrolment record keeps no personal data after completion.
	rec, err := e.Store.Enrolment(ctx, w.id())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Identity)+len(rec.Portrait)+len(rec.Phone)+len(rec.Template)+len(rec.PhoneIndex)+len(rec.PasswordHash) != 0 {
		t.Errorf("completed enrolment still holds personal data: %+v", rec)
	}
}

func TestTemplateDeletedWithoutConsent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ev := e.chip("T00000001", 30, 31)
	st, err := e.startChip(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := e.wallet(st)
	if err := w.phone("13700137000"); err != nil {
		t.Fatal(err)
	}
	// During enrolment the document portrait is held, sealed.
	before, err := e.Store.Enrolment(ctx, w.id())
	if err != nil || len(before.Portrait) == 0 {
		t.Fatalf("enrolment portrait %d bytes, %v; want the sealed DG2 portrait", len(before.Portrait), err)
	}
	if _, err := w.face(31, false); err != nil {
		t.Fatal(err)
	}
	if err := e.Service.SetPassword(ctx, w.id(), w.token(), goodPassword); err != nil {
		t.Fatal(err)
	}
	done, err := e.Service.Complete(ctx, w.id(), w.token(), w.csr())
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Store.Resident(ctx, done.ResidentID)
	if err != nil {
		t.Fatal(err)
	}
	after, err := e.Store.Enrolment(ctx, w.id())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Template) != 0 || len(after.Template) != 0 || len(after.Portrait) != 0 {
		t.Errorf("after completion without consent: account template %d bytes, enrolment template %d, portrait %d; want none",
			len(r.Template), len(after.Template), len(after.Portrait))
	}
}

func TestEnrolmentExpiresAndIsPruned(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ev := e.chip("X00000001", 30, 41)
	st, err := e.startChip(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := e.wallet(st)
	if err := w.phone("13600136000"); err != nil {
		t.Fatal(err)
	}
	rec, err := e.Store.Enrolment(ctx, w.id())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.DataKey(ctx, rec.ResidentID); err != nil {
		t.Fatalf("DataKey() of the enrolment's resident error = %v, want one", err)
	}
	e.Clock.Advance(enrol.DefaultEnrolmentTTL)
	if _, err := e.Service.FaceChallenge(ctx, w.id(), w.token()); !errors.Is(err, enrol.ErrExpired) {
		t.Errorf("FaceChallenge() after the TTL error = %v, want ErrExpired", err)
	}
	n, err := e.Service.PruneExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PruneExpired() = %d, %v; want 1, nil", n, err)
	}
	if _, err := e.Store.Enrolment(ctx, w.id()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Enrolment() after prune error = %v, want store.ErrNotFound", err)
	}
	// The data key is shredded: nothing sealed for the enrolment opens.
	if _, err := e.Store.DataKey(ctx, rec.ResidentID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DataKey() after prune error = %v, want store.ErrNotFound", err)
	}
	if _, err := e.Envelope.Open(ctx, rec.ResidentID, "identity", rec.Identity); err == nil {
		t.Errorf("the sealed identity still opens after prune")
	}
	if _, err := e.Service.Status(ctx, w.id(), w.token()); !errors.Is(err, enrol.ErrNotFound) {
		t.Errorf("Status() after prune error = %v, want ErrNotFound", err)
	}
	// The same document can start again.
	e.Clock.Advance(time.Second)
	if _, err := e.startChip(ev, nil); err != nil {
		t.Errorf("Start() after prune error = %v, want nil", err)
	}
}

// A chip dump without DG2 passes passive authentication (the groups read
// all verify) but leaves no portrait to match the face with: enrolment
// refuses it rather than falling back to a liveness check.
func TestChipWithoutPortraitRefused(t *testing.T) {
	e := newEnv(t)
	ev := e.chip("N00000001", 30, 131)
	files := map[string][]byte{}
	for k, v := range ev.Dump.Files {
		if k != "DG2" {
			files[k] = v
		}
	}
	ev.Dump.Files = files
	_, err := e.startChip(ev, nil)
	if !errors.Is(err, enrol.ErrEvidenceRefused) || !strings.Contains(err.Error(), "DG2") {
		t.Fatalf("Start(chip without DG2) error = %v; want ErrEvidenceRefused naming DG2", err)
	}
}

func TestIdentityView(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	birth := e.BirthForAge(44)
	card := e.idCard("测试丙", birth, "F", 5)
	st, err := e.startAuthority(card, nil)
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.wallet(st).complete("13800138141", 141, false, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Service.Identity(ctx, done.ResidentID)
	if err != nil {
		t.Fatalf("Identity() error = %v", err)
	}
	want := enrol.Identity{Name: "测试丙", BirthDate: birth, Sex: "F", Nationality: "CHN", DocType: "resident-id-card",
		DocumentNumber: card.Number, IssuingState: "CHN", AnchorAuthority: "CHN", AnchorPerson: card.Number}
	if got != want {
		t.Errorf("Identity() = %+v, want %+v", got, want)
	}
	if _, err := e.Service.Identity(ctx, "nobody"); !errors.Is(err, enrol.ErrNotFound) {
		t.Errorf("Identity(nobody) error = %v, want ErrNotFound", err)
	}
	// The same number from a residence permit would be the same person:
	// the anchor is the GB 11643 number, not the card.
	if _, err := e.startAuthority(card, nil); !errors.Is(err, enrol.ErrDuplicateIdentity) {
		t.Errorf("Start(same card) error = %v, want ErrDuplicateIdentity", err)
	}
}
