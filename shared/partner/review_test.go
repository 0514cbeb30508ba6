package partner

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// formWithTotal fills the form of contentType greedily to reach total points.
func formWithTotal(t *testing.T, contentType string, total int) ScoreForm {
	t.Helper()
	form, ok := FormFor(contentType, DefaultRules().Review)
	if !ok {
		t.Fatalf("no form for %s", contentType)
	}
	items := map[string]Score{}
	left := total
	for _, it := range form.Items {
		p := min(it.Max, left)
		items[it.Key] = Points(int64(p))
		left -= p
	}
	if left != 0 {
		t.Fatalf("cannot reach %d", total)
	}
	return ScoreForm{Items: items}
}

func TestFormMaximaMatchSPEC(t *testing.T) {
	r := DefaultRules().Review
	want := map[string]string{
		ContentOrdinary:      "product_planning:10 function_dev:15 interface_dev:5 data_analysis:10 test_training:10 audit_optimisation:5 content_curation:15 online_marketing:5 campaign_planning:10 page_design:15",
		ContentDeep:          "product_planning:10 function_dev:15 interface_dev:5 data_analysis:10 test_training:10 audit_optimisation:5 content_curation:15 online_marketing:5 campaign_planning:10 page_design:15",
		ContentBasicFunction: "product_planning:10 function_dev:15 interface_dev:5 data_analysis:15 test_training:15 audit_optimisation:10 online_marketing:5 campaign_planning:10 page_design:15",
		ContentFunction:      "product_planning:10 function_dev:15 interface_dev:5 data_analysis:15 test_training:15 audit_optimisation:10 online_marketing:5 campaign_planning:10 page_design:15",
	}
	for ct, w := range want {
		f, ok := FormFor(ct, r)
		if !ok {
			t.Fatalf("no form for %s", ct)
		}
		var parts []string
		sum := 0
		for _, it := range f.Items {
			parts = append(parts, it.Key+":"+itoa(it.Max))
			sum += it.Max
		}
		if strings.Join(parts, " ") != w || sum != 100 {
			t.Errorf("%s form = %s (sum %d)", ct, strings.Join(parts, " "), sum)
		}
	}
	if _, ok := FormFor("video", r); ok {
		t.Error("unknown content type has a form")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestBandOf(t *testing.T) {
	r := DefaultRules().Review
	tests := []struct {
		points, max int
		band        string
	}{
		{0, 10, BandNoNeed}, {1, 10, BandGeneral}, {5, 10, BandGeneral}, {6, 10, BandMedium}, {8, 10, BandMedium}, {9, 10, BandHigh}, {10, 10, BandHigh},
		{0, 15, BandNoNeed}, {1, 15, BandGeneral}, {9, 15, BandGeneral}, {10, 15, BandMedium}, {12, 15, BandMedium}, {13, 15, BandHigh}, {15, 15, BandHigh},
		{0, 5, BandNoNeed}, {1, 5, BandGeneral}, {3, 5, BandGeneral}, {4, 5, BandMedium}, {5, 5, BandHigh},
		{11, 10, ""}, {3, 7, ""},
	}
	for _, tt := range tests {
		if got := BandOf(tt.points, tt.max, r); got != tt.band {
			t.Errorf("BandOf(%d, %d) = %q; want %q", tt.points, tt.max, got, tt.band)
		}
	}
}

func TestEvaluateForm(t *testing.T) {
	r := DefaultRules().Review
	f := ScoreForm{Items: map[string]Score{
		"product_planning": Points(9), "function_dev": Points(12), "interface_dev": Points(4), "data_analysis": Points(6),
		"test_training": Points(5), "audit_optimisation": Points(3), "content_curation": Points(13), "online_marketing": Points(5),
		"campaign_planning": Points(0), "page_design": Points(15),
	}}
	res, err := EvaluateForm(ContentOrdinary, f, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 72 || res.Max != 100 || res.Form != FormContent || res.Rule != "S-A1" {
		t.Errorf("result = %+v", res)
	}
	bands := map[string]string{}
	for _, it := range res.Items {
		bands[it.Key] = it.Band
	}
	if bands["product_planning"] != BandHigh || bands["function_dev"] != BandMedium || bands["campaign_planning"] != BandNoNeed || bands["test_training"] != BandGeneral {
		t.Errorf("bands = %v", bands)
	}
}

func TestEvaluateFormValidation(t *testing.T) {
	r := DefaultRules().Review
	f := formWithTotal(t, ContentFunction, 60)
	f.Items["content_curation"] = Points(5)     // only on the content form
	f.Items["mascot_design"] = Points(1)        // on no form
	f.Items["page_design"] = Points(16)         // above 15
	f.Items["online_marketing"] = Points(-1)    // below 0
	f.Items["data_analysis"] = MustScore("9.5") // not whole
	delete(f.Items, "product_planning")         // missing
	_, err := EvaluateForm(ContentFunction, f, r)
	var fe FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]string{
		"items.content_curation": "is not on the function form (only on the content form)",
		"items.mascot_design":    "is not an item of any review form",
		"items.page_design":      "must be between 0 and 15",
		"items.online_marketing": "must be between 0 and 5",
		"items.data_analysis":    "must be a whole number of points",
		"items.product_planning": "is required (0–10)",
	}
	if len(fe) != len(want) {
		t.Errorf("errors = %v", fe)
	}
	for k, v := range want {
		if fe[k] != v {
			t.Errorf("%s: %q; want %q", k, fe[k], v)
		}
	}
	// At the maximum and at zero are fine.
	f = formWithTotal(t, ContentDeep, 100)
	if res, err := EvaluateForm(ContentDeep, f, r); err != nil || res.Total != 100 {
		t.Errorf("full form: %+v, %v", res, err)
	}
	if _, err := EvaluateForm(ContentDeep, ScoreForm{}, r); err == nil {
		t.Error("empty form accepted")
	}
	if _, err := EvaluateForm("video", f, r); err == nil {
		t.Error("unknown content type accepted")
	}
}

func TestScoreFormJSON(t *testing.T) {
	var f ScoreForm
	if err := json.Unmarshal([]byte(`{"items":{"product_planning":9,"page_design":"13"}}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.Items["product_planning"] != Points(9) || f.Items["page_design"] != Points(13) {
		t.Errorf("decoded %+v", f)
	}
}

func reviewer(t *testing.T, id, dept string, total int) ReviewerForm {
	return ReviewerForm{ReviewerID: id, Department: dept, Form: formWithTotal(t, ContentOrdinary, total)}
}

func TestReviewProject(t *testing.T) {
	r := DefaultRules().Review
	tests := []struct {
		name     string
		forms    []ReviewerForm
		score    string
		complete bool
		support  bool
		excluded int
	}{
		{"worked example 70 75 75", []ReviewerForm{reviewer(t, "m", "marketing", 70), reviewer(t, "f", "finance", 75), reviewer(t, "i", "innovation", 75)}, "73.33", true, true, 0},
		{"exactly 60", []ReviewerForm{reviewer(t, "m", "marketing", 60), reviewer(t, "f", "finance", 60), reviewer(t, "i", "innovation", 60)}, "60.00", true, true, 0},
		{"59.67 below", []ReviewerForm{reviewer(t, "m", "marketing", 60), reviewer(t, "f", "finance", 60), reviewer(t, "i", "innovation", 59)}, "59.67", true, false, 0},
		{"13 reviewers, one at 59", []ReviewerForm{
			reviewer(t, "m", "marketing", 60), reviewer(t, "m2", "marketing", 60), reviewer(t, "f", "finance", 60),
			reviewer(t, "i", "innovation", 60), reviewer(t, "i2", "innovation", 60), reviewer(t, "f2", "finance", 60),
			reviewer(t, "f3", "finance", 60), reviewer(t, "i3", "innovation", 60), reviewer(t, "m3", "marketing", 60),
			reviewer(t, "m4", "marketing", 60), reviewer(t, "f4", "finance", 60), reviewer(t, "i4", "innovation", 60),
			reviewer(t, "x", "innovation", 59)}, "59.92", true, false, 0},
		{"finance missing", []ReviewerForm{reviewer(t, "m", "marketing", 90), reviewer(t, "i", "innovation", 90)}, "90.00", false, false, 0},
		{"related and foreign reviewers excluded", []ReviewerForm{
			reviewer(t, "m", "marketing", 80), reviewer(t, "f", "finance", 70), reviewer(t, "i", "innovation", 60),
			{ReviewerID: "r", Department: "finance", RelatedToPartner: true, Form: formWithTotal(t, ContentOrdinary, 0)},
			reviewer(t, "p", "purchasing", 0), reviewer(t, "m", "marketing", 0)}, "70.00", true, true, 3},
	}
	for _, tt := range tests {
		rev, err := ReviewProject(ContentOrdinary, tt.forms, r)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if rev.Score == nil || rev.Score.String() != tt.score || rev.Complete != tt.complete || rev.SupportNeeded != tt.support ||
			len(rev.Excluded) != tt.excluded || rev.Rule != "S§11" || rev.Reason == "" {
			t.Errorf("%s: %+v score %v", tt.name, rev, rev.Score)
		}
	}
	rev, err := ReviewProject(ContentOrdinary, nil, r)
	if err != nil || rev.Score != nil || rev.Complete || len(rev.MissingDepartments) != 3 {
		t.Errorf("no forms: %+v, %v", rev, err)
	}
	bad := reviewer(t, "m", "marketing", 70)
	bad.Form.Items["page_design"] = Points(99)
	_, err = ReviewProject(ContentOrdinary, []ReviewerForm{reviewer(t, "f", "finance", 1), bad}, r)
	if fe, ok := err.(FieldErrors); !ok || fe["forms[1].items.page_design"] == "" {
		t.Errorf("bad form: %v", err)
	}
}

func TestReviewDecidesOnTheExactMean(t *testing.T) {
	// 199 × 60 + 59 over 200 reviewers is 59.995: shown as 60.00, yet below 60.
	depts := []string{"marketing", "finance", "innovation"}
	var forms []ReviewerForm
	for i := range 200 {
		total := 60
		if i == 0 {
			total = 59
		}
		forms = append(forms, reviewer(t, "r"+itoa(i), depts[i%3], total))
	}
	rev, err := ReviewProject(ContentOrdinary, forms, DefaultRules().Review)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Score.String() != "60.00" || rev.Score.Exact() != "59.995" || rev.SupportNeeded {
		t.Errorf("score %s (exact %s), support %v", rev.Score, rev.Score.Exact(), rev.SupportNeeded)
	}
}

func TestReviewScoreJSON(t *testing.T) {
	r := DefaultRules().Review
	rev, _ := ReviewProject(ContentOrdinary, []ReviewerForm{reviewer(t, "m", "marketing", 70), reviewer(t, "f", "finance", 75), reviewer(t, "i", "innovation", 75)}, r)
	b, _ := json.Marshal(rev)
	if !strings.Contains(string(b), `"score":73.33`) || !strings.Contains(string(b), `"supportNeeded":true`) {
		t.Errorf("JSON %s", b)
	}
}

func TestAcceptForm(t *testing.T) {
	r := DefaultRules().Review
	existing := []ReviewerForm{reviewer(t, "m", "marketing", 70)}
	tests := []struct {
		name string
		f    ReviewerForm
		rule string // "" for accepted, "invalid" for FieldErrors
	}{
		{"new finance reviewer", reviewer(t, "f", "finance", 65), ""},
		{"second form", reviewer(t, "m", "marketing", 90), "S§11"},
		{"related reviewer", ReviewerForm{ReviewerID: "x", Department: "finance", RelatedToPartner: true, Form: formWithTotal(t, ContentOrdinary, 10)}, "P§24"},
		{"purchasing department", reviewer(t, "p", "purchasing", 50), "S§11"},
		{"no reviewer id", reviewer(t, "", "finance", 50), "invalid"},
	}
	for _, tt := range tests {
		res, err := AcceptForm(existing, tt.f, ContentOrdinary, r)
		var refusal Refusal
		var fe FieldErrors
		switch {
		case tt.rule == "":
			if err != nil || res.Total != 65 {
				t.Errorf("%s: %+v, %v", tt.name, res, err)
			}
		case tt.rule == "invalid":
			if !errors.As(err, &fe) {
				t.Errorf("%s: err = %v; want FieldErrors", tt.name, err)
			}
		default:
			if !errors.As(err, &refusal) || refusal.Rule != tt.rule {
				t.Errorf("%s: err = %v; want refusal by %s", tt.name, err, tt.rule)
			}
		}
	}
}

func TestProjectApprovalPlan(t *testing.T) {
	p := ProjectApprovalPlan(DefaultRules().Review)
	if len(p.Stages) != 3 || p.Stages[0].Action != ActionInitiate || p.Stages[0].Roles[0] != DeptInnovation ||
		strings.Join(p.Stages[1].Roles, ",") != "marketing,finance,innovation" || p.Stages[2].Roles[0] != RoleDeputyGM || p.Rule != "S§11" {
		t.Errorf("plan = %+v", p)
	}
	p.Stages[1].Roles[0] = "changed"
	if DefaultRules().Review.Approval[1].Roles[0] != DeptMarketing {
		t.Error("plan shares the rules' slices")
	}
}

func TestCheckAutoRenewal(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name  string
		in    RenewalInput
		renew bool
		suppl bool
	}{
		{"first renewal", RenewalInput{0, Points(60), Points(60), nil}, true, false},
		{"second renewal", RenewalInput{1, Points(80), Points(75), nil}, true, false},
		{"third refused", RenewalInput{2, Points(80), Points(75), nil}, false, false},
		{"last year 59.99", RenewalInput{0, MustScore("59.99"), Points(75), nil}, false, false},
		{"review 59.99", RenewalInput{0, Points(75), MustScore("59.99"), nil}, false, false},
		{"rate changed", RenewalInput{0, Points(75), Points(75), []string{"contributionRate"}}, false, true},
	}
	for _, tt := range tests {
		got, err := CheckAutoRenewal(tt.in, rules)
		if err != nil || got.Renew != tt.renew || got.Supplementary != tt.suppl || got.Rule != "S§14" || got.Reason == "" {
			t.Errorf("%s: %+v, %v", tt.name, got, err)
		}
	}
	if _, err := CheckAutoRenewal(RenewalInput{RenewalsSoFar: -1}, rules); err == nil {
		t.Error("negative renewals accepted")
	}
}
