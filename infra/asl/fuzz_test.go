package asl

import "testing"

// A definition, whatever its bytes, is registered or refused; loading it
// never panics.
func FuzzDefinition(f *testing.F) {
	for _, seed := range []string{
		`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"x.$":"States.Format('{}',$.a)"},"Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}}}`,
		`{"StartAt":"X","States":{}}`, `[]`, `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"P"}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseDefinition(b)
	})
}
