package mockserver

import "testing"

func TestFormatRequestID(t *testing.T) {
	for n, want := range map[uint64]string{
		0:                  "0000000000000000",
		1:                  "0000000000000001",
		0x0fedcba987654321: "0fedcba987654321",
		0xffffffffffffffff: "ffffffffffffffff",
	} {
		if got := formatRequestID(n); got != want {
			t.Errorf("formatRequestID(%#x) = %q, want %q", n, got, want)
		}
	}
}
