package enroltest_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// TestEnvServesAnEnrolment checks what the three users of the package
// rely on: a card registered after New reaches the Service's authority,
// the SMS box records a code by enrolment and by number, and Attest makes
// a capture of the passport's holder that the Service accepts.
func TestEnvServesAnEnrolment(t *testing.T) {
	ctx := context.Background()
	for _, suiteName := range []string{"intl", "sm"} {
		t.Run(suiteName, func(t *testing.T) {
			e := enroltest.New(t, enroltest.WithSuite(suiteName))
			if got := e.Suite.Name(); string(got) != suiteName {
				t.Fatalf("Suite.Name() = %q, want %q", got, suiteName)
			}
			card := e.RegisterIDCard("测试", e.BirthForAge(30), "F", 1)
			if got := len(e.AuthorityRecords()); got != 1 {
				t.Fatalf("AuthorityRecords() has %d records, want 1", got)
			}
			if _, err := e.Service.Start(ctx, enrol.StartRequest{Evidence: enrol.Evidence{Authority: card.Evidence()}, ClientAddr: "192.0.2.1"}); err != nil {
				t.Fatalf("Start(registered card) error = %v", err)
			}
			doc := e.Passport("E00000001", 35, 7)
			st, err := e.Service.Start(ctx, enrol.StartRequest{Evidence: enrol.Evidence{Chip: enroltest.ChipEvidence(doc)}, ClientAddr: "192.0.2.1"})
			if err != nil {
				t.Fatalf("Start(passport) error = %v", err)
			}
			if _, err := e.Service.SendPhoneCode(ctx, st.ID, st.Token, "13800138000"); err != nil {
				t.Fatalf("SendPhoneCode() error = %v", err)
			}
			code := e.SMS.Code(st.ID)
			if code == "" || e.SMS.CodeTo("+8613800138000") != code || e.SMS.Count() != 1 {
				t.Fatalf("SMS: Code = %q, CodeTo = %q, Count = %d; want one code by both keys",
					code, e.SMS.CodeTo("+8613800138000"), e.SMS.Count())
			}
			if err := e.Service.VerifyPhone(ctx, st.ID, st.Token, "13800138000", code); err != nil {
				t.Fatalf("VerifyPhone(captured code) error = %v", err)
			}
			ch, err := e.Service.FaceChallenge(ctx, st.ID, st.Token)
			if err != nil {
				t.Fatalf("FaceChallenge() error = %v", err)
			}
			spoof := e.Attest(enroltest.LiveCapture(t, 7, 1), ch, 0.1)
			if _, err := e.Service.SubmitFace(ctx, st.ID, st.Token, spoof, false); !errors.Is(err, enrol.ErrNotLive) {
				t.Fatalf("SubmitFace(score 0.1) error = %v, want ErrNotLive", err)
			}
			res, err := e.Service.SubmitFace(ctx, st.ID, st.Token, e.Attest(enroltest.LiveCapture(t, 7, 2), ch, 0.99), false)
			if err != nil || !res.Matched {
				t.Fatalf("SubmitFace(holder, live) = %+v, %v; want matched", res, err)
			}
		})
	}
}

// TestUnregisteredCardRefused: the authority answers from its records
// only, so a card nobody registered is refused.
func TestUnregisteredCardRefused(t *testing.T) {
	e := enroltest.New(t)
	birth := e.BirthForAge(30)
	num, err := testdoc.ResidentIDNumber("110105", birth, "F", 1)
	if err != nil {
		t.Fatal(err)
	}
	card := enroltest.IDCard{Name: "测试", Number: num, Birth: birth, Sex: "F"}
	_, err = e.Service.Start(context.Background(), enrol.StartRequest{Evidence: enrol.Evidence{Authority: card.Evidence()}, ClientAddr: "192.0.2.1"})
	if !errors.Is(err, enrol.ErrEvidenceRefused) {
		t.Fatalf("Start(unregistered card) error = %v, want ErrEvidenceRefused", err)
	}
}

func TestLiveCapture(t *testing.T) {
	a, again := enroltest.LiveCapture(t, 1, 1), enroltest.LiveCapture(t, 1, 1)
	if !bytes.Equal(a, again) {
		t.Errorf("LiveCapture(1, 1) differs between calls, want the same bytes")
	}
	if bytes.Equal(a, enroltest.LiveCapture(t, 1, 2)) {
		t.Errorf("LiveCapture(1, 1) = LiveCapture(1, 2), want another capture")
	}
}

func TestClock(t *testing.T) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := enroltest.NewClock(start)
	c.Advance(time.Hour)
	if got, want := c.Now(), start.Add(time.Hour); !got.Equal(want) {
		t.Errorf("Now() after Advance(1h) = %v, want %v", got, want)
	}
}

func TestLetters(t *testing.T) {
	for _, tt := range []struct{ in, want string }{{"E12345678", "EBCDEFGHI"}, {"", ""}, {"0x9", "AxJ"}} {
		if got := enroltest.Letters(tt.in); got != tt.want {
			t.Errorf("Letters(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
