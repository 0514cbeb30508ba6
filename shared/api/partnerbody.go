package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"productgov/shared/money"
	"productgov/shared/partner"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/settlement"
)

// Field readers for the partner and settlement bodies, in the style of body.go.

// decodeOptionalObject is decodeObject for routes whose body may be left out
// (every field optional): an empty body reads as {}.
func decodeOptionalObject(r *http.Request) (*object, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, problem.InvalidField("body", "could not be read")
	}
	if len(b) > maxBody {
		return nil, problem.InvalidField("body", "is larger than 1 MiB")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	return parseObject(b)
}

// rate reads an exact ratio such as "0.027" or 0.027.
func (o *object) rate(name string, required bool) *money.Rate {
	v, ok := o.take(name, required)
	if !ok {
		return nil
	}
	var r money.Rate
	if err := json.Unmarshal(v, &r); err != nil {
		o.errs.Add(name, "must be a decimal ratio such as 0.027 (2.7%)")
		return nil
	}
	return &r
}

// quantity reads a workload with at most two decimals, not negative.
func (o *object) quantity(name string, required bool) *settlement.Quantity {
	v, ok := o.take(name, required)
	if !ok {
		return nil
	}
	var q settlement.Quantity
	if err := json.Unmarshal(v, &q); err != nil {
		o.errs.Add(name, "must be a number with at most two decimals, e.g. 12.5")
		return nil
	}
	if q < 0 {
		o.errs.Add(name, "must not be negative")
	}
	return &q
}

// score reads points with at most two decimals (ranges are the rules' to check).
func (o *object) score(name string, required bool) *partner.Score {
	v, ok := o.take(name, required)
	if !ok {
		return nil
	}
	var sc partner.Score
	if err := json.Unmarshal(v, &sc); err != nil {
		o.errs.Add(name, "must be a number of points with at most two decimals")
		return nil
	}
	return &sc
}

// quarter reads YYYY-Qn.
func (o *object) quarter(name string, required bool) *period.Quarter {
	return parsed(o, name, required, period.ParseQuarter)
}

// objects reads a list of JSON objects; each is read with its own field
// readers and then merged back with merge, so errors name "items[2].name".
func (o *object) objects(name string, required bool) []*object {
	v, ok := o.take(name, required)
	if !ok {
		return nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(v, &raws); err != nil {
		o.errs.Add(name, "must be a list of objects")
		return nil
	}
	out := make([]*object, 0, len(raws))
	for i, raw := range raws {
		sub, err := parseObject(raw)
		if err != nil {
			o.errs.Add(fmt.Sprintf("%s[%d]", name, i), "must be an object")
			sub = &object{raw: map[string]json.RawMessage{}, errs: problem.Fields{}, read: map[string]bool{}}
		}
		out = append(out, sub)
	}
	return out
}

// object reads one nested JSON object.
func (o *object) object(name string, required bool) *object {
	v, ok := o.take(name, required)
	if !ok {
		return nil
	}
	sub, err := parseObject(v)
	if err != nil {
		o.errs.Add(name, "must be an object")
		return nil
	}
	return sub
}

// merge copies a nested object's problems, unknown fields included, into o
// under prefix.
func (o *object) merge(prefix string, sub *object) {
	if sub == nil {
		return
	}
	var unknown []string
	for k := range sub.raw {
		if !sub.read[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		sub.errs.Add(k, "is not a known field")
	}
	for k, why := range sub.errs {
		o.errs.Add(prefix+"."+k, why)
	}
}

// scoreMap reads an object of key → points (a score form's items, a re-check).
func (o *object) scoreMap(name string, required bool) map[string]partner.Score {
	sub := o.object(name, required)
	if sub == nil {
		return nil
	}
	out := map[string]partner.Score{}
	keys := make([]string, 0, len(sub.raw))
	for k := range sub.raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sc := sub.score(k, true); sc != nil {
			out[k] = *sc
		}
	}
	o.merge(name, sub)
	return out
}

// intakeFacts reads the intake facts of SPEC 4.1 from the top level of a
// support partner's application; every fact is required, so that a missing
// one is named rather than read as zero.
func (o *object) intakeFacts() *partner.IntakeFacts {
	f := partner.IntakeFacts{
		RegisteredCapital: o.amount("registeredCapital", true),
		NetAssets:         o.amount("netAssets", true),
		AnnualRevenue:     o.amount("annualRevenue", true),
		ProfitableYears:   int(o.integer("profitableYears", true)),
		DebtRatio:         o.rate("debtRatio", true),
		Licences:          o.strs("licences", true),
		CMMILevel:         int(o.integer("cmmiLevel", true)),
		CreditNotice:      o.requiredBool("creditNotice"),
		TelecomYears:      int(o.integer("telecomYears", true)),
		OpsStaff:          int(o.integer("opsStaff", true)),
		CloseSupportStaff: int(o.integer("closeSupportStaff", true)),
		// S§8.4, S§8.5
		CustomerServiceStaff: int(o.integer("customerServiceStaff", true)),
		Hotline7x24:          o.requiredBool("hotline7x24"),
		SecurityStaff:        int(o.integer("securityStaff", true)),
		EmergencyProcess:     o.requiredBool("emergencyProcess"),
	}
	if f.Licences == nil {
		f.Licences = []string{}
	}
	return &f
}

// requiredBool reads a boolean that must be present.
func (o *object) requiredBool(name string) bool {
	if !o.has(name) {
		o.take(name, true)
		return false
	}
	return o.boolean(name)
}

// intakeFactNames are the intake facts' field names, to refuse them on an si partner.
var intakeFactNames = []string{"registeredCapital", "netAssets", "annualRevenue", "profitableYears", "debtRatio",
	"licences", "cmmiLevel", "creditNotice", "telecomYears", "opsStaff", "closeSupportStaff",
	"customerServiceStaff", "hotline7x24", "securityStaff", "emergencyProcess"}

func hasAny(o *object, names []string) string {
	var found []string
	for _, n := range names {
		if _, ok := o.raw[n]; ok {
			found = append(found, n)
		}
	}
	return strings.Join(found, ", ")
}
