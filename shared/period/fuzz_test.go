package period

import "testing"

// A month or quarter parses only from its own canonical text.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"2026-01", "2026-+1", "2026- 1", "2026-Q4", "2026-Q+", "0000-00", "9999-12"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := ParseMonth(s); err == nil && m.String() != s {
			t.Fatalf("ParseMonth(%q) = %s", s, m)
		}
		if q, err := ParseQuarter(s); err == nil && q.String() != s {
			t.Fatalf("ParseQuarter(%q) = %s", s, q)
		}
		if d, err := ParseDate(s); err == nil && d.String() != s {
			t.Fatalf("ParseDate(%q) = %s", s, d)
		}
	})
}
