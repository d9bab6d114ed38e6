package translog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2025, 7, 15, 10, 0, 0, 123456000, time.UTC)

// sample returns a valid entry of kind k whose fields depend on i.
func sample(k Kind, i int) Entry {
	e := Entry{ID: fmt.Sprintf("%s-%04d", k, i), Kind: k, Time: t0.Add(time.Duration(i) * time.Minute)}
	switch k {
	case KindDisclosure:
		e.ClientID, e.Level, e.Event, e.Ref = "rp-0123456789abcdef0123456789abcdef", LevelSubstantial, EventAuthorizationCode, fmt.Sprintf("grant-%d", i)
		e.Claims = []string{"age_over_18", "internet_number"}
	case KindConsentGranted, KindConsentWithdrawn:
		e.ClientID, e.Claims = "rp-fedcba9876543210fedcba9876543210", []string{"name"}
	case KindCertificateIssued:
		e.Ref = fmt.Sprintf("%x", 0x1f2e3d4c5b6a+i)
	case KindCertificateRevoked:
		e.Ref, e.Event = fmt.Sprintf("%x", 0x1f2e3d4c5b6a+i), EventRevokedKeyCompromise
	case KindAccountEvent:
		e.Event, e.Level = EventPasswordChanged, LevelLow
	case KindLawfulAccess:
		e.Authority, e.LegalBasis, e.Ref = "PSB-110000", "CPL-2018/art.54(2)", fmt.Sprintf("case-%d", i)
		e.Claims = []string{"document_number", "name"}
		e.NoticeDelayedUntil = e.Time.Add(30 * 24 * time.Hour)
	}
	return e
}

func TestEntryValidate(t *testing.T) {
	with := func(k Kind, f func(*Entry)) Entry {
		e := sample(k, 1)
		f(&e)
		return e
	}
	tests := []struct {
		name    string
		e       Entry
		wantErr string // empty: valid
	}{
		{"disclosure", sample(KindDisclosure, 1), ""},
		{"consent granted", sample(KindConsentGranted, 1), ""},
		{"consent withdrawn, no claims", with(KindConsentWithdrawn, func(e *Entry) { e.Claims = nil }), ""},
		{"certificate issued", sample(KindCertificateIssued, 1), ""},
		{"certificate revoked", sample(KindCertificateRevoked, 1), ""},
		{"account event", sample(KindAccountEvent, 1), ""},
		{"account event without level", with(KindAccountEvent, func(e *Entry) { e.Level = "" }), ""},
		{"lawful access", sample(KindLawfulAccess, 1), ""},
		{"lawful access, notice not delayed", with(KindLawfulAccess, func(e *Entry) { e.NoticeDelayedUntil = e.Time }), ""},
		{"lawful access, longest delay", with(KindLawfulAccess, func(e *Entry) { e.NoticeDelayedUntil = e.Time.Add(MaxNoticeDelay) }), ""},
		{"longest id", with(KindCertificateIssued, func(e *Entry) { e.ID = strings.Repeat("a", 128) }), ""},
		{"most claims", with(KindDisclosure, func(e *Entry) {
			e.Claims = nil
			for i := range MaxClaims {
				e.Claims = append(e.Claims, fmt.Sprintf("c%02d", i))
			}
		}), ""},

		{"unknown kind", with(KindDisclosure, func(e *Entry) { e.Kind = "login" }), "unknown kind"},
		{"empty id", with(KindDisclosure, func(e *Entry) { e.ID = "" }), "id"},
		{"id too long", with(KindDisclosure, func(e *Entry) { e.ID = strings.Repeat("a", 129) }), "id"},
		{"id with a space", with(KindDisclosure, func(e *Entry) { e.ID = "a b" }), "id"},
		{"zero time", with(KindDisclosure, func(e *Entry) { e.Time = time.Time{} }), "time: zero"},
		{"time before 1970", with(KindDisclosure, func(e *Entry) { e.Time = time.Unix(-1, 0) }), "before 1970"},
		{"time in nanoseconds", with(KindDisclosure, func(e *Entry) { e.Time = e.Time.Add(1) }), "microsecond"},
		{"disclosure without client", with(KindDisclosure, func(e *Entry) { e.ClientID = "" }), "client id is required"},
		{"disclosure without level", with(KindDisclosure, func(e *Entry) { e.Level = "" }), "level is required"},
		{"disclosure without event", with(KindDisclosure, func(e *Entry) { e.Event = "" }), "event is required"},
		{"disclosure with an account event", with(KindDisclosure, func(e *Entry) { e.Event = EventDeleted }), "event is not valid"},
		{"unknown level", with(KindDisclosure, func(e *Entry) { e.Level = "medium" }), "level is not valid"},
		{"client id with a space", with(KindConsentGranted, func(e *Entry) { e.ClientID = "Zhang Wei" }), "client id is not valid"},
		{"claim name in capitals", with(KindDisclosure, func(e *Entry) { e.Claims = []string{"Name"} }), "not a claim name"},
		{"claim value, not a name", with(KindDisclosure, func(e *Entry) { e.Claims = []string{"110101199003074514"} }), "not a claim name"},
		{"claims unsorted", with(KindDisclosure, func(e *Entry) { e.Claims = []string{"name", "birthdate"} }), "sorted and unique"},
		{"claims repeated", with(KindDisclosure, func(e *Entry) { e.Claims = []string{"name", "name"} }), "sorted and unique"},
		{"too many claims", with(KindDisclosure, func(e *Entry) {
			for i := range MaxClaims + 1 {
				e.Claims = append(e.Claims, fmt.Sprintf("z%02d", i))
			}
		}), "at most"},
		{"consent with a level", with(KindConsentGranted, func(e *Entry) { e.Level = LevelHigh }), "level is not allowed"},
		{"consent with an event", with(KindConsentGranted, func(e *Entry) { e.Event = EventAuthorizationCode }), "event is not allowed"},
		{"certificate with a client", with(KindCertificateIssued, func(e *Entry) { e.ClientID = "rp-1" }), "client id is not allowed"},
		{"certificate with claims", with(KindCertificateIssued, func(e *Entry) { e.Claims = []string{"name"} }), "claims are not allowed"},
		{"certificate without serial", with(KindCertificateIssued, func(e *Entry) { e.Ref = "" }), "reference is required"},
		{"revocation without reason", with(KindCertificateRevoked, func(e *Entry) { e.Event = "" }), "event is required"},
		{"revocation with another reason", with(KindCertificateRevoked, func(e *Entry) { e.Event = "certificateHold" }), "event is not valid"},
		{"account event not in the set", with(KindAccountEvent, func(e *Entry) { e.Event = "renamed-to-li-lei" }), "event is not valid"},
		{"account event with a legal basis", with(KindAccountEvent, func(e *Entry) { e.LegalBasis = "x" }), "legal basis is not allowed"},
		{"lawful access without authority", with(KindLawfulAccess, func(e *Entry) { e.Authority = "" }), "authority is required"},
		{"authority as a sentence", with(KindLawfulAccess, func(e *Entry) { e.Authority = "Public Security Bureau" }), "authority is not valid"},
		{"lawful access without legal basis", with(KindLawfulAccess, func(e *Entry) { e.LegalBasis = "" }), "legal basis is required"},
		{"legal basis as a narrative", with(KindLawfulAccess, func(e *Entry) { e.LegalBasis = "suspect in case of Li Lei" }), "legal basis is not valid"},
		{"lawful access without case", with(KindLawfulAccess, func(e *Entry) { e.Ref = "" }), "reference is required"},
		{"lawful access without notice date", with(KindLawfulAccess, func(e *Entry) { e.NoticeDelayedUntil = time.Time{} }), "notice date is required"},
		{"notice before the access", with(KindLawfulAccess, func(e *Entry) { e.NoticeDelayedUntil = e.Time.Add(-time.Microsecond) }), "notice delayed by"},
		{"notice delayed too long", with(KindLawfulAccess, func(e *Entry) { e.NoticeDelayedUntil = e.Time.Add(MaxNoticeDelay + time.Microsecond) }), "notice delayed by"},
		{"notice date on a disclosure", with(KindDisclosure, func(e *Entry) { e.NoticeDelayedUntil = e.Time }), "notice date is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want ErrInvalidEntry mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// TestEntryValidateReportsAll checks that every problem is reported at
// once, not the first.
func TestEntryValidateReportsAll(t *testing.T) {
	e := Entry{ID: "a b", Kind: KindDisclosure}
	err := e.Validate()
	for _, want := range []string{"id", "time: zero", "client id is required", "level is required", "event is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}

func TestEntryNormalize(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	e := sample(KindLawfulAccess, 1)
	e.Time = time.Date(2025, 7, 15, 18, 0, 0, 123456789, loc)
	e.NoticeDelayedUntil = e.Time.Add(time.Hour)
	e.Claims = []string{"name", "document_number", "name"}
	got := e.normalize()
	want := e
	want.Time = time.Date(2025, 7, 15, 10, 0, 0, 123456000, time.UTC)
	want.NoticeDelayedUntil = want.Time.Add(time.Hour)
	want.Claims = []string{"document_number", "name"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("normalize() mismatch (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate(normalize()) = %v, want nil", err)
	}
	if !got.equal(e.normalize()) || got.equal(sample(KindLawfulAccess, 2).normalize()) {
		t.Error("equal() does not tell normalised entries apart")
	}
}
