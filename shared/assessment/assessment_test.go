package assessment

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"productgov/shared/money"
	"productgov/shared/period"
)

func TestAssessScope(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name   string
		edit   func(*Input)
		result Outcome
		code   string
		rule   string
	}{
		{"hq is never assessed", func(in *Input) { in.Product.Level = LevelHQ }, OutcomeSkipped, CodeHQNotAssessed, "P§19(三)"},
		{"trial_use is out of scope", func(in *Input) { in.Product.Stage = StageTrialUse }, OutcomeSkipped, CodeStageNotAssessed, "P§19(三)"},
		{"exiting is out of scope", func(in *Input) { in.Product.Stage = StageExiting }, OutcomeSkipped, CodeStageNotAssessed, "P§19(三)"},
		{"building is out of scope", func(in *Input) { in.Product.Stage = StageBuilding }, OutcomeSkipped, CodeStageNotAssessed, "P§19(三)"},
		{"month before the notice", func(in *Input) { in.Product.NoticeDate = datePtr("2026-08-01") }, OutcomeSkipped, CodeBeforeNotice, "P§19(三)"},
		{"trial_commercial is in scope", func(in *Input) { in.Product.Stage = StageTrialCommercial }, OutcomePass, CodePassed, "P§19(一); P§19(二)"},
		{"commercial city is in scope", func(in *Input) { in.Product.Level = LevelCity }, OutcomePass, CodePassed, "P§19(一); P§19(二)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cooperativeInput()
			tt.edit(&in)
			res := mustAssess(t, in, rules)
			if res.Result != tt.result || res.Code != tt.code || res.Rule != tt.rule {
				t.Fatalf("got %s/%s/%s, want %s/%s/%s (%s)", res.Result, res.Code, res.Rule, tt.result, tt.code, tt.rule, res.Reason)
			}
			if !strings.HasPrefix(res.Reason, tt.code+": ") {
				t.Errorf("reason %q does not start with its code", res.Reason)
			}
			if tt.result == OutcomeSkipped && (res.PhaseAfter != res.PhaseBefore || res.RevenuePass != nil || res.QualityPass != nil || len(res.Transitions) > 0) {
				t.Errorf("skipped result changed something: %+v", res)
			}
		})
	}
}

func TestExemptionBoundaries(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name        string
		notice      string
		exemptUntil string
		month       string
		result      Outcome
		code        string
	}{
		// Notice on the 15th: March is incomplete, April–June exempt, July assessed.
		{"15th: month before notice", "2026-03-15", "", "2026-02", OutcomeSkipped, CodeBeforeNotice},
		{"15th: notice month itself", "2026-03-15", "", "2026-03", OutcomeExempt, CodeExempt},
		{"15th: first complete month", "2026-03-15", "", "2026-04", OutcomeExempt, CodeExempt},
		{"15th: third complete month", "2026-03-15", "", "2026-06", OutcomeExempt, CodeExempt},
		{"15th: first assessed month", "2026-03-15", "", "2026-07", OutcomePass, CodePassed},
		// Notice on the 1st: March is complete, March–May exempt, June assessed.
		{"1st: notice month is complete", "2026-03-01", "", "2026-03", OutcomeExempt, CodeExempt},
		{"1st: third complete month", "2026-03-01", "", "2026-05", OutcomeExempt, CodeExempt},
		{"1st: first assessed month", "2026-03-01", "", "2026-06", OutcomePass, CodePassed},
		// Notice on the last day of a month: the next month is the first complete one.
		{"31st: third complete month", "2026-03-31", "", "2026-06", OutcomeExempt, CodeExempt},
		{"31st: first assessed month", "2026-03-31", "", "2026-07", OutcomePass, CodePassed},
		// exemptUntil extends the exemption.
		{"extended: inside the normal exemption", "2026-03-15", "2026-09", "2026-06", OutcomeExempt, CodeExempt},
		{"extended: first extended month", "2026-03-15", "2026-09", "2026-07", OutcomeExempt, CodeExemptExtended},
		{"extended: last extended month", "2026-03-15", "2026-09", "2026-09", OutcomeExempt, CodeExemptExtended},
		{"extended: first assessed month", "2026-03-15", "2026-09", "2026-10", OutcomePass, CodePassed},
		// exemptUntil never shortens it.
		{"earlier exemptUntil: still exempt", "2026-03-15", "2026-04", "2026-06", OutcomeExempt, CodeExempt},
		{"earlier exemptUntil: first assessed month", "2026-03-15", "2026-04", "2026-07", OutcomePass, CodePassed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := month(tt.month)
			in := cooperativeInput()
			in.Month = m
			in.RevenueTrack, in.QualityTrack = PhaseNone, PhaseNone
			in.Product.NoticeDate = datePtr(tt.notice)
			if tt.exemptUntil != "" {
				in.Product.ExemptUntil = monthPtr(tt.exemptUntil)
			}
			in.Revenue = revenueFrom(m.Add(-2).String(), "100000.00", "100000.00", "100000.00")
			res := mustAssess(t, in, rules)
			if res.Result != tt.result || res.Code != tt.code {
				t.Fatalf("got %s/%s, want %s/%s (%s)", res.Result, res.Code, tt.result, tt.code, res.Reason)
			}
			if res.Rule == "" {
				t.Error("rule is empty")
			}
			if res.Result == OutcomeExempt && (res.PhaseAfter != PhaseNone || res.RevenuePass != nil || res.RevenueAverage != nil) {
				t.Errorf("exempt result changed something: %+v", res)
			}
			if res.Result == OutcomePass && (res.RevenueTrackAfter != PhaseAssessment || res.QualityTrackAfter != PhaseAssessment) {
				t.Errorf("first assessed month: tracks %s/%s, want assessment/assessment", res.RevenueTrackAfter, res.QualityTrackAfter)
			}
		})
	}
}

func TestExemptThrough(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		notice, exemptUntil, want string
		extended                  bool
	}{
		{"2026-03-15", "", "2026-06", false},
		{"2026-03-01", "", "2026-05", false},
		{"2026-03-02", "", "2026-06", false},
		{"2026-12-20", "", "2027-03", false},
		{"2026-03-15", "2026-09", "2026-09", true},
		{"2026-03-15", "2026-06", "2026-06", false},
		{"2026-03-15", "2026-05", "2026-06", false},
	}
	for _, tt := range tests {
		var until *period.Month
		if tt.exemptUntil != "" {
			until = monthPtr(tt.exemptUntil)
		}
		got, extended := ExemptThrough(period.MustDate(tt.notice), until, rules)
		if got != month(tt.want) || extended != tt.extended {
			t.Errorf("ExemptThrough(%s, %s) = %s, %v; want %s, %v", tt.notice, tt.exemptUntil, got, extended, tt.want, tt.extended)
		}
	}
}

func TestRevenueThresholds(t *testing.T) {
	average := DefaultRules()
	eachMonth := DefaultRules()
	eachMonth.RevenueTest = RevenueEachMonth
	tests := []struct {
		name     string
		level    Level
		rules    Rules
		amounts  [3]string
		pass     bool
		sum, avg string
	}{
		{"province exactly at threshold", LevelProvince, average, [3]string{"100000.00", "100000.00", "100000.00"}, true, "300000.00", "100000.00"},
		{"province one fen below in sum", LevelProvince, average, [3]string{"100000.00", "100000.00", "99999.99"}, false, "299999.99", "100000.00"},
		{"province one fen low, made up", LevelProvince, average, [3]string{"100000.01", "100000.00", "99999.99"}, true, "300000.00", "100000.00"},
		{"province SPEC example average", LevelProvince, average, [3]string{"90000.00", "100000.00", "100000.00"}, false, "290000.00", "96666.67"},
		{"city exactly at threshold", LevelCity, average, [3]string{"50000.00", "50000.00", "50000.00"}, true, "150000.00", "50000.00"},
		{"city one fen below in sum", LevelCity, average, [3]string{"50000.00", "50000.00", "49999.99"}, false, "149999.99", "50000.00"},
		{"city one fen low, made up", LevelCity, average, [3]string{"50000.01", "50000.00", "49999.99"}, true, "150000.00", "50000.00"},
		{"city passes the province-failing figures", LevelCity, average, [3]string{"90000.00", "100000.00", "100000.00"}, true, "290000.00", "96666.67"},
		{"each month: province all at threshold", LevelProvince, eachMonth, [3]string{"100000.00", "100000.00", "100000.00"}, true, "300000.00", "100000.00"},
		{"each month: one month one fen below", LevelProvince, eachMonth, [3]string{"100000.01", "100000.00", "99999.99"}, false, "300000.00", "100000.00"},
		{"each month: city one fen below", LevelCity, eachMonth, [3]string{"49999.99", "80000.00", "80000.00"}, false, "209999.99", "70000.00"},
		{"each month: city at threshold", LevelCity, eachMonth, [3]string{"50000.00", "50000.00", "50000.00"}, true, "150000.00", "50000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := selfBuiltInput()
			in.Product.Level = tt.level
			in.Revenue = revenueFrom("2026-05", tt.amounts[0], tt.amounts[1], tt.amounts[2])
			res := mustAssess(t, in, tt.rules)
			if res.RevenuePass == nil || *res.RevenuePass != tt.pass {
				t.Fatalf("revenuePass = %s, want %v (%s)", boolValue(res.RevenuePass), tt.pass, res.Reason)
			}
			if res.RevenueSum.String() != tt.sum || res.RevenueAverage.String() != tt.avg {
				t.Errorf("sum/average = %s/%s, want %s/%s", res.RevenueSum, res.RevenueAverage, tt.sum, tt.avg)
			}
			wantResult := OutcomePass
			if !tt.pass {
				wantResult = OutcomeFail
			}
			if res.Result != wantResult || res.RevenueTest != tt.rules.RevenueTest {
				t.Errorf("result %s test %s, want %s %s", res.Result, res.RevenueTest, wantResult, tt.rules.RevenueTest)
			}
			if *res.RevenueThreshold != tt.rules.RevenueThresholds[tt.level] {
				t.Errorf("threshold %s", res.RevenueThreshold)
			}
		})
	}
}

func TestQualityPassMark(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		score string
		pass  bool
	}{
		{"60", true}, {"60.00", true}, {"59.99", false}, {"59", false}, {"60.01", true},
		{"100", true}, {"0", false}, {"87.5", true},
	}
	for _, tt := range tests {
		t.Run(tt.score, func(t *testing.T) {
			in := cooperativeInput()
			in.QualityScore = scorePtr(tt.score)
			res := mustAssess(t, in, rules)
			if res.QualityPass == nil || *res.QualityPass != tt.pass {
				t.Fatalf("qualityPass = %s, want %v", boolValue(res.QualityPass), tt.pass)
			}
			if *res.QualityScore != MustScore(tt.score) {
				t.Errorf("qualityScore = %s", res.QualityScore)
			}
		})
	}
}

// transitionCase is one row of SPEC 3 "Phases".
type transitionCase struct {
	name            string
	mode            Mode
	revenueTrack    Phase
	qualityTrack    Phase
	revenuePass     bool
	qualityPass     bool
	failMonths      []string // recorded quality fails before M (M = 2026-07)
	wantRevenue     Phase
	wantQuality     Phase
	wantPhase       Phase
	wantOpensExit   bool
	wantResult      Outcome
	wantCode        string
	wantRule        string
	wantTransitions []Transition
}

func TestTransitions(t *testing.T) {
	rules := DefaultRules()
	revenueRule, qualityRule := "P§19(一)", "P§19(二)"
	tests := []transitionCase{
		// Revenue track (P§19(一)).
		{name: "revenue: exemption over, pass starts at assessment", mode: ModeSelfBuilt,
			revenueTrack: PhaseNone, revenuePass: true,
			wantRevenue: PhaseAssessment, wantPhase: PhaseAssessment, wantResult: OutcomePass, wantCode: CodePassed, wantRule: revenueRule,
			wantTransitions: []Transition{{Track: TrackRevenue, From: PhaseNone, To: PhaseAssessment, Rule: revenueRule}}},
		{name: "revenue: pass in assessment stays", mode: ModeSelfBuilt,
			revenueTrack: PhaseAssessment, revenuePass: true,
			wantRevenue: PhaseAssessment, wantPhase: PhaseAssessment, wantResult: OutcomePass, wantCode: CodePassed, wantRule: revenueRule},
		{name: "revenue: fail in assessment goes to warning", mode: ModeSelfBuilt,
			revenueTrack: PhaseAssessment, revenuePass: false,
			wantRevenue: PhaseWarning, wantPhase: PhaseWarning, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: revenueRule,
			wantTransitions: []Transition{{Track: TrackRevenue, From: PhaseAssessment, To: PhaseWarning, Rule: revenueRule}}},
		{name: "revenue: first assessed month fails goes to warning", mode: ModeSelfBuilt,
			revenueTrack: PhaseNone, revenuePass: false,
			wantRevenue: PhaseWarning, wantPhase: PhaseWarning, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: revenueRule,
			wantTransitions: []Transition{{Track: TrackRevenue, From: PhaseNone, To: PhaseWarning, Rule: revenueRule}}},
		{name: "revenue: fail in warning goes to exit", mode: ModeSelfBuilt,
			revenueTrack: PhaseWarning, revenuePass: false,
			wantRevenue: PhaseExit, wantPhase: PhaseExit, wantOpensExit: true, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: revenueRule,
			wantTransitions: []Transition{{Track: TrackRevenue, From: PhaseWarning, To: PhaseExit, Rule: revenueRule}}},
		{name: "revenue: pass in warning goes back to assessment", mode: ModeSelfBuilt,
			revenueTrack: PhaseWarning, revenuePass: true,
			wantRevenue: PhaseAssessment, wantPhase: PhaseAssessment, wantResult: OutcomePass, wantCode: CodePassed, wantRule: revenueRule,
			wantTransitions: []Transition{{Track: TrackRevenue, From: PhaseWarning, To: PhaseAssessment, Rule: revenueRule}}},

		// Quality track (P§19(二)).
		{name: "quality: exemption over, pass starts at assessment", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseNone, revenuePass: true, qualityPass: true,
			wantRevenue: PhaseAssessment, wantQuality: PhaseAssessment, wantPhase: PhaseAssessment, wantResult: OutcomePass, wantCode: CodePassed, wantRule: qualityRule,
			wantTransitions: []Transition{{Track: TrackQuality, From: PhaseNone, To: PhaseAssessment, Rule: qualityRule}}},
		{name: "quality: pass in assessment stays", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseAssessment, revenuePass: true, qualityPass: true,
			wantRevenue: PhaseAssessment, wantQuality: PhaseAssessment, wantPhase: PhaseAssessment, wantResult: OutcomePass, wantCode: CodePassed, wantRule: revenueRule + "; " + qualityRule},
		{name: "quality: first fail goes to warning", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseAssessment, revenuePass: true, qualityPass: false,
			wantRevenue: PhaseAssessment, wantQuality: PhaseWarning, wantPhase: PhaseWarning, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: qualityRule,
			wantTransitions: []Transition{{Track: TrackQuality, From: PhaseAssessment, To: PhaseWarning, Rule: qualityRule}}},
		{name: "quality: fail after a fail in M-1 goes to exit", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseWarning, revenuePass: true, qualityPass: false,
			failMonths:  []string{"2026-06"},
			wantRevenue: PhaseAssessment, wantQuality: PhaseExit, wantPhase: PhaseExit, wantOpensExit: true, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: qualityRule,
			wantTransitions: []Transition{{Track: TrackQuality, From: PhaseWarning, To: PhaseExit, Rule: qualityRule}}},
		{name: "quality: third fail within M-11..M goes to exit", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseAssessment, revenuePass: true, qualityPass: false,
			failMonths:  []string{"2025-08", "2026-03"},
			wantRevenue: PhaseAssessment, wantQuality: PhaseExit, wantPhase: PhaseExit, wantOpensExit: true, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: qualityRule,
			wantTransitions: []Transition{{Track: TrackQuality, From: PhaseAssessment, To: PhaseExit, Rule: qualityRule}}},
		{name: "quality: a fail in M-12 is outside the window", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseAssessment, revenuePass: true, qualityPass: false,
			failMonths:  []string{"2025-07", "2026-03"},
			wantRevenue: PhaseAssessment, wantQuality: PhaseWarning, wantPhase: PhaseWarning, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: qualityRule,
			wantTransitions: []Transition{{Track: TrackQuality, From: PhaseAssessment, To: PhaseWarning, Rule: qualityRule}}},
		{name: "quality: second non-consecutive fail in warning stays warning", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseWarning, revenuePass: true, qualityPass: false,
			failMonths:  []string{"2026-05"},
			wantRevenue: PhaseAssessment, wantQuality: PhaseWarning, wantPhase: PhaseWarning, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: qualityRule},
		{name: "quality: pass in warning goes back to assessment", mode: ModeCooperative,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseWarning, revenuePass: true, qualityPass: true,
			failMonths:  []string{"2026-06"},
			wantRevenue: PhaseAssessment, wantQuality: PhaseAssessment, wantPhase: PhaseAssessment, wantResult: OutcomePass, wantCode: CodePassed, wantRule: qualityRule,
			wantTransitions: []Transition{{Track: TrackQuality, From: PhaseWarning, To: PhaseAssessment, Rule: qualityRule}}},

		// Product phase is the worse track.
		{name: "phase: revenue warning, quality recovers, phase stays warning", mode: ModeCooperative,
			revenueTrack: PhaseWarning, qualityTrack: PhaseWarning, revenuePass: false, qualityPass: true,
			wantRevenue: PhaseExit, wantQuality: PhaseAssessment, wantPhase: PhaseExit, wantOpensExit: true, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: revenueRule + "; " + qualityRule,
			wantTransitions: []Transition{
				{Track: TrackRevenue, From: PhaseWarning, To: PhaseExit, Rule: revenueRule},
				{Track: TrackQuality, From: PhaseWarning, To: PhaseAssessment, Rule: qualityRule}}},
		{name: "phase: quality warning keeps the phase at warning while revenue passes", mode: ModeCooperative,
			revenueTrack: PhaseWarning, qualityTrack: PhaseWarning, revenuePass: true, qualityPass: false,
			failMonths:  []string{"2026-04"},
			wantRevenue: PhaseAssessment, wantQuality: PhaseWarning, wantPhase: PhaseWarning, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: revenueRule,
			wantTransitions: []Transition{{Track: TrackRevenue, From: PhaseWarning, To: PhaseAssessment, Rule: revenueRule}}},
		{name: "phase: both tracks reach exit in one month", mode: ModeCooperative,
			revenueTrack: PhaseWarning, qualityTrack: PhaseWarning, revenuePass: false, qualityPass: false,
			failMonths:  []string{"2026-06"},
			wantRevenue: PhaseExit, wantQuality: PhaseExit, wantPhase: PhaseExit, wantOpensExit: true, wantResult: OutcomeFail, wantCode: CodeFailed, wantRule: revenueRule + "; " + qualityRule,
			wantTransitions: []Transition{
				{Track: TrackRevenue, From: PhaseWarning, To: PhaseExit, Rule: revenueRule},
				{Track: TrackQuality, From: PhaseWarning, To: PhaseExit, Rule: qualityRule}}},

		// Exit is final.
		{name: "exit: revenue exit stays exit although everything passes", mode: ModeCooperative,
			revenueTrack: PhaseExit, qualityTrack: PhaseAssessment, revenuePass: true, qualityPass: true,
			wantRevenue: PhaseExit, wantQuality: PhaseAssessment, wantPhase: PhaseExit, wantResult: OutcomePass, wantCode: CodeExitFinal, wantRule: revenueRule},
		{name: "exit: quality exit stays exit and does not reopen", mode: ModeCooperative,
			revenueTrack: PhaseWarning, qualityTrack: PhaseExit, revenuePass: false, qualityPass: false,
			wantRevenue: PhaseWarning, wantQuality: PhaseExit, wantPhase: PhaseExit, wantResult: OutcomeFail, wantCode: CodeExitFinal, wantRule: qualityRule},

		// Self-built products are assessed on revenue only (P§19(三)).
		{name: "self-built: a stale quality warning is cleared", mode: ModeSelfBuilt,
			revenueTrack: PhaseAssessment, qualityTrack: PhaseWarning, revenuePass: true,
			wantRevenue: PhaseAssessment, wantQuality: PhaseNone, wantPhase: PhaseAssessment, wantResult: OutcomePass, wantCode: CodePassed, wantRule: "P§19(三)",
			wantTransitions: []Transition{{Track: TrackQuality, From: PhaseWarning, To: PhaseNone, Rule: "P§19(三)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cooperativeInput()
			in.Product.Mode = tt.mode
			in.RevenueTrack, in.QualityTrack = tt.revenueTrack, tt.qualityTrack
			in.Revenue = revenueFrom("2026-05", "100000.00", "100000.00", "100000.00")
			if !tt.revenuePass {
				in.Revenue[2].Amount = money.MustParse("99999.99")
			}
			in.QualityScore = nil
			if tt.mode == ModeCooperative {
				in.QualityScore = scorePtr("59.99")
				if tt.qualityPass {
					in.QualityScore = scorePtr("60")
				}
			}
			for _, f := range tt.failMonths {
				in.QualityFailMonths = append(in.QualityFailMonths, month(f))
			}
			res := mustAssess(t, in, rules)
			if res.RevenueTrackAfter != tt.wantRevenue || res.QualityTrackAfter != tt.wantQuality || res.PhaseAfter != tt.wantPhase {
				t.Errorf("tracks %q/%q phase %q, want %q/%q phase %q",
					res.RevenueTrackAfter, res.QualityTrackAfter, res.PhaseAfter, tt.wantRevenue, tt.wantQuality, tt.wantPhase)
			}
			if res.PhaseBefore != Worse(tt.revenueTrack, tt.qualityTrack) {
				t.Errorf("phaseBefore %q", res.PhaseBefore)
			}
			if res.OpensExit != tt.wantOpensExit {
				t.Errorf("opensExit %v, want %v", res.OpensExit, tt.wantOpensExit)
			}
			if res.Result != tt.wantResult || res.Code != tt.wantCode || res.Rule != tt.wantRule {
				t.Errorf("got %s/%s/%q, want %s/%s/%q", res.Result, res.Code, res.Rule, tt.wantResult, tt.wantCode, tt.wantRule)
			}
			if len(res.Transitions) != len(tt.wantTransitions) {
				t.Fatalf("transitions %+v, want %+v", res.Transitions, tt.wantTransitions)
			}
			for i, want := range tt.wantTransitions {
				got := res.Transitions[i]
				if got.Track != want.Track || got.From != want.From || got.To != want.To || got.Rule != want.Rule || got.Reason == "" {
					t.Errorf("transition %d = %+v, want %+v", i, got, want)
				}
			}
			t.Log(res.Reason)
		})
	}
}

func TestQualityExitReasons(t *testing.T) {
	in := cooperativeInput()
	in.QualityTrack = PhaseWarning
	in.QualityScore = scorePtr("40")
	in.QualityFailMonths = []period.Month{month("2026-06")}
	res := mustAssess(t, in, DefaultRules())
	if !strings.Contains(res.Transitions[0].Reason, "2 consecutive months") {
		t.Errorf("consecutive reason: %q", res.Transitions[0].Reason)
	}
	in.QualityTrack = PhaseAssessment
	in.QualityFailMonths = []period.Month{month("2025-08"), month("2026-02")}
	res = mustAssess(t, in, DefaultRules())
	if !strings.Contains(res.Transitions[0].Reason, "3 times within 2025-08..2026-07") || res.QualityFailsInWindow != 3 {
		t.Errorf("cumulative reason: %q, fails %d", res.Transitions[0].Reason, res.QualityFailsInWindow)
	}
}

// TestSevenMonthScenario runs a cooperative province product from its first
// assessed month, feeding each month's tracks and fails into the next.
func TestSevenMonthScenario(t *testing.T) {
	rules := DefaultRules()
	revenue := revenueFrom("2026-05",
		"100000.00", "100000.00", // May, Jun: exempt months that feed July's window
		"100000.00", // Jul
		"70000.00",  // Aug: window 270,000 fails
		"130000.00", // Sep: window 300,000 passes
		"110000.00", // Oct
		"50000.00",  // Nov: window 290,000 fails
		"150000.00", // Dec: window 310,000 passes
		"10000.00",  // Jan: would fail, but exit is final
	)
	steps := []struct {
		month                 string
		score                 string
		wantResult            Outcome
		revenueTrack, quality Phase
		phase                 Phase
		opensExit             bool
	}{
		{"2026-07", "55", OutcomeFail, PhaseAssessment, PhaseWarning, PhaseWarning, false},       // quality first fail
		{"2026-08", "75", OutcomeFail, PhaseWarning, PhaseAssessment, PhaseWarning, false},       // revenue fails, quality recovers
		{"2026-09", "50", OutcomeFail, PhaseAssessment, PhaseWarning, PhaseWarning, false},       // revenue recovers, quality 2nd fail
		{"2026-10", "90", OutcomePass, PhaseAssessment, PhaseAssessment, PhaseAssessment, false}, // all clear
		{"2026-11", "88", OutcomeFail, PhaseWarning, PhaseAssessment, PhaseWarning, false},       // revenue fails
		{"2026-12", "30", OutcomeFail, PhaseAssessment, PhaseExit, PhaseExit, true},              // quality 3rd fail within 12 months
		{"2027-01", "95", OutcomeFail, PhaseAssessment, PhaseExit, PhaseExit, false},             // exit is final
	}
	revenueTrack, qualityTrack := PhaseNone, PhaseNone
	var failMonths []period.Month
	var results []Result
	exitsOpened := 0
	for _, s := range steps {
		in := cooperativeInput()
		in.Month = month(s.month)
		in.Product.NoticeDate = datePtr("2026-03-15")
		in.RevenueTrack, in.QualityTrack = revenueTrack, qualityTrack
		in.QualityFailMonths = failMonths
		in.Revenue = revenue
		in.QualityScore = scorePtr(s.score)
		res := mustAssess(t, in, rules)
		results = append(results, res)
		if res.Result != s.wantResult || res.RevenueTrackAfter != s.revenueTrack || res.QualityTrackAfter != s.quality || res.PhaseAfter != s.phase || res.OpensExit != s.opensExit {
			t.Fatalf("%s: got %s %s/%s phase %s opensExit %v, want %s %s/%s phase %s opensExit %v (%s)",
				s.month, res.Result, res.RevenueTrackAfter, res.QualityTrackAfter, res.PhaseAfter, res.OpensExit,
				s.wantResult, s.revenueTrack, s.quality, s.phase, s.opensExit, res.Reason)
		}
		if res.OpensExit {
			exitsOpened++
		}
		revenueTrack, qualityTrack = res.RevenueTrackAfter, res.QualityTrackAfter
		if res.QualityPass != nil && !*res.QualityPass {
			failMonths = append(failMonths, res.Month)
		}
	}
	if exitsOpened != 1 {
		t.Errorf("opensExit was true %d times, want exactly once", exitsOpened)
	}
	if last := results[len(results)-1]; last.Code != CodeExitFinal || last.PhaseBefore != PhaseExit {
		t.Errorf("after exit: code %s phaseBefore %s", last.Code, last.PhaseBefore)
	}
	report := Report(results)
	if len(report.ExitsOpened) != 1 || report.ExitsOpened[0].Month != month("2026-12") {
		t.Errorf("report exits: %+v", report.ExitsOpened)
	}
}

func TestReassessSameMonthIsIdentical(t *testing.T) {
	rules := DefaultRules()
	in := cooperativeInput()
	in.RevenueTrack = PhaseWarning
	in.QualityTrack = PhaseWarning
	in.QualityScore = scorePtr("59.5")
	in.Revenue = append(revenueFrom("2025-08", "100000", "100000", "100000", "100000", "100000", "100000", "100000", "100000", "100000"),
		revenueFrom("2026-05", "100000.00", "100000.00", "99999.99")...)
	in.Product.Stage = StageTrialCommercial
	in.Product.TrialCommercialSince = datePtr("2024-01-01")
	in.QualityFailMonths = []period.Month{month("2026-05")}
	snapshot, _ := json.Marshal(in)

	first := mustAssess(t, in, rules)
	second := mustAssess(t, in, rules)
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("re-assessment differs:\n%+v\n%+v", first, second)
	}
	// A fail of M recorded by the first run must not count in a re-run.
	rerun := in
	rerun.QualityFailMonths = append([]period.Month{month("2026-07")}, in.QualityFailMonths...)
	third := mustAssess(t, rerun, rules)
	if !reflect.DeepEqual(first, third) {
		t.Fatalf("re-run with M's own record differs:\n%+v\n%+v", first, third)
	}
	if after, _ := json.Marshal(in); string(after) != string(snapshot) {
		t.Error("Assess changed its input")
	}
	if !first.OpensExit || first.PhaseAfter != PhaseExit || !first.CommercialIneligible {
		t.Errorf("expected exit and commercial_ineligible: %+v", first)
	}
}

func TestPendingData(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name string
		edit func(*Input)
		code string
		want string // a fragment of the reason
	}{
		{"everything missing", func(in *Input) { in.Revenue, in.QualityScore = nil, nil }, CodeDataMissing,
			"revenue of 2026-05, revenue of 2026-06, revenue of 2026-07, quality score of 2026-07"},
		{"revenue of M-2 and quality missing", func(in *Input) { in.Revenue, in.QualityScore = in.Revenue[1:], nil }, CodeDataMissing,
			"revenue of 2026-05, quality score of 2026-07"},
		{"notice date missing", func(in *Input) { in.Product.NoticeDate = nil }, CodeNoticeDateMissing, "notice date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cooperativeInput()
			in.RevenueTrack, in.QualityTrack = PhaseWarning, PhaseAssessment
			in.Revenue[2].Amount = 0 // would fail and move to exit if assessed
			tt.edit(&in)
			res := mustAssess(t, in, rules)
			if res.Result != OutcomePendingData || res.Code != tt.code || !strings.Contains(res.Reason, tt.want) {
				t.Fatalf("got %s/%s %q", res.Result, res.Code, res.Reason)
			}
			if res.RevenueTrackAfter != PhaseWarning || res.QualityTrackAfter != PhaseAssessment ||
				res.PhaseAfter != PhaseWarning || res.PhaseBefore != PhaseWarning || res.OpensExit ||
				res.RevenuePass != nil || res.QualityPass != nil || res.RevenueAverage != nil || len(res.Transitions) != 0 {
				t.Errorf("pending_data changed something: %+v", res)
			}
		})
	}
	t.Run("self-built needs no quality score", func(t *testing.T) {
		res := mustAssess(t, selfBuiltInput(), rules)
		if res.Result != OutcomePass {
			t.Errorf("got %s: %s", res.Result, res.Reason)
		}
	})
	t.Run("self-built with revenue missing is pending_data", func(t *testing.T) {
		in := selfBuiltInput()
		in.Revenue = in.Revenue[:2]
		if res := mustAssess(t, in, rules); res.Result != OutcomePendingData || len(res.PendingTracks) != 1 {
			t.Errorf("got %s %+v", res.Result, res.PendingTracks)
		}
	})
}

// SPEC 3 "Missing data" (decided): the tracks are independent. A track
// lacking its own figures is pending and keeps its state; the other is
// assessed as usual, and the result says which track was pending.
func TestTracksIndependentWhenDataMissing(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name                string
		revenueTrack        Phase
		qualityTrack        Phase
		failMonths          []period.Month
		edit                func(*Input)
		outcome             Outcome
		revenueAfter        Phase
		qualityAfter        Phase
		phaseAfter          Phase
		opensExit           bool
		pending             Track
		revenueRan, qualRan bool
	}{
		{"revenue missing, quality fails after a fail in M-1: exit", PhaseAssessment, PhaseWarning, []period.Month{month("2026-06")},
			func(in *Input) { in.Revenue = in.Revenue[:2]; in.QualityScore = scorePtr("59.99") },
			OutcomeFail, PhaseAssessment, PhaseExit, PhaseExit, true, TrackRevenue, false, true},
		{"revenue missing, quality fails once: warning, revenue kept", PhaseWarning, PhaseAssessment, nil,
			func(in *Input) { in.Revenue = in.Revenue[1:]; in.QualityScore = scorePtr("59.99") },
			OutcomeFail, PhaseWarning, PhaseWarning, PhaseWarning, false, TrackRevenue, false, true},
		{"revenue missing, quality passes at 60 in warning", PhaseAssessment, PhaseWarning, []period.Month{month("2026-06")},
			func(in *Input) { in.Revenue = in.Revenue[:2]; in.QualityScore = scorePtr("60") },
			OutcomePass, PhaseAssessment, PhaseAssessment, PhaseAssessment, false, TrackRevenue, false, true},
		{"quality missing, revenue fails in warning: exit", PhaseWarning, PhaseAssessment, nil,
			func(in *Input) { in.QualityScore = nil; in.Revenue[2].Amount = 0 },
			OutcomeFail, PhaseExit, PhaseAssessment, PhaseExit, true, TrackQuality, true, false},
		{"quality missing, revenue passes: quality warning kept", PhaseAssessment, PhaseWarning, nil,
			func(in *Input) { in.QualityScore = nil },
			OutcomePass, PhaseAssessment, PhaseWarning, PhaseWarning, false, TrackQuality, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cooperativeInput()
			in.RevenueTrack, in.QualityTrack, in.QualityFailMonths = tt.revenueTrack, tt.qualityTrack, tt.failMonths
			tt.edit(&in)
			res := mustAssess(t, in, rules)
			if res.Result != tt.outcome || res.RevenueTrackAfter != tt.revenueAfter || res.QualityTrackAfter != tt.qualityAfter ||
				res.PhaseAfter != tt.phaseAfter || res.OpensExit != tt.opensExit {
				t.Fatalf("got %s revenue %s quality %s phase %s exit %v: %s", res.Result, res.RevenueTrackAfter,
					res.QualityTrackAfter, res.PhaseAfter, res.OpensExit, res.Reason)
			}
			if len(res.PendingTracks) != 1 || res.PendingTracks[0].Track != tt.pending || len(res.PendingTracks[0].Missing) == 0 {
				t.Errorf("pending tracks %+v, want %s", res.PendingTracks, tt.pending)
			}
			if !strings.Contains(res.Reason, string(tt.pending)+" track pending") {
				t.Errorf("the reason does not say which track was pending: %s", res.Reason)
			}
			if (res.RevenuePass != nil) != tt.revenueRan || (res.QualityPass != nil) != tt.qualRan {
				t.Errorf("revenue ran %v, quality ran %v", res.RevenuePass != nil, res.QualityPass != nil)
			}
		})
	}
}

func TestSelfBuiltIgnoresQuality(t *testing.T) {
	in := selfBuiltInput()
	in.QualityScore = scorePtr("10")
	in.QualityFailMonths = []period.Month{month("2026-06"), month("2026-05")}
	res := mustAssess(t, in, DefaultRules())
	if res.Result != OutcomePass || res.QualityPass != nil || res.QualityScore != nil || res.QualityTrackAfter != PhaseNone || res.Rule != "P§19(一)" {
		t.Errorf("self-built result: %+v", res)
	}
}

func TestInputValidate(t *testing.T) {
	rules := DefaultRules()
	rules.RevenueTest = "sometimes"
	in := Input{
		Product:           Product{Level: "county", Mode: "rented", Stage: "dreaming"},
		RevenueTrack:      "probation",
		QualityTrack:      "limbo",
		QualityScore:      scorePtr("100.01"),
		QualityFailMonths: []period.Month{{}},
		Revenue:           append(revenueFrom("2026-05", "1", "2"), RevenueFigure{Month: month("2026-05")}, RevenueFigure{}),
	}
	_, err := Assess(in, rules)
	fe, ok := err.(FieldErrors)
	if !ok {
		t.Fatalf("error %T %v, want FieldErrors", err, err)
	}
	for _, field := range []string{"month", "product.id", "product.level", "product.mode", "product.stage",
		"revenueTrack", "qualityTrack", "qualityScore", "qualityFailMonths[0]", "revenue[2].month", "revenue[3].month",
		"rules.revenueTest"} {
		if fe[field] == "" {
			t.Errorf("no error for %s; got %v", field, fe)
		}
	}
	if len(fe) != 12 {
		t.Errorf("%d errors, want 12: %v", len(fe), fe)
	}
	if err := cooperativeInput().Validate(DefaultRules()); err != nil {
		t.Errorf("valid input refused: %v", err)
	}
}

func TestResultJSON(t *testing.T) {
	in := selfBuiltInput()
	in.Revenue = revenueFrom("2026-05", "90000.00", "100000.00", "100000.00")
	res := mustAssess(t, in, DefaultRules())
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"productId": "P-001", "month": "2026-07", "result": "fail", "revenueAverage": "96666.67",
		"revenuePass": false, "qualityScore": nil, "qualityPass": nil, "phaseBefore": "assessment",
		"phaseAfter": "warning", "rule": "P§19(一)", "opensExit": false,
	}
	for k, v := range want {
		if !reflect.DeepEqual(fields[k], v) {
			t.Errorf("%s = %#v, want %#v", k, fields[k], v)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, res) {
		t.Errorf("JSON round trip differs:\n%+v\n%+v", back, res)
	}
}
