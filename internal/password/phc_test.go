package password

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Known answers made with the argon2 reference implementation (the argon2
// command of Debian's argon2 package, 0~20171227), for example:
//
//	echo -n password | argon2 somesaltsomesalt -id -t 1 -k 64 -p 1 -l 32 -e
var referenceVectors = []struct {
	name, password, encoded string
	params                  Params
}{
	{
		"m=64,t=1,p=1", "password",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM",
		Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
	},
	{
		"m=256,t=2,p=2", "password",
		"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$wRLS7mudUUQT+AYkMYeVIYbo8Zysq4DyCoI9VJ8RHSw",
		Params{Memory: 256, Time: 2, Threads: 2, KeyLen: 32, SaltLen: 16},
	},
	{
		// UTF-8 input, 4 lanes, a 16-byte key.
		"m=128,t=3,p=4 unicode", "pässwörd 密码 🔑",
		"$argon2id$v=19$m=128,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$IPRPv8H5DD8nzFsE5Z91uQ",
		Params{Memory: 128, Time: 3, Threads: 4, KeyLen: 16, SaltLen: 16},
	},
}

// defaultVector is DefaultParams' output for "password" and salt
// "somesaltsomesalt", from the same reference implementation.
const defaultVector = "$argon2id$v=19$m=65536,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$Wbaud+1CKXSqBM+9gZ9ezQMMSoH9wJldExiNfAg3iKY"

func TestDecodeReferenceVectors(t *testing.T) {
	for _, v := range referenceVectors {
		t.Run(v.name, func(t *testing.T) {
			p, salt, key, err := decode(v.encoded)
			if err != nil {
				t.Fatalf("decode() error = %v, want nil", err)
			}
			if diff := cmp.Diff(v.params, p); diff != "" {
				t.Errorf("decode() params mismatch (-want +got):\n%s", diff)
			}
			if got := encode(p, salt, key); got != v.encoded {
				t.Errorf("encode(decode(s)) = %q, want %q", got, v.encoded)
			}
		})
	}
}

func TestDecodeRefusesTampering(t *testing.T) {
	const good = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"argon2d", strings.Replace(good, "argon2id", "argon2d", 1)},
		{"no leading dollar", good[1:]},
		{"version 16", strings.Replace(good, "v=19", "v=16", 1)},
		{"version missing", strings.Replace(good, "v=19$", "", 1)},
		{"version with leading zero", strings.Replace(good, "v=19", "v=019", 1)},
		{"params reordered", strings.Replace(good, "m=64,t=1,p=1", "t=1,m=64,p=1", 1)},
		{"param missing", strings.Replace(good, "m=64,t=1,p=1", "m=64,t=1", 1)},
		{"extra param keyid", strings.Replace(good, "p=1", "p=1,keyid=abc", 1)},
		{"m empty", strings.Replace(good, "m=64", "m=", 1)},
		{"m leading zero", strings.Replace(good, "m=64", "m=064", 1)},
		{"m signed", strings.Replace(good, "m=64", "m=+64", 1)},
		{"m hex", strings.Replace(good, "m=64", "m=0x40", 1)},
		{"m above uint32", strings.Replace(good, "m=64", "m=4294967296", 1)},
		{"m eleven digits", strings.Replace(good, "m=64", "m=10000000000", 1)},
		{"m below 8p", strings.Replace(good, "m=64,t=1,p=1", "m=64,t=1,p=9", 1)},
		{"t zero", strings.Replace(good, "t=1", "t=0", 1)},
		{"p zero", strings.Replace(good, "p=1", "p=0", 1)},
		{"p above 255", strings.Replace(good, "p=1", "p=256", 1)},
		{"salt padded", strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2FsdA==", 1)},
		{"key url alphabet", strings.Replace(referenceVectors[1].encoded, "+", "-", 1)},
		{"key with trailing garbage", good + "!"},
		{"salt non-canonical trailing bits", strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2FsdB", 1)},
		{"salt with line break", strings.Replace(good, "c29tZXNh", "c29t\nZXNh", 1)},
		{"salt too short", strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "c29tZXNh", 1)},
		{"salt empty", strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "", 1)},
		{"key too short", strings.Replace(good, "55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM", "55PWTvddWPUD1GMb", 1)},
		{"key too long", good + strings.Repeat("A", 80)},
		{"key missing", good[:strings.LastIndex(good, "$")]},
		{"trailing dollar", good + "$"},
		{"way too long", good + strings.Repeat("$", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := decode(tt.encoded)
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("decode(%q) error = %v, want ErrMalformedHash", tt.encoded, err)
			}
			if strings.Contains(err.Error(), "55PWTvdd") {
				t.Errorf("decode() error %q quotes the stored key", err)
			}
		})
	}
}
