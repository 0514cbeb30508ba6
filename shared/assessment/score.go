package assessment

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Score is a quality score between 0 and 100 held exactly in hundredths of a
// point: 87.5 is Score(8750). Scores may be whole or have up to two decimals;
// they are never floats, so the comparison with the pass mark is exact.
type Score int64

// MaxScore is the highest quality score, 100 points.
const MaxScore = Score(100_00)

// Points returns a whole number of points as a Score.
func Points(n int64) Score { return Score(n * 100) }

// ParseScore reads a decimal such as "87.5", "60" or "59.99". More than two
// decimals, signs, exponents or any other text are refused; the 0–100 range is
// checked by validation, not here.
func ParseScore(s string) (Score, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, errors.New("must be a number such as 87.5 with at most two decimals")
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	if len(whole) > 6 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return Score(w*100 + f), nil
}

// MustScore is ParseScore for constants in code and tests; it panics on bad input.
func MustScore(s string) Score {
	v, err := ParseScore(s)
	if err != nil {
		panic(err)
	}
	return v
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Hundredths returns the score in hundredths of a point.
func (s Score) Hundredths() int64 { return int64(s) }

// String writes the score with exactly two decimals, e.g. "87.50".
func (s Score) String() string {
	sign := ""
	v := int64(s)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalJSON writes the score as a JSON number with two decimals (87.50):
// decimal text, so no float ever touches it.
func (s Score) MarshalJSON() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalJSON accepts a JSON number or a decimal string with at most two decimals.
func (s *Score) UnmarshalJSON(b []byte) error {
	text := strings.TrimSpace(string(b))
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(b, &text); err != nil {
			return errors.New("must be a number such as 87.5")
		}
	}
	v, err := ParseScore(text)
	if err != nil {
		return err
	}
	*s = v
	return nil
}
