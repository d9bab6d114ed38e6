package admin

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCommandRecord(t *testing.T) {
	a := Actor{Name: LocalPrefix + "op", Channel: ChannelCommand}
	at := time.Date(2025, 3, 1, 10, 0, 0, 1500, time.FixedZone("CST", 8*3600))
	refused := errors.New("blind-index keys cannot be rotated")
	tests := []struct {
		name       string
		target     string
		detail     string
		outcome    Outcome
		err        error
		wantTarget string
		wantDetail string
	}{
		{"success", "kek-2", "purpose key-encryption", OutcomeOK, nil, "kek-2", "purpose key-encryption"},
		{"refusal gives its reason", "", "purpose blind-index", OutcomeConflict, refused, "",
			"purpose blind-index; blind-index keys cannot be rotated"},
		{"refusal without detail", "x", "", OutcomeInvalid, refused, "x", "blind-index keys cannot be rotated"},
		{"internal error stays out", "x", "purpose ca", OutcomeError, errors.New("disk on fire"), "x", "purpose ca"},
		{"clipped to one line", "a\nb", strings.Repeat("é", 300), OutcomeOK, nil, "a b", strings.Repeat("é", 250) + "…"},
	}
	id := regexp.MustCompile(`^[0-9a-f]{15}-[0-9a-f]{16}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := CommandRecord(a, "key.rotate", tt.target, tt.detail, tt.outcome, tt.err, at)
			if err != nil {
				t.Fatal(err)
			}
			if !id.MatchString(rec.ID) || !strings.HasPrefix(rec.ID, "0062f3e47d6c801-") {
				t.Errorf("ID = %q, want the microseconds of %v in hex and 16 random hex digits", rec.ID, at)
			}
			want := AuditRecord{ID: rec.ID, At: at.UTC().Truncate(time.Microsecond), Admin: a.Name, Channel: ChannelCommand,
				Action: "key.rotate", Target: tt.wantTarget, Outcome: tt.outcome, Detail: tt.wantDetail}
			if rec != want {
				t.Errorf("CommandRecord = %+v,\nwant %+v", rec, want)
			}
		})
	}
}
