package settlement

import (
	"encoding/json"
	"reflect"
	"testing"

	"productgov/shared/money"
	"productgov/shared/partner"
)

func TestDefaultRulesAreValidAndRoundTrip(t *testing.T) {
	r := DefaultRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	d, ok := DefaultRateFor(partner.BenefitDirect, partner.ContentOrdinary, r)
	if !ok || d.Rate.String() != "0.027" || d.Rate.Cmp(money.NewRate(9*30, 100*100)) != 0 {
		t.Errorf("default rate %+v; want 9%% × 30%% = 0.027", d)
	}
	if _, ok := DefaultRateFor(partner.BenefitIndirect, partner.ContentOrdinary, r); ok {
		t.Error("indirect has a default rate")
	}
	b, _ := json.Marshal(r)
	var back Rules
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(r, back) {
		t.Errorf("round trip: %v\n%s", err, b)
	}
}

func TestRulesValidate(t *testing.T) {
	r := DefaultRules()
	r.DefaultRates = append(r.DefaultRates, r.DefaultRates[0], DefaultRate{BenefitType: "x", ContentType: "y"},
		DefaultRate{BenefitType: partner.BenefitIndirect, ContentType: partner.ContentDeep, Rate: money.NewRate(1, 1)})
	r.Share.StepPerPoint = money.NewRate(3, 100) // 85 − 60 = 25 points × 3% = 75% off: 25% < 40%
	r.ClearingMonth = 13
	r.ConfirmRole = ""
	fe, ok := r.Validate().(FieldErrors)
	if !ok {
		t.Fatal("no errors")
	}
	for _, f := range []string{"defaultRates[1]", "defaultRates[2]", "defaultRates[3].rate", "share.stepPerPoint", "clearingMonth", "confirmRole"} {
		if fe[f] == "" {
			t.Errorf("no error for %s in %v", f, fe)
		}
	}
}

func TestValidateTerms(t *testing.T) {
	r := DefaultRules()
	got, err := ValidateTerms(ProjectTerms{BenefitType: partner.BenefitDirect, ContentType: partner.ContentOrdinary,
		MinWorkload: qty("10"), AnnualTarget: m("1200000"), Items: []WorkItem{{"x", 1}}}, r)
	if err != nil || got.ContributionRate == nil || got.ContributionRate.String() != "0.027" || got.Items != nil {
		t.Errorf("default rate: %+v, %v", got, err)
	}
	own := rate("0.05")
	got, err = ValidateTerms(ProjectTerms{BenefitType: partner.BenefitIndirect, ContentType: partner.ContentDeep,
		ContributionRate: &own, AnnualTarget: m("1")}, r)
	if err != nil || got.ContributionRate.String() != "0.05" {
		t.Errorf("own rate: %+v, %v", got, err)
	}
	one := rate("1")
	tests := []struct {
		name   string
		terms  ProjectTerms
		fields []string
	}{
		{"no default for indirect", ProjectTerms{BenefitType: partner.BenefitIndirect, ContentType: partner.ContentOrdinary, AnnualTarget: 1}, []string{"contributionRate"}},
		{"rate 1 and no target", ProjectTerms{BenefitType: partner.BenefitDirect, ContentType: partner.ContentOrdinary, ContributionRate: &one, MinWorkload: -1}, []string{"contributionRate", "minWorkload", "annualTarget"}},
		{"guarantee items", ProjectTerms{BenefitType: partner.BenefitGuarantee, ContentType: partner.ContentFunction, Items: []WorkItem{{"a", 0}, {"a", 5}}}, []string{"items[0].unitPrice", "items[1].name"}},
		{"guarantee without items", ProjectTerms{BenefitType: partner.BenefitGuarantee, ContentType: partner.ContentFunction}, []string{"items"}},
		{"unknown types", ProjectTerms{BenefitType: "x", ContentType: "y"}, []string{"benefitType", "contentType"}},
	}
	for _, tt := range tests {
		_, err := ValidateTerms(tt.terms, r)
		fe, ok := err.(FieldErrors)
		if !ok || len(fe) != len(tt.fields) {
			t.Errorf("%s: err = %v; want %v", tt.name, err, tt.fields)
			continue
		}
		for _, f := range tt.fields {
			if fe[f] == "" {
				t.Errorf("%s: no error for %s", tt.name, f)
			}
		}
	}
}
