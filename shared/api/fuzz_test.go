package api

import (
	"testing"

	"productgov/shared/problem"
)

// Outside input never panics the decoders and is never an internal error:
// it is accepted, or refused as invalid with the field named.

func FuzzJSONBody(f *testing.F) {
	for _, seed := range []string{`{"name":"云桌面","level":"city","mode":"self_built","customers":1200}`,
		`{"name":"x","name":"y"}`, `{"amount":"96666.67"}`, `{"amount":100.005}`, `{"items":{"a":1,"a":2}}`,
		`{"name":"a\u0000b"}`, "{\"name\":\"\xff\"}", `[]`, `null`, `{"a":[{"b":{}}]}`, `{"stage":"group","vote":"approve"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseObject(b)
		if err != nil {
			if p := problem.As(err); p == nil || p.Code != problem.CodeInvalid || len(p.Fields) == 0 {
				t.Fatalf("refusal %v is not invalid with a field", err)
			}
			return
		}
		o.str("name", true)
		o.oneOf("level", false, "hq", "province", "city")
		o.amount("amount", false)
		o.strs("roles", false)
		if err := o.done("fuzzed"); err != nil {
			if p := problem.As(err); p == nil || p.Code != problem.CodeInvalid {
				t.Fatalf("refusal %v is not invalid", err)
			}
		}
	})
}

func FuzzImportRows(f *testing.F) {
	f.Add("revenue.csv", []byte("product_id,month,value\nprd_1,2026-01,96666.67\n"))
	f.Add("revenue.csv", []byte("prd_1,2001-+2,5.00\n\"a,b\",2026-01,1\n"))
	f.Add("quality.csv", []byte("\ufeffproduct_id,month,value\nprd_1,2026-13,101\n"))
	f.Add("figures.xlsx", []byte("PK\x03\x04 not really a workbook"))
	f.Fuzz(func(t *testing.T, name string, content []byte) {
		rows, err := readRows(name, content)
		if err != nil {
			if p := problem.As(err); p == nil || p.Code != problem.CodeInvalid {
				t.Fatalf("refusal %v is not invalid", err)
			}
			return
		}
		_ = rows
	})
}

func FuzzText(f *testing.F) {
	for _, seed := range []string{"同意", "a\tb\nc", "\x00", "\x1b[2J", string(make([]byte, 300))} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := checkText(s, maxShortText); err == nil {
			for _, r := range s {
				if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
					t.Fatalf("accepted a control character in %q", s)
				}
			}
		}
	})
}
