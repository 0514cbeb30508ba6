package decision

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type stepView struct {
	Name    string
	Role    string
	Phase   int
	Minutes bool
}

func viewSteps(p Plan) []stepView {
	var out []stepView
	for _, s := range p.Steps {
		out = append(out, stepView{s.Name, s.Role, s.Phase, s.RecordsMinutes})
	}
	return out
}

func TestPlanSteps(t *testing.T) {
	twoDepts := DefaultRules()
	twoDepts.Approval.Countersigners = map[SubmissionType][]string{TypeExit: {"finance", "marketing"}}
	minutesDepts := DefaultRules()
	minutesDepts.Approval.MinutesCountersigners = map[SubmissionType][]string{TypePricing: {"group_customer", "finance"}}
	tests := []struct {
		name  string
		typ   SubmissionType
		level Level
		rules Rules
		want  []stepView
	}{
		{"chengpi: finance countersigns, then the VP", TypeBasicRules, LevelChengpi, DefaultRules(),
			[]stepView{{"countersign:finance", "finance", 0, false}, {"vp", "vp", 1, false}}},
		{"chengpi: countersigns per type in parallel", TypeExit, LevelChengpi, twoDepts,
			[]stepView{{"countersign:finance", "finance", 0, false}, {"countersign:marketing", "marketing", 0, false}, {"vp", "vp", 1, false}}},
		{"chengpi: other types keep the default", TypeMajorChange, LevelChengpi, twoDepts,
			[]stepView{{"countersign:finance", "finance", 0, false}, {"vp", "vp", 1, false}}},
		// P§9(二): the minutes are countersigned by 集团客户部 (and the related
		// departments the policy names) before the VP signs them.
		{"special meeting: minutes countersign, then the VP with minutes", TypeDemand, LevelSpecialMeeting, DefaultRules(),
			[]stepView{{"minutes:group_customer", "group_customer", 0, false}, {"vp", "vp", 1, true}}},
		{"special meeting: related departments per type", TypePricing, LevelSpecialMeeting, minutesDepts,
			[]stepView{{"minutes:group_customer", "group_customer", 0, false}, {"minutes:finance", "finance", 0, false}, {"vp", "vp", 1, true}}},
		{"committee: special meeting, then the director", TypeDemand, LevelCommittee, DefaultRules(),
			[]stepView{{"minutes:group_customer", "group_customer", 0, false}, {"vp", "vp", 1, true}, {"committee_director", "committee_director", 2, true}}},
		{"gm office: VP, then GM", TypeCommercial, LevelGMOffice, DefaultRules(),
			[]stepView{{"vp", "vp", 0, true}, {"gm", "gm", 1, true}}},
		{"natural exit: no steps", TypeExit, LevelNone, DefaultRules(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PlanSteps(tt.typ, tt.level, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if got := viewSteps(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("steps = %v\nwant %v", got, tt.want)
			}
			if p.Rule == "" || p.Reason == "" {
				t.Errorf("plan lacks rule or reason: %+v", p)
			}
		})
	}
	if _, err := PlanSteps(TypeDemand, "board", DefaultRules()); err == nil {
		t.Error("unknown level must fail")
	}
}

func TestChooseApprover(t *testing.T) {
	zhang := Person{Sub: "zhang", Roles: []string{"vp"}}
	liu := Person{Sub: "liu", Roles: []string{"vp"}, RelatedPartners: []string{"partner-1"}}
	chen := Person{Sub: "chen", Roles: []string{"vp", "gm"}}
	finance := Person{Sub: "zhao", Roles: []string{"finance"}}
	ordered := DefaultRules()
	ordered.Approval.ApproverOrder = map[string][]string{"vp": {"chen", "zhang"}}
	tests := []struct {
		name        string
		holders     []Person
		applicant   string
		partner     string
		rules       Rules
		want        string
		wantSkipped []string // rules of the skipped holders
	}{
		{"first holder", []Person{zhang, chen}, "wang", "", DefaultRules(), "zhang", nil},
		{"applicant passed over", []Person{zhang, chen}, "zhang", "", DefaultRules(), "chen", []string{"SPEC 6"}},
		{"related holder passed over", []Person{liu, zhang}, "wang", "partner-1", DefaultRules(), "zhang", []string{"P§24"}},
		{"relation to another partner does not matter", []Person{liu, zhang}, "wang", "partner-2", DefaultRules(), "liu", nil},
		{"holders without the role ignored", []Person{finance, chen}, "wang", "", DefaultRules(), "chen", nil},
		{"policy order first", []Person{zhang, liu, chen}, "wang", "", ordered, "chen", nil},
		{"policy order then directory order", []Person{liu, zhang, chen}, "chen", "partner-1", ordered, "zhang", []string{"SPEC 6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ChooseApprover("vp", tt.holders, tt.applicant, tt.partner, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			var skipped []string
			for _, s := range c.Skipped {
				skipped = append(skipped, s.Rule)
			}
			if c.Approver != tt.want || !reflect.DeepEqual(skipped, tt.wantSkipped) {
				t.Errorf("ChooseApprover = %s skipped %v; want %s skipped %v", c.Approver, skipped, tt.want, tt.wantSkipped)
			}
			if c.Rule == "" || c.Reason == "" {
				t.Errorf("choice lacks rule or reason: %+v", c)
			}
		})
	}

	_, err := ChooseApprover("vp", []Person{zhang, liu}, "zhang", "partner-1", DefaultRules())
	var none *NoApproverError
	if !errors.As(err, &none) || len(none.Skipped) != 2 || !strings.Contains(err.Error(), "zhang (is the applicant") {
		t.Errorf("all passed over: err = %v", err)
	}
	if _, err := ChooseApprover("committee_director", []Person{zhang}, "wang", "", DefaultRules()); !errors.As(err, &none) || len(none.Skipped) != 0 {
		t.Errorf("nobody holds the role: err = %v", err)
	}
}

// action is one event of an approval: decide step i, or expire it.
type action struct {
	step    int
	verdict Verdict // "" expires the step
}

func TestApprovalFlows(t *testing.T) {
	twoDepts := DefaultRules()
	twoDepts.Approval.Countersigners = map[SubmissionType][]string{TypeExit: {"finance", "marketing"}}
	chengpi, _ := PlanSteps(TypeExit, LevelChengpi, twoDepts) // 0 finance, 1 marketing, 2 vp
	committee, _ := PlanSteps(TypeDemand, LevelCommittee, DefaultRules())
	none, _ := PlanSteps(TypeExit, LevelNone, DefaultRules())
	tests := []struct {
		name       string
		plan       Plan
		actions    []action
		want       Status
		wantSteps  []StepStatus
		wantStarts []int // steps started by the last action
	}{
		{"start: countersigns in parallel", chengpi, nil, StatusDeciding,
			[]StepStatus{StepWaiting, StepWaiting, StepPending}, []int{0, 1}},
		{"one countersign is not enough", chengpi, []action{{1, VerdictApprove}}, StatusDeciding,
			[]StepStatus{StepWaiting, StepApproved, StepPending}, nil},
		{"both countersigns start the VP", chengpi, []action{{1, VerdictApprove}, {0, VerdictApprove}}, StatusDeciding,
			[]StepStatus{StepApproved, StepApproved, StepWaiting}, []int{2}},
		{"VP approves", chengpi, []action{{0, VerdictApprove}, {1, VerdictApprove}, {2, VerdictApprove}}, StatusApproved,
			[]StepStatus{StepApproved, StepApproved, StepApproved}, nil},
		{"countersign rejects: the other is cancelled", chengpi, []action{{0, VerdictReject}}, StatusRejected,
			[]StepStatus{StepRejected, StepCancelled, StepCancelled}, nil},
		{"VP returns", chengpi, []action{{0, VerdictApprove}, {1, VerdictApprove}, {2, VerdictReturn}}, StatusReturned,
			[]StepStatus{StepApproved, StepApproved, StepReturned}, nil},
		// committee: 0 minutes countersign, 1 vp, 2 committee director.
		{"committee: the minutes countersign comes first", committee, nil, StatusDeciding,
			[]StepStatus{StepWaiting, StepPending, StepPending}, []int{0}},
		{"committee: minutes countersigned, the VP starts", committee, []action{{0, VerdictApprove}}, StatusDeciding,
			[]StepStatus{StepApproved, StepWaiting, StepPending}, []int{1}},
		{"committee: VP approves, director starts", committee, []action{{0, VerdictApprove}, {1, VerdictApprove}}, StatusDeciding,
			[]StepStatus{StepApproved, StepApproved, StepWaiting}, []int{2}},
		{"committee: director rejects", committee, []action{{0, VerdictApprove}, {1, VerdictApprove}, {2, VerdictReject}}, StatusRejected,
			[]StepStatus{StepApproved, StepApproved, StepRejected}, nil},
		{"committee: minutes countersign rejects, nobody else starts", committee, []action{{0, VerdictReject}}, StatusRejected,
			[]StepStatus{StepRejected, StepCancelled, StepCancelled}, nil},
		{"committee: VP rejects, director never starts", committee, []action{{0, VerdictApprove}, {1, VerdictReject}}, StatusRejected,
			[]StepStatus{StepApproved, StepRejected, StepCancelled}, nil},
		{"step expires", committee, []action{{0, VerdictApprove}, {1, VerdictApprove}, {2, ""}}, StatusExpired,
			[]StepStatus{StepApproved, StepApproved, StepExpired}, nil},
		{"no steps: approved at once", none, nil, StatusApproved, []StepStatus{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statuses, p, err := StartPlan(tt.plan)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tt.actions {
				if a.verdict == "" {
					statuses, p, err = ExpireStep(tt.plan, statuses, a.step)
				} else {
					statuses, p, err = DecideStep(tt.plan, statuses, a.step, StepDecision{Verdict: a.verdict, Comment: "意见", MinutesRef: "纪要〔2026〕7号"})
				}
				if err != nil {
					t.Fatalf("action %+v: %v", a, err)
				}
			}
			if p.Status != tt.want || !reflect.DeepEqual(statuses, tt.wantSteps) || !reflect.DeepEqual(p.Start, tt.wantStarts) {
				t.Errorf("progress %+v steps %v; want %s steps %v starts %v", p, statuses, tt.want, tt.wantSteps, tt.wantStarts)
			}
			if p.Rule == "" || p.Reason == "" {
				t.Errorf("progress lacks rule or reason: %+v", p)
			}
		})
	}
}

func TestDecideStepRefusals(t *testing.T) {
	chengpi, _ := PlanSteps(TypeBasicRules, LevelChengpi, DefaultRules()) // 0 finance, 1 vp
	meeting, _ := PlanSteps(TypeDemand, LevelSpecialMeeting, DefaultRules())
	started, _, _ := StartPlan(chengpi)
	meetingStarted, _, _ := StartPlan(meeting)
	// The minutes countersign (step 0) approved: the VP (step 1) waits.
	meetingStarted, _, _ = DecideStep(meeting, meetingStarted, 0, StepDecision{Verdict: VerdictApprove})

	// A second decision on the same step is refused: exactly one counts.
	after, _, err := DecideStep(chengpi, started, 0, StepDecision{Verdict: VerdictApprove})
	if err != nil {
		t.Fatal(err)
	}
	var rs Refusals
	if _, _, err := DecideStep(chengpi, after, 0, StepDecision{Verdict: VerdictReject, Comment: "x"}); !errors.As(err, &rs) {
		t.Errorf("second decision: err = %v, want Refusals", err)
	}
	if _, _, err := DecideStep(chengpi, started, 1, StepDecision{Verdict: VerdictApprove}); !errors.As(err, &rs) {
		t.Errorf("pending step: err = %v, want Refusals", err)
	}
	if started[0] != StepWaiting {
		t.Error("DecideStep changed its input")
	}

	tests := []struct {
		name string
		plan Plan
		st   []StepStatus
		d    StepDecision
		want FieldErrors
	}{
		{"meeting step needs minutes", meeting, meetingStarted, StepDecision{Verdict: VerdictApprove},
			FieldErrors{"minutesRef": "is required: step vp is a meeting decision and records its minutes (P§9(二))"}},
		{"reject needs a comment", chengpi, started, StepDecision{Verdict: VerdictReject},
			FieldErrors{"comment": "is required with reject: the applicant must learn why (SPEC 2.2)"}},
		{"unknown decision", meeting, meetingStarted, StepDecision{Verdict: "maybe"},
			FieldErrors{"decision": "must be approve, reject or return", "minutesRef": "is required: step vp is a meeting decision and records its minutes (P§9(二))"}},
		{"countersign without minutes is fine", chengpi, started, StepDecision{Verdict: VerdictApprove}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := 0
			if tt.plan.Level == LevelSpecialMeeting {
				step = 1
			}
			_, _, err := DecideStep(tt.plan, tt.st, step, tt.d)
			checkFieldErrors(t, err, tt.want)
		})
	}

	if _, _, err := DecideStep(chengpi, started, 5, StepDecision{Verdict: VerdictApprove}); err == nil {
		t.Error("step out of range must fail")
	}
	if _, err := Advance(chengpi, started[:1]); err == nil {
		t.Error("status count mismatch must fail")
	}
	if _, err := Advance(chengpi, []StepStatus{"lost", StepPending}); err == nil {
		t.Error("unknown step status must fail")
	}
	if _, _, err := ExpireStep(chengpi, started, 1); !errors.As(err, &rs) {
		t.Errorf("expiring a pending step: err = %v", err)
	}
}

// SPEC 2.3: a started step without an eligible approver is unassigned: it
// cannot be decided, it becomes waiting when assigned, it can expire, and a
// reject elsewhere cancels it.
func TestUnassignedSteps(t *testing.T) {
	twoDepts := DefaultRules()
	twoDepts.Approval.Countersigners = map[SubmissionType][]string{TypeExit: {"finance", "marketing"}}
	chengpi, _ := PlanSteps(TypeExit, LevelChengpi, twoDepts) // 0 finance, 1 marketing, 2 vp
	start, _, err := StartPlan(chengpi)
	if err != nil {
		t.Fatal(err)
	}
	un, err := UnassignStep(start, 1)
	if err != nil || un[1] != StepUnassigned || start[1] != StepWaiting {
		t.Fatalf("unassign: %v %v", un, err)
	}
	if _, err := UnassignStep(un, 2); err == nil {
		t.Error("a pending step cannot be unassigned")
	}
	if _, _, err := DecideStep(chengpi, un, 1, StepDecision{Verdict: VerdictApprove}); err == nil {
		t.Error("an unassigned step cannot be decided")
	}
	p, err := Advance(chengpi, un)
	if err != nil || p.Status != StatusDeciding || !strings.Contains(p.Reason, "unassigned") {
		t.Errorf("advance with an unassigned step: %+v %v", p, err)
	}
	// The other countersign approving does not start the VP.
	next, p, err := DecideStep(chengpi, un, 0, StepDecision{Verdict: VerdictApprove})
	if err != nil || p.Status != StatusDeciding || len(p.Start) != 0 || next[2] != StepPending {
		t.Errorf("approve beside an unassigned step: %v %+v %v", next, p, err)
	}
	as, err := AssignStep(next, 1)
	if err != nil || as[1] != StepWaiting {
		t.Fatalf("assign: %v %v", as, err)
	}
	if _, err := AssignStep(as, 1); err == nil {
		t.Error("a waiting step cannot be assigned again")
	}
	exp, p, err := ExpireStep(chengpi, un, 1)
	if err != nil || p.Status != StatusExpired || exp[1] != StepExpired || exp[0] != StepCancelled {
		t.Errorf("expire an unassigned step: %v %+v %v", exp, p, err)
	}
	rej, p, err := DecideStep(chengpi, un, 0, StepDecision{Verdict: VerdictReject, Comment: "不同意"})
	if err != nil || p.Status != StatusRejected || rej[1] != StepCancelled {
		t.Errorf("reject beside an unassigned step: %v %+v %v", rej, p, err)
	}
	steps := []StepRecord{{Name: "countersign:finance", Status: StepWaiting}, {Name: "countersign:marketing", Status: StepUnassigned}}
	if n := UnassignedNote(steps); !strings.Contains(n, "countersign:marketing") || strings.Contains(n, "finance") {
		t.Errorf("note %q", n)
	}
	if n := UnassignedNote(steps[:1]); n != "" {
		t.Errorf("note without unassigned steps %q", n)
	}
}
