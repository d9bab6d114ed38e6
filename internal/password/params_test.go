package password

import (
	"runtime"
	"strings"
	"testing"
)

func TestDefaultParamsValid(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("DefaultParams().Validate() = %v, want nil", err)
	}
	got := DefaultParams()
	want := Params{Memory: 65536, Time: 1, Threads: 2, KeyLen: 32, SaltLen: 16}
	if got != want {
		t.Errorf("DefaultParams() = %+v, want %+v", got, want)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want []string // substrings, one per expected problem; nil means valid
	}{
		{"default", DefaultParams(), nil},
		{"owasp t=2", Params{Memory: 19456, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}, nil},
		{"owasp t=5", Params{Memory: 7168, Time: 5, Threads: 1, KeyLen: 32, SaltLen: 16}, nil},
		{"zero value", Params{}, []string{"time 0", "threads 0", "memory 0 KiB", "key length 0", "salt length 0"}},
		{"below owasp t=1", Params{Memory: 32768, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, []string{"below the OWASP minimum of 47104"}},
		{"below owasp t=3", Params{Memory: 8192, Time: 3, Threads: 1, KeyLen: 32, SaltLen: 16}, []string{"below the OWASP minimum of 12288"}},
		{"memory below 8p", Params{Memory: 100, Time: 8, Threads: 16, KeyLen: 32, SaltLen: 16}, []string{"memory 100 KiB, want 128", "OWASP"}},
		{"absurd memory", Params{Memory: MaxMemory + 1, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, []string{"memory 4194305 KiB"}},
		{"absurd time", Params{Memory: 65536, Time: 1000, Threads: 1, KeyLen: 32, SaltLen: 16}, []string{"time 1000"}},
		{"short key and salt", Params{Memory: 65536, Time: 1, Threads: 1, KeyLen: 8, SaltLen: 8}, []string{"key length 8", "salt length 8"}},
		{"long key and salt", Params{Memory: 65536, Time: 1, Threads: 1, KeyLen: 65, SaltLen: 65}, []string{"key length 65", "salt length 65"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tt.want) {
				t.Errorf("Validate() reported %d problems, want %d: %q", got, len(tt.want), err)
			}
		})
	}
}

func TestWeakParamsNeedOption(t *testing.T) {
	weak := Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	if _, err := NewHasher(weak, 1); err == nil || !strings.Contains(err.Error(), "OWASP") {
		t.Errorf("NewHasher(weak) error = %v, want the OWASP minimum refused", err)
	}
	if _, err := NewHasher(weak, 1, AllowWeakParams()); err != nil {
		t.Errorf("NewHasher(weak, AllowWeakParams()) = %v, want nil", err)
	}
	// AllowWeakParams relaxes cost only, not structure.
	if _, err := NewHasher(Params{Memory: 64, Time: 0, Threads: 1, KeyLen: 32, SaltLen: 16}, 1, AllowWeakParams()); err == nil {
		t.Error("NewHasher(t=0, AllowWeakParams()) = nil error, want time refused")
	}
}

func TestDefaultMaxConcurrent(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	tests := []struct {
		name   string
		memory uint32
		want   int
	}{
		{"small hashes: one per core", 1024, procs},
		{"64 MiB: budget allows 4", 65536, min(procs, 4)},
		{"256 MiB: budget allows 1", 262144, 1},
		{"1 GiB: never below 1", 1 << 20, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			p.Memory = tt.memory
			if got := DefaultMaxConcurrent(p); got != tt.want {
				t.Errorf("DefaultMaxConcurrent(m=%d) = %d, want %d", tt.memory, got, tt.want)
			}
		})
	}
}
