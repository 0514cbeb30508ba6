package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"productgov/infra/localstack/stacktest"
	"productgov/shared/directory"
)

// staff puts the partner departments' people in the user directory and
// returns their tokens: innovation (inn1, inn2), marketing (mkt1), finance
// (fin1), the deputy GM (dgm1) and an admin; related declares relations.
func staff(t *testing.T, e *stacktest.Env, related map[string][]string) map[string]string {
	t.Helper()
	admin := e.Token("admin", directory.RoleAdmin)
	entries := map[string]struct {
		roles []directory.Role
		dept  string
	}{
		"inn1": {[]directory.Role{directory.RoleInnovation}, "innovation"},
		"inn2": {[]directory.Role{directory.RoleInnovation}, "innovation"},
		"mkt1": {[]directory.Role{directory.RoleMarketing}, "marketing"},
		"mkt2": {[]directory.Role{directory.RoleMarketing}, "marketing"},
		"fin1": {[]directory.Role{directory.RoleFinance}, "finance"},
		"dgm1": {[]directory.Role{directory.RoleDeputyGM}, "总经理办公室"},
	}
	tokens := map[string]string{"admin": admin}
	for sub, u := range entries {
		rel := related[sub]
		if rel == nil {
			rel = []string{}
		}
		res := e.Do("PUT", "/users/"+sub, admin, map[string]any{"name": sub, "email": sub + "@example.test",
			"roles": u.roles, "dept": u.dept, "relatedPartners": rel})
		if res.Status != 200 {
			t.Fatalf("put user %s: %d %s", sub, res.Status, res.Body)
		}
		tokens[sub] = e.Token(sub, u.roles...)
	}
	return tokens
}

// supportFacts are intake facts that meet every standard of S§8 exactly.
func supportFacts(name string) map[string]any {
	return map[string]any{
		"kind": "support", "name": name,
		"registeredCapital": "5000000.00", "netAssets": "10000000.00", "annualRevenue": "10000000.00",
		"profitableYears": 3, "debtRatio": "0.5",
		"licences":  []string{"vas_telecom", "system_integration", "high_tech", "software_enterprise", "iso9001", "iso27001"},
		"cmmiLevel": 3, "creditNotice": false, "telecomYears": 3, "opsStaff": 30, "closeSupportStaff": 10,
		"customerServiceStaff": 3, "hotline7x24": true, "securityStaff": 3, "emergencyProcess": true,
	}
}

func mustStatus(t *testing.T, res stacktest.Response, want int, what string) map[string]any {
	t.Helper()
	if res.Status != want {
		t.Fatalf("%s: %d %s (want %d)", what, res.Status, res.Body, want)
	}
	if len(res.Body) == 0 {
		return nil
	}
	return res.Map(t)
}

// activePartner applies a support partner, receives its 300,000 deposit in
// one sum on the agreement's day (S§20) and activates its agreement from start.
func activePartner(t *testing.T, e *stacktest.Env, tok map[string]string, name, start string) string {
	t.Helper()
	p := mustStatus(t, e.Do("POST", "/partners", tok["inn1"], supportFacts(name)), 201, "apply "+name)
	pid := p["id"].(string)
	mustStatus(t, e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"amount": "300000.00", "date": start}), 201, "deposit")
	mustStatus(t, e.Do("POST", "/partners/"+pid+"/agreement", tok["inn1"], map[string]any{"startDate": start}), 200, "agreement")
	return pid
}

func fieldsOf(t *testing.T, res stacktest.Response) map[string]any {
	t.Helper()
	body := res.Map(t)
	errBody, _ := body["error"].(map[string]any)
	fields, _ := errBody["fields"].(map[string]any)
	return fields
}

func TestPartnerIntakeDepositAgreementAndPenalties(t *testing.T) {
	e := stacktest.New(t)
	tok := staff(t, e, nil)

	// S§8: every failing criterion is named with its article; nothing else is.
	bad := supportFacts("弱小科技")
	bad["registeredCapital"] = "4999999.99"
	bad["debtRatio"] = "0.51"
	bad["licences"] = []string{"vas_telecom", "system_integration", "high_tech", "software_enterprise", "iso9001"}
	bad["hotline7x24"] = false
	p := mustStatus(t, e.Do("POST", "/partners", tok["inn1"], bad), 201, "apply an ineligible partner")
	sc := p["screening"].(map[string]any)
	got := map[string]string{}
	for _, f := range sc["failures"].([]any) {
		m := f.(map[string]any)
		got[m["criterion"].(string)] = m["article"].(string)
	}
	want := map[string]string{"registeredCapital": "S§8.1(1)", "debtRatio": "S§8.1(1)", "licences": "S§8.5(1)", "hotline7x24": "S§8.4(1)"}
	if sc["eligible"] != false || fmt.Sprint(got) != fmt.Sprint(want) || p["status"] != "ineligible" {
		t.Fatalf("screening %v; want failures %v", sc, want)
	}
	// Malformed facts are refused with every field named, and nothing is written.
	res := e.Do("POST", "/partners", tok["inn1"], map[string]any{"kind": "support", "name": "缺项", "debtRatio": "1.5", "cmmiLevel": 9, "bogus": 1})
	fields := fieldsOf(t, res)
	for _, f := range []string{"registeredCapital", "opsStaff", "hotline7x24", "bogus"} {
		if res.Status != 400 || fields[f] == nil {
			t.Fatalf("malformed facts: %d, fields %v lack %s", res.Status, fields, f)
		}
	}
	if res := e.Do("POST", "/partners", tok["mkt1"], supportFacts("越权")); res.Status != 403 {
		t.Fatalf("marketing applying a partner: %d", res.Status)
	}
	si := mustStatus(t, e.Do("POST", "/partners", tok["inn1"], map[string]any{"kind": "si", "name": "集成伙伴"}), 201, "si partner")
	if si["status"] != "pending_review" || si["screening"] != nil {
		t.Fatalf("si partner %v", si)
	}

	// S§20: the agreement needs the whole deposit first.
	ok := mustStatus(t, e.Do("POST", "/partners", tok["inn1"], supportFacts("合格一号")), 201, "apply")
	pid := ok["id"].(string)
	if ok["screening"].(map[string]any)["eligible"] != true || ok["status"] != "applied" {
		t.Fatalf("eligible partner %v", ok)
	}
	// S§8.6(1), S§20: an instalment is refused; the deposit is paid in one sum.
	if res := e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"amount": "200000.00", "date": "2024-12-27"}); res.Status != 409 || !strings.Contains(string(res.Body), "S§20") {
		t.Fatalf("an instalment of the deposit: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/partners/"+pid+"/agreement", tok["inn1"], map[string]any{"startDate": "2025-01-01"}); res.Status != 409 || !strings.Contains(string(res.Body), "S§20") {
		t.Fatalf("agreement before the whole deposit: %d %s", res.Status, res.Body)
	}
	if res := e.Do("POST", "/partners/"+pid+"/deposits", tok["inn1"], map[string]any{"amount": "300000.00"}); res.Status != 403 {
		t.Fatalf("innovation posting a receipt: %d", res.Status)
	}
	mustStatus(t, e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"amount": 300000, "date": "2024-12-27"}), 201, "the deposit in one sum")
	if res := e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"amount": "300000.00", "date": "2024-12-30"}); res.Status != 409 {
		t.Fatalf("a second receipt: %d %s", res.Status, res.Body)
	}
	act := mustStatus(t, e.Do("POST", "/partners/"+pid+"/agreement", tok["inn1"], map[string]any{"startDate": "2025-01-01"}), 200, "agreement")
	agr := act["agreement"].(map[string]any)
	if act["status"] != "active" || agr["end"] != "2027-12-31" || act["exclusivity"].(map[string]any)["until"] != "2028-12-31" {
		t.Fatalf("activated %v", act)
	}

	// S§19: fines at their range limits are accepted, beyond them refused.
	pen := func(body map[string]any) stacktest.Response {
		return e.Do("POST", "/partners/"+pid+"/penalties", tok["inn1"], body)
	}
	for _, c := range []struct {
		category, amount, loss string
		status                 int
	}{
		{"major_complaint", "5000.00", "", 201}, {"major_complaint", "20000.00", "", 201},
		{"major_complaint", "4999.99", "", 400}, {"major_complaint", "20000.01", "", 400},
		{"confidentiality_leak", "10000.00", "", 201}, {"confidentiality_leak", "30000.00", "", 201},
		{"confidentiality_leak", "9999.99", "", 400}, {"confidentiality_leak", "30000.01", "", 400},
		{"economic_loss", "30000.00", "12345.67", 201}, {"economic_loss", "100000.00", "", 201},
		{"economic_loss", "29999.99", "", 400}, {"economic_loss", "100000.01", "", 400},
		{"warning", "", "", 201}, {"warning", "1.00", "", 400},
	} {
		body := map[string]any{"category": c.category, "quarter": "2025-Q2", "reason": "越级投诉"}
		if c.amount != "" {
			body["amount"] = c.amount
		}
		if c.loss != "" {
			body["loss"] = c.loss
		}
		res := pen(body)
		if res.Status != c.status {
			t.Fatalf("%s %s: %d %s, want %d", c.category, c.amount, res.Status, res.Body, c.status)
		}
		if c.status == 400 && fieldsOf(t, res)["amount"] == nil {
			t.Fatalf("%s %s: the refusal does not name amount: %s", c.category, c.amount, res.Body)
		}
		if c.category == "economic_loss" && c.loss != "" && res.Map(t)["charge"].(map[string]any)["total"] != "42345.67" {
			t.Fatalf("economic loss charge %s", res.Body)
		}
	}
	res = pen(map[string]any{"category": "bribery", "amount": "1", "quarter": "2025-Q5"})
	if f := fieldsOf(t, res); res.Status != 400 || f["category"] == nil || f["quarter"] == nil || f["reason"] == nil {
		t.Fatalf("bad penalty: %d %s", res.Status, res.Body)
	}
	charges := mustStatus(t, e.Do("GET", "/partners/"+pid+"/charges", tok["mkt1"], nil), 200, "charges")
	if n := len(charges["penalties"].([]any)); n != 7 {
		t.Fatalf("%d penalties recorded, want the 7 accepted", n)
	}
	// S§21: a core-staff change within two years of joining costs 20,000 and
	// 3 points; one at the company's request costs nothing.
	st := mustStatus(t, e.Do("POST", "/partners/"+pid+"/staff-changes", tok["inn1"], map[string]any{"person": "张三",
		"joinedOn": "2024-09-01", "changedOn": "2025-08-15"}), 201, "staff change")
	if c := st["charge"].(map[string]any); c["penalised"] != true || c["charge"] != "20000.00" || c["points"].(float64) != 3 || st["quarter"] != "2025-Q3" {
		t.Fatalf("staff change %v", st)
	}
	st = mustStatus(t, e.Do("POST", "/partners/"+pid+"/staff-changes", tok["inn1"], map[string]any{"person": "李四",
		"joinedOn": "2024-09-01", "changedOn": "2025-08-15", "atCompanyRequest": true}), 201, "staff change at request")
	if st["charge"].(map[string]any)["penalised"] != false {
		t.Fatalf("change at the company's request %v", st)
	}

	// The ledger never goes negative, under concurrent postings too: 20
	// deductions of 20,000 against 300,000 — exactly 15 land.
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"kind": "deduction",
				"amount": "20000.00", "reference": fmt.Sprintf("loss-%02d", i), "reason": "经济损失"})
			statuses[i] = r.Status
		}()
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[201] != 15 || counts[409] != 5 {
		t.Fatalf("concurrent deductions: %v, want 15 × 201 and 5 × 409", counts)
	}
	view := mustStatus(t, e.Do("GET", "/partners/"+pid, tok["mkt1"], nil), 200, "partner")
	if view["depositBalance"] != "0.00" {
		t.Fatalf("balance %v after the deductions", view["depositBalance"])
	}
	var sum int64
	for _, l := range view["ledger"].([]any) {
		entry := l.(map[string]any)["entry"].(map[string]any)
		amount := fen(t, entry["amount"].(string))
		if after := fen(t, entry["balanceAfter"].(string)); after < 0 {
			t.Fatalf("a posting left the balance at %d", after)
		}
		if entry["kind"] == "receipt" {
			sum += amount
		} else {
			sum -= amount
		}
	}
	if sum != 0 || len(view["ledger"].([]any)) != 16 {
		t.Fatalf("ledger sums to %d over %d postings", sum, len(view["ledger"].([]any)))
	}
	if res := e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"kind": "deduction", "amount": "1.00", "reference": "loss-00"}); res.Status != 409 {
		t.Fatalf("a repeated reference: %d", res.Status)
	}

	// S§7: at most five active partners; above three a warning.
	var warned []string
	for i := 2; i <= 5; i++ {
		np := mustStatus(t, e.Do("POST", "/partners", tok["inn1"], supportFacts(fmt.Sprintf("合格%d号", i))), 201, "apply")
		id := np["id"].(string)
		mustStatus(t, e.Do("POST", "/partners/"+id+"/deposits", tok["fin1"], map[string]any{"amount": "300000.00", "date": "2024-12-30"}), 201, "deposit")
		a := mustStatus(t, e.Do("POST", "/partners/"+id+"/agreement", tok["inn1"], map[string]any{"startDate": "2025-01-01"}), 200, "agreement")
		if w, _ := a["activationWarnings"].([]any); len(w) > 0 {
			warned = append(warned, id)
		}
	}
	if len(warned) != 2 {
		t.Fatalf("%d activations warned; the 4th and 5th partner should", len(warned))
	}
	six := mustStatus(t, e.Do("POST", "/partners", tok["inn1"], supportFacts("合格6号")), 201, "apply")
	mustStatus(t, e.Do("POST", "/partners/"+six["id"].(string)+"/deposits", tok["fin1"], map[string]any{"amount": "300000.00", "date": "2024-12-30"}), 201, "deposit")
	if res := e.Do("POST", "/partners/"+six["id"].(string)+"/agreement", tok["inn1"], map[string]any{"startDate": "2025-01-01"}); res.Status != 409 || !strings.Contains(string(res.Body), "S§7") {
		t.Fatalf("a sixth active partner: %d %s", res.Status, res.Body)
	}
	// The support partners, two a page, each once.
	listed := map[string]bool{}
	for cursor, pages := "", 0; ; pages++ {
		page := mustStatus(t, e.Do("GET", "/partners?kind=support&limit=2&cursor="+url.QueryEscape(cursor), tok["fin1"], nil), 200, "partners")
		for _, it := range page["items"].([]any) {
			listed[it.(map[string]any)["id"].(string)] = true
		}
		if cursor, _ = page["nextCursor"].(string); cursor == "" || pages > 10 {
			break
		}
	}
	if all := mustStatus(t, e.Do("GET", "/partners?kind=support&limit=1000", tok["fin1"], nil), 200, "partners")["items"].([]any); len(listed) != len(all) || len(all) < 6 {
		t.Fatalf("paged %d partners, one page of 1000 holds %d", len(listed), len(all))
	}

	// S§21, S§20: a voluntary termination with notice; the deposit comes back
	// three months after the end, through innovation, finance and the deputy GM.
	if res := e.Do("POST", "/partners/"+pid+"/termination", tok["inn1"], map[string]any{"noticeDate": "2026-01-05", "endDate": "2026-03-01", "transitionMonths": 4}); res.Status != 400 || fieldsOf(t, res)["endDate"] == nil || fieldsOf(t, res)["transitionMonths"] == nil {
		t.Fatalf("short notice: %d %s", res.Status, res.Body)
	}
	term := mustStatus(t, e.Do("POST", "/partners/"+pid+"/termination", tok["inn1"], map[string]any{"noticeDate": "2026-01-05", "transitionMonths": 2}), 200, "termination")
	if term["status"] != "terminated" || term["termination"].(map[string]any)["depositRefundFrom"] != "2026-07-05" {
		t.Fatalf("terminated %v", term)
	}
	// The sixth partner now fits.
	mustStatus(t, e.Do("POST", "/partners/"+six["id"].(string)+"/agreement", tok["inn1"], map[string]any{"startDate": "2025-01-01"}), 200, "agreement after a termination")
	mustStatus(t, e.Do("POST", "/partners/"+pid+"/deposits", tok["fin1"], map[string]any{"kind": "deduction", "amount": "0.01", "reference": "x"}), 409, "deduction from an empty deposit")
	other := six["id"].(string)
	term2 := mustStatus(t, e.Do("POST", "/partners/"+other+"/termination", tok["inn1"], map[string]any{"noticeDate": "2026-01-05", "transitionMonths": 1}), 200, "termination")
	_ = term2
	mustStatus(t, e.Do("POST", "/partners/"+other+"/deposit-refund", tok["inn1"], nil), 200, "refund request")
	if res := e.Do("POST", "/partners/"+other+"/deposit-refund/decisions", tok["dgm1"], map[string]any{"decision": "approve"}); res.Status != 409 {
		t.Fatalf("the deputy GM before the review: %d %s", res.Status, res.Body)
	}
	// SPEC 6: who requested the refund does not decide it.
	if res := e.Do("POST", "/partners/"+other+"/deposit-refund/decisions", tok["inn1"], map[string]any{"decision": "approve"}); res.Status != 403 {
		t.Fatalf("the refund's requester deciding it: %d %s", res.Status, res.Body)
	}
	mustStatus(t, e.Do("POST", "/partners/"+other+"/deposit-refund/decisions", tok["inn2"], map[string]any{"decision": "approve"}), 200, "innovation review")
	mustStatus(t, e.Do("POST", "/partners/"+other+"/deposit-refund/decisions", tok["fin1"], map[string]any{"decision": "approve"}), 200, "finance review")
	if res := e.Do("POST", "/partners/"+other+"/deposit-refund/decisions", tok["dgm1"], map[string]any{"decision": "approve"}); res.Status != 403 {
		t.Fatalf("the deputy GM through the API: %d", res.Status)
	}
	if st, _ := page(t, latestLinkFor(t, e, "dgm1@example.test"), url.Values{"decision": {"approve"}}); st != 200 {
		t.Fatalf("the deputy GM's refund link: %d", st)
	}
	done := mustStatus(t, e.Do("GET", "/partners/"+other, tok["inn1"], nil), 200, "partner after the refund")
	if done["depositBalance"] != "0.00" || done["refund"].(map[string]any)["entry"].(map[string]any)["amount"] != "300000.00" {
		t.Fatalf("refund %v", done)
	}
}

// fen reads "1234.56" as 123456.
func fen(t *testing.T, s string) int64 {
	t.Helper()
	var whole, frac int64
	neg := strings.HasPrefix(s, "-")
	if _, err := fmt.Sscanf(strings.TrimPrefix(s, "-"), "%d.%d", &whole, &frac); err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	v := whole*100 + frac
	if neg {
		v = -v
	}
	return v
}
