package assessment

import (
	"encoding/json"
	"reflect"
	"testing"

	"productgov/shared/money"
)

func TestDefaultRules(t *testing.T) {
	r := DefaultRules()
	if err := r.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	checks := map[string]bool{
		"province threshold 100,000.00": r.RevenueThresholds[LevelProvince] == money.MustParse("100000.00"),
		"city threshold 50,000.00":      r.RevenueThresholds[LevelCity] == money.MustParse("50000.00"),
		"quality pass mark 60":          r.QualityPassScore == Points(60),
		"3 exempt months":               r.ExemptCompleteMonths == 3,
		"average test":                  r.RevenueTest == RevenueAverage,
		"commercial minimum 1,200,000":  r.CommercialMinAnnualRevenue == money.FromYuan(1_200_000),
		"24 months trial commercial":    r.TrialCommercialMaxMonths == 24,
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("default %s not held", name)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Rules
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("JSON round trip differs: %s", b)
	}
}

func TestRulesValidateCollectsEverything(t *testing.T) {
	r := Rules{
		AssessedLevels:       []Level{LevelProvince, "county"},
		AssessedStages:       []Stage{"someday"},
		QualityModes:         []Mode{"rented"},
		RevenueTest:          "mostly",
		RevenueThresholds:    map[Level]money.Amount{LevelProvince: 0},
		QualityPassScore:     Points(101),
		ExemptCompleteMonths: -1,
	}
	err := r.Validate()
	fe, ok := err.(FieldErrors)
	if !ok {
		t.Fatalf("error %T", err)
	}
	for _, field := range []string{"assessedLevels[1]", "revenueThresholds.province", "assessedStages[0]", "qualityModes[0]",
		"revenueTest", "qualityPassScore", "exemptCompleteMonths", "revenueWindowMonths", "qualityExitConsecutiveFails",
		"qualityExitFailsInWindow", "qualityFailWindowMonths", "commercialRevenueMonths"} {
		if fe[field] == "" {
			t.Errorf("no error for %s: %v", field, fe)
		}
	}
	if fe.Error() == "" {
		t.Error("empty message")
	}
}
