package partner

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDefaultRulesAreValidAndRoundTrip(t *testing.T) {
	r := DefaultRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Rules
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, back) {
		t.Errorf("round trip changed the rules:\n%s", b)
	}
}

func TestRulesValidate(t *testing.T) {
	r := DefaultRules()
	r.Intake.MaxActivePartners = 2
	r.Intake.RequiredLicences = append(r.Intake.RequiredLicences, "iso14001")
	r.Review.Bands = r.Review.Bands[1:] // no band for 5-point items
	r.Penalties.Fines[1].Max = 1
	r.Assessment.ServiceWeight = r.Assessment.RevenueWeight
	err := r.Validate()
	fe, ok := err.(FieldErrors)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{"intake.maxActivePartners", "intake.requiredLicences[6]", "review.forms[0].items[2]", "penalties.fines[1]", "assessment.serviceWeight"} {
		if fe[f] == "" {
			t.Errorf("no error for %s in %v", f, fe)
		}
	}
}
