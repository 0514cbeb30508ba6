// Package money holds amounts of yuan as integer fen and the one rounding rule
// the policies use: half-up (half away from zero) once per computed amount.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Amount is an amount of money in fen (1/100 yuan). It is never a float.
type Amount int64

// maxYuan bounds parsed amounts so that products of amounts and rates stay exact.
const maxYuan = 1_000_000_000_000 // one trillion yuan

// ErrInvalid reports an amount that is not a decimal with at most two decimals.
var ErrInvalid = errors.New("must be a decimal number with at most two decimals")

// FromYuan returns whole yuan as an Amount.
func FromYuan(yuan int64) Amount { return Amount(yuan * 100) }

// Parse reads a decimal string such as "96666.67", "-5", "0.5".
// More than two decimals, exponents, or any other text are refused.
func Parse(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrInvalid
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || !digits(frac))) {
		return 0, ErrInvalid
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%w: %q has %d decimals", ErrInvalid, s, len(frac))
	}
	if len(whole) > 13 {
		return 0, fmt.Errorf("%w: %q is too large", ErrInvalid, s)
	}
	y, _ := strconv.ParseInt(whole, 10, 64)
	if y > maxYuan {
		return 0, fmt.Errorf("%w: %q is too large", ErrInvalid, s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	a := Amount(y*100 + f)
	if neg {
		a = -a
	}
	return a, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// MustParse is Parse for constants in code and tests; it panics on bad input.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// String formats the amount as yuan with exactly two decimals, e.g. "96666.67".
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Fen returns the amount in fen.
func (a Amount) Fen() int64 { return int64(a) }

// MarshalJSON writes the amount as a decimal string, as the HTTP contract fixes.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON accepts a decimal string or a JSON number with at most two decimals.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return ErrInvalid
		}
	} else if strings.ContainsAny(s, "eE") || s == "null" || s == "true" || s == "false" {
		return ErrInvalid
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Rate is an exact non-negative decimal ratio such as a contribution rate (0.027)
// or a paid share (0.83). It is a fraction of integers, never a float.
type Rate struct {
	num, den int64
}

// NewRate returns num/den; den must be positive.
func NewRate(num, den int64) Rate {
	if den <= 0 {
		panic("money: rate denominator must be positive")
	}
	return Rate{num: num, den: den}.reduced()
}

// ParseRate reads a decimal string ("0.027", "1", "0.5") with at most 8 decimals.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || !digits(frac))) || len(whole) > 6 {
		return Rate{}, errors.New("must be a decimal number such as 0.027")
	}
	if len(frac) > 8 {
		return Rate{}, errors.New("must have at most 8 decimals")
	}
	den := int64(1)
	for range frac {
		den *= 10
	}
	n, _ := strconv.ParseInt(whole+frac, 10, 64)
	return NewRate(n, den), nil
}

// MustParseRate is ParseRate for constants; it panics on bad input.
func MustParseRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

func (r Rate) reduced() Rate {
	if r.den == 0 {
		return Rate{0, 1}
	}
	a, b := r.num, r.den
	if a < 0 {
		a = -a
	}
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return Rate{0, 1}
	}
	return Rate{r.num / a, r.den / a}
}

// Num and Den expose the fraction, reduced.
func (r Rate) Num() int64 { return r.reduced().num }

// Den is the reduced denominator of the rate.
func (r Rate) Den() int64 { return r.reduced().den }

// Rat returns the rate as a big.Rat.
func (r Rate) Rat() *big.Rat { r = r.reduced(); return big.NewRat(r.num, r.den) }

// IsZero reports whether the rate is 0.
func (r Rate) IsZero() bool { return r.num == 0 }

// Cmp compares two rates: -1, 0 or +1.
func (r Rate) Cmp(o Rate) int { return r.Rat().Cmp(o.Rat()) }

// String formats the rate as a decimal, exact when it terminates, else to 8 places.
func (r Rate) String() string {
	r = r.reduced()
	s := r.Rat().FloatString(8)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// MarshalJSON writes the rate as a decimal string.
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON accepts a decimal string or a JSON number.
func (r *Rate) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// RoundRat rounds an exact number of fen half away from zero: the policies'
// "四舍五入" applied once at the end of a computed amount.
func RoundRat(fen *big.Rat) Amount {
	num := new(big.Int).Set(fen.Num())
	den := fen.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return Amount(q.Int64())
}

// Rat returns the amount in fen as a big.Rat for exact intermediate arithmetic.
func (a Amount) Rat() *big.Rat { return new(big.Rat).SetInt64(int64(a)) }

// MulRate returns a × r rounded half-up to the fen.
func (a Amount) MulRate(r Rate) Amount {
	return RoundRat(new(big.Rat).Mul(a.Rat(), r.Rat()))
}

// MulDiv returns a × num ÷ den rounded half-up to the fen, exact in between;
// e.g. annual revenue × (last year's fee ÷ last year's revenue).
func (a Amount) MulDiv(num, den Amount) Amount {
	if den == 0 {
		panic("money: division by zero")
	}
	x := new(big.Rat).Mul(a.Rat(), num.Rat())
	return RoundRat(x.Quo(x, den.Rat()))
}

// Sum adds amounts.
func Sum(as ...Amount) Amount {
	var s Amount
	for _, a := range as {
		s += a
	}
	return s
}

// Min returns the smaller amount.
func Min(a, b Amount) Amount {
	if a < b {
		return a
	}
	return b
}

// Max returns the larger amount.
func Max(a, b Amount) Amount {
	if a > b {
		return a
	}
	return b
}
