package credential_test

import (
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
)

// FuzzDynamicCodeVerify feeds arbitrary typed codes to DynamicCode.Verify:
// it must never panic, refuse with ErrDynamicCode, and accept only the
// code of a step inside the allowed skew (a code of another step, or a
// string that merely contains the right digits, is a guess).
func FuzzDynamicCodeVerify(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	d := credential.NewDynamicCode(secret)
	at := time.Unix(1_800_000_000, 0)
	f.Add(d.Code(at), int64(0), uint8(1))
	f.Add(d.Code(at.Add(30*time.Second)), int64(0), uint8(1))
	f.Add(d.Code(at.Add(-90*time.Second)), int64(0), uint8(1))
	f.Add(" "+d.Code(at)[1:], int64(0), uint8(0))
	f.Add("１２３４５６７８", int64(-1), uint8(2))
	f.Add("", int64(1<<62), uint8(255))
	f.Add("00000000\x00", int64(-1<<62), uint8(3))
	f.Fuzz(func(t *testing.T, code string, offset int64, skew uint8) {
		// Within a century of at, so that steps do not overflow.
		now := at.Add(time.Duration(offset%(100*365*24*3600)) * time.Second)
		window := int(skew % 4)
		step, err := d.Verify(code, now, window)
		if err != nil {
			if !errors.Is(err, credential.ErrDynamicCode) {
				t.Fatalf("Verify(%q) error = %v, want ErrDynamicCode", code, err)
			}
			return
		}
		cur := d.Step(now)
		if step < cur-int64(window) || step > cur+int64(window) {
			t.Fatalf("Verify(%q) accepted step %d, outside %d±%d", code, step, cur, window)
		}
		if d.CodeAt(step) != code {
			t.Fatalf("Verify(%q) accepted step %d, whose code is %q", code, step, d.CodeAt(step))
		}
	})
}
