package settlement

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Quantity is an exact workload (person-days, pages, items…) in hundredths:
// work is often counted in halves and quarters, so a workload may have up to
// two decimals. Quantity(250) is 2.5. It is never a float.
type Quantity int64

// Units returns a whole number of units as a Quantity.
func Units(n int64) Quantity { return Quantity(n * 100) }

// ParseQuantity reads a decimal such as "12", "2.5" or "-1" with at most two decimals.
func ParseQuantity(s string) (Quantity, error) {
	s = strings.TrimSpace(s)
	body := strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(body, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, errors.New("must be a number such as 2.5 with at most two decimals")
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	if len(whole) > 12 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	q := Quantity(w*100 + f)
	if body != s {
		q = -q
	}
	return q, nil
}

// MustQuantity is ParseQuantity for constants; it panics on bad input.
func MustQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Rat returns the quantity as an exact big.Rat.
func (q Quantity) Rat() *big.Rat { return big.NewRat(int64(q), 100) }

// String writes the quantity without trailing zeros: "2.5", "12", "0.25".
func (q Quantity) String() string {
	sign, v := "", int64(q)
	if v < 0 {
		sign, v = "-", -v
	}
	s := fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// MarshalJSON writes the quantity as a JSON number (2.5).
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalJSON accepts a JSON number or a decimal string with at most two decimals.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	text := strings.TrimSpace(string(b))
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(b, &text); err != nil {
			return errors.New("must be a number such as 2.5")
		}
	}
	v, err := ParseQuantity(text)
	if err != nil {
		return err
	}
	*q = v
	return nil
}
