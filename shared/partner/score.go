package partner

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Score is an exact number of points: a reviewer's 9, a quarterly 59.5, or a
// computed mean such as 220/3. Means and weighted sums are kept as exact
// fractions so that "≥ 60" is decided on the exact value; only display rounds
// (half-up to two decimals, "73.33"). The fraction is held in its canonical
// text form, which keeps Score comparable with == and safe to share.
type Score struct {
	exact string // big.Rat.RatString of the value; "" is zero
}

// Points returns a whole number of points as a Score.
func Points(n int64) Score { return scoreOfRat(new(big.Rat).SetInt64(n)) }

// Hundredths returns n hundredths of a point as a Score: Hundredths(5950) is 59.5.
func Hundredths(n int64) Score { return scoreOfRat(big.NewRat(n, 100)) }

// ScoreOfRat returns the exact value of r as a Score.
func ScoreOfRat(r *big.Rat) Score { return scoreOfRat(r) }

func scoreOfRat(r *big.Rat) Score {
	if r.Sign() == 0 {
		return Score{}
	}
	return Score{exact: r.RatString()}
}

// ParseScore reads a decimal such as "87.5", "60", "-3" or "59.99": at most two
// decimals, no exponent. Ranges (0–100 and the like) are checked by validation.
func ParseScore(s string) (Score, error) {
	s = strings.TrimSpace(s)
	body := strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(body, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return Score{}, errors.New("must be a number such as 87.5 with at most two decimals")
	}
	if len(frac) > 2 {
		return Score{}, fmt.Errorf("%q has more than two decimals", s)
	}
	if len(whole) > 9 {
		return Score{}, fmt.Errorf("%q is too large", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Score{}, errors.New("must be a number such as 87.5 with at most two decimals")
	}
	return scoreOfRat(r), nil
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

// Rat returns the exact value as a new big.Rat.
func (s Score) Rat() *big.Rat {
	if s.exact == "" {
		return new(big.Rat)
	}
	r, ok := new(big.Rat).SetString(s.exact)
	if !ok {
		panic("partner: corrupt score " + s.exact)
	}
	return r
}

// Cmp compares two scores exactly: -1, 0 or +1.
func (s Score) Cmp(o Score) int { return s.Rat().Cmp(o.Rat()) }

// Sign returns -1, 0 or +1 by the sign of the score.
func (s Score) Sign() int { return s.Rat().Sign() }

// Add returns s + o exactly.
func (s Score) Add(o Score) Score { return scoreOfRat(new(big.Rat).Add(s.Rat(), o.Rat())) }

// Sub returns s − o exactly.
func (s Score) Sub(o Score) Score { return scoreOfRat(new(big.Rat).Sub(s.Rat(), o.Rat())) }

// MulRat returns s × r exactly (a weight such as 80%).
func (s Score) MulRat(r *big.Rat) Score { return scoreOfRat(new(big.Rat).Mul(s.Rat(), r)) }

// IsWhole reports whether the score is a whole number of points.
func (s Score) IsWhole() bool { return s.Rat().IsInt() }

// HasAtMostTwoDecimals reports whether the score is a whole number of hundredths.
func (s Score) HasAtMostTwoDecimals() bool {
	return new(big.Rat).Mul(s.Rat(), big.NewRat(100, 1)).IsInt()
}

// Exact writes the exact value: "73.5" when it terminates within eight
// decimals, else the fraction "220/3".
func (s Score) Exact() string {
	r := s.Rat()
	for _, places := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8} {
		scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)))
		if scaled.IsInt() {
			return r.FloatString(places)
		}
	}
	return r.RatString()
}

// String writes the score rounded half-up to two decimals, e.g. "73.33", "60.00".
func (s Score) String() string {
	r := s.Rat()
	neg := r.Sign() < 0
	hundredths := new(big.Rat).Abs(r)
	hundredths.Mul(hundredths, big.NewRat(100, 1))
	q, m := new(big.Int).QuoRem(hundredths.Num(), hundredths.Denom(), new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(hundredths.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	whole, frac := new(big.Int).QuoRem(q, big.NewInt(100), new(big.Int))
	sign := ""
	if neg && q.Sign() != 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s%s.%02d", sign, whole.String(), frac.Int64())
}

// MarshalJSON writes the score as a JSON number with two decimals (73.33), the
// form people read; the exact value is recomputed from the inputs, not stored.
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

// MeanScore returns the exact arithmetic mean of the scores; it panics on none,
// so callers check for an empty list first (and report it as a field error).
func MeanScore(scores []Score) Score {
	if len(scores) == 0 {
		panic("partner: mean of no scores")
	}
	sum := new(big.Rat)
	for _, s := range scores {
		sum.Add(sum, s.Rat())
	}
	return scoreOfRat(sum.Quo(sum, big.NewRat(int64(len(scores)), 1)))
}
