// Package id makes short random identifiers for records and links.
package id

import (
	"crypto/rand"
	"math/big"
)

// alphabet is Crockford-style base32 without look-alike letters.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// New returns prefix_ and 10 random characters (50 bits), e.g. "prd_7k2m9x4q1c".
func New(prefix string) string { return prefix + "_" + Random(10) }

// Random returns n random characters of the alphabet, from crypto/rand.
func Random(n int) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}
