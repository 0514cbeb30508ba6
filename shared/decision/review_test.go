package decision

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// reviewDepts are the departments votes() gives its voters in turn: the
// three P§8 composes both stages from.
var reviewDepts = []string{"集团客户部", "政企客户中心", "系统集成"}

// votes builds votes v1, v2, … from verdict letters: a approve, r reject, t
// return; voters come from the three review departments in turn.
func votes(letters string) []Vote {
	out := make([]Vote, 0, len(letters))
	for i, l := range letters {
		v := Vote{Voter: "v" + string(rune('1'+i)), Comment: "意见", Dept: reviewDepts[i%len(reviewDepts)]}
		switch l {
		case 'a':
			v.Verdict = VerdictApprove
		case 'r':
			v.Verdict = VerdictReject
		case 't':
			v.Verdict = VerdictReturn
		}
		out = append(out, v)
	}
	return out
}

func TestTallyStage(t *testing.T) {
	threeCross := DefaultRules()
	threeCross.Review.CrossDepartmentMinVoters = 3
	tests := []struct {
		name    string
		stage   ReviewStage
		votes   string
		rules   Rules
		want    StageResult
		wantMin int
	}{
		{"no votes", StageGroup, "", DefaultRules(), StageWaiting, 5},
		{"four approvals, one short", StageGroup, "aaaa", DefaultRules(), StageWaiting, 5},
		{"five approvals", StageGroup, "aaaaa", DefaultRules(), StagePassed, 5},
		{"six approvals", StageCrossDepartment, "aaaaaa", DefaultRules(), StagePassed, 5},
		{"a first reject decides at once", StageGroup, "r", DefaultRules(), StageRejected, 5},
		{"reject among approvals", StageGroup, "aaaar", DefaultRules(), StageRejected, 5},
		{"return waits for the minimum", StageGroup, "aat", DefaultRules(), StageWaiting, 5},
		{"return at the minimum", StageGroup, "aaaat", DefaultRules(), StageReturned, 5},
		{"a later reject outweighs a return", StageGroup, "tar", DefaultRules(), StageRejected, 5},
		{"reject and return at the minimum", StageGroup, "aattr", DefaultRules(), StageRejected, 5},
		{"policy minimum of three", StageCrossDepartment, "aaa", threeCross, StagePassed, 3},
		{"group minimum unaffected", StageGroup, "aaa", threeCross, StageWaiting, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TallyStage(tt.stage, votes(tt.votes), tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != tt.want || got.MinVoters != tt.wantMin || got.Votes != len(tt.votes) {
				t.Errorf("TallyStage = %+v; want %s with minimum %d", got, tt.want, tt.wantMin)
			}
			if got.Rule == "" || got.Reason == "" {
				t.Errorf("missing rule or reason: %+v", got)
			}
		})
	}
}

// P§8, SPEC 2.2 decided: each of 集团客户部, 政企客户中心 and 系统集成 must be
// represented by a voter; experts of other departments count toward the five
// but never replace a missing department, and the tally names it.
func TestTallyStageComposition(t *testing.T) {
	of := func(depts ...string) []Vote {
		out := make([]Vote, len(depts))
		for i, d := range depts {
			out[i] = Vote{Voter: "v" + string(rune('1'+i)), Verdict: VerdictApprove, Dept: d}
		}
		return out
	}
	const g, z, x, f = "集团客户部", "政企客户中心", "系统集成", "财务部"
	tests := []struct {
		name    string
		stage   ReviewStage
		votes   []Vote
		want    StageResult
		missing []string
	}{
		{"five from one department", StageGroup, of(g, g, g, g, g), StageWaiting, []string{z, x}},
		{"five with 系统集成 missing", StageCrossDepartment, of(g, g, z, z, f), StageWaiting, []string{x}},
		{"a sixth voter from the missing department passes", StageCrossDepartment, of(g, g, z, z, f, x), StagePassed, nil},
		{"three departments and two experts", StageGroup, of(g, z, x, f, "客户响应中心"), StagePassed, nil},
		{"exactly one of each and two more", StageGroup, of(x, z, g, g, g), StagePassed, nil},
		{"all departments but one vote short", StageGroup, of(g, z, x, f), StageWaiting, nil},
		{"voter without a department", StageGroup, of(g, z, "", f, f), StageWaiting, []string{x}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TallyStage(tt.stage, tt.votes, DefaultRules())
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != tt.want || !reflect.DeepEqual(got.MissingDepartments, tt.missing) {
				t.Fatalf("got %s missing %v (%s); want %s missing %v", got.Result, got.MissingDepartments, got.Reason, tt.want, tt.missing)
			}
			for _, d := range tt.missing {
				if !strings.Contains(got.Reason, d) {
					t.Errorf("the reason does not name %s: %s", d, got.Reason)
				}
			}
		})
	}
	// A reject still ends the stage at once, whatever the composition.
	rej := of(g, g)
	rej[1].Verdict, rej[1].Comment = VerdictReject, "不同意"
	if got, _ := TallyStage(StageGroup, rej, DefaultRules()); got.Result != StageRejected {
		t.Errorf("reject: %s", got.Result)
	}
}

func TestTallyStageErrors(t *testing.T) {
	dup := append(votes("a"), votes("a")...)
	bad := []Vote{{Voter: "v1", Verdict: "abstain"}}
	for name, tc := range map[string]struct {
		stage ReviewStage
		votes []Vote
	}{
		"unknown stage":   {"board", nil},
		"duplicate voter": {StageGroup, dup},
		"unknown verdict": {StageGroup, bad},
	} {
		if _, err := TallyStage(tc.stage, tc.votes, DefaultRules()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCheckVoter(t *testing.T) {
	reviewer := Person{Sub: "li", Roles: []string{"reviewer"}, Dept: "政企客户中心"}
	related := Person{Sub: "li", Roles: []string{"reviewer"}, RelatedPartners: []string{"partner-9", "partner-1"}}
	open := ReviewContext{Status: StatusGroupReview, Stage: StageGroup, Applicant: "wang", PartnerID: "partner-1", Votes: votes("aa")}
	tests := []struct {
		name   string
		person Person
		ctx    ReviewContext
		want   []string // rules of the refusals, in order
	}{
		{"eligible", reviewer, open, nil},
		{"other department is not refused (P§8 invites experts)", Person{Sub: "li", Roles: []string{"reviewer"}, Dept: "财务部"}, open, nil},
		{"self-built product: relations do not matter", related, ReviewContext{Status: StatusCrossReview, Stage: StageCrossDepartment, Applicant: "wang"}, nil},
		{"not a reviewer", Person{Sub: "li", Roles: []string{"finance"}}, open, []string{"SPEC 6"}},
		{"own submission", Person{Sub: "wang", Roles: []string{"reviewer", "product_manager"}}, open, []string{"SPEC 6"}},
		{"related to the partner", related, open, []string{"P§24"}},
		{"revote refused", Person{Sub: "v2", Roles: []string{"reviewer"}}, open, []string{"SPEC 2.2"}},
		{"wrong stage", reviewer, ReviewContext{Status: StatusCrossReview, Stage: StageGroup, Applicant: "wang"}, []string{"SPEC 2.2"}},
		{"natural exit has no review", reviewer, ReviewContext{Status: StatusApproved, Stage: StageGroup}, []string{"SPEC 2.2"}},
		{"stage already rejected", reviewer, ReviewContext{Status: StatusGroupReview, Stage: StageGroup, Votes: votes("ar")}, []string{"P§8(一)"}},
		{"every reason at once", Person{Sub: "wang", RelatedPartners: []string{"partner-1"}}, open, []string{"SPEC 6", "SPEC 6", "P§24"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckVoter(tt.person, tt.ctx, DefaultRules())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected refusal: %v", err)
				}
				return
			}
			var rs Refusals
			if !errors.As(err, &rs) {
				t.Fatalf("err = %v, want Refusals", err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Rule)
				if r.Reason == "" {
					t.Errorf("empty reason in %v", rs)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("refusals = %v; want rules %v", rs, tt.want)
			}
		})
	}
}

func TestValidateVerdict(t *testing.T) {
	tests := []struct {
		verdict Verdict
		comment string
		want    FieldErrors
	}{
		{VerdictApprove, "", nil},
		{VerdictReject, "收入预测偏高", nil},
		{VerdictReject, " ", FieldErrors{"comment": "is required with reject: the applicant must learn why (SPEC 2.2)"}},
		{VerdictReturn, "", FieldErrors{"comment": "is required with return: the applicant must learn why (SPEC 2.2)"}},
		{"abstain", "", FieldErrors{"vote": "must be approve, reject or return"}},
	}
	for _, tt := range tests {
		checkFieldErrors(t, ValidateVerdict(tt.verdict, tt.comment), tt.want)
	}
}

func TestStatusFlow(t *testing.T) {
	tests := []struct {
		stage  ReviewStage
		result StageResult
		want   Status
	}{
		{StageGroup, StageWaiting, StatusGroupReview},
		{StageGroup, StagePassed, StatusCrossReview},
		{StageCrossDepartment, StageWaiting, StatusCrossReview},
		{StageCrossDepartment, StagePassed, StatusDeciding},
		{StageGroup, StageRejected, StatusRejected},
		{StageCrossDepartment, StageReturned, StatusReturned},
	}
	for _, tt := range tests {
		if got, err := StatusAfterStage(tt.stage, tt.result); err != nil || got != tt.want {
			t.Errorf("StatusAfterStage(%s, %s) = %s, %v; want %s", tt.stage, tt.result, got, err, tt.want)
		}
	}
	if _, err := StatusAfterStage("board", StagePassed); err == nil {
		t.Error("unknown stage must fail")
	}

	reviewed := Routing{Level: LevelSpecialMeeting, NeedsReview: true}
	natural := Routing{Level: LevelNone}
	if InitialStatus(reviewed) != StatusGroupReview || InitialStatus(natural) != StatusApproved {
		t.Error("InitialStatus")
	}
	if s, err := Resubmit(StatusReturned, reviewed); err != nil || s != StatusGroupReview {
		t.Errorf("Resubmit(returned) = %s, %v", s, err)
	}
	for _, s := range []Status{StatusRejected, StatusDeciding, StatusApproved} {
		if _, err := Resubmit(s, reviewed); err == nil {
			t.Errorf("Resubmit(%s) must fail", s)
		}
	}
	for _, s := range Statuses() {
		want := s == StatusApproved || s == StatusRejected || s == StatusExpired || s == StatusClosed
		if s.Final() != want {
			t.Errorf("%s.Final() = %v", s, s.Final())
		}
	}
}
