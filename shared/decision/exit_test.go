package decision

import (
	"errors"
	"reflect"
	"testing"

	"productgov/shared/period"
)

func TestNaturalExitNotice(t *testing.T) {
	tests := []struct{ expiry, want string }{
		{"2026-06-30", "2026-09-30"},
		{"2026-03-15", "2026-06-15"},
		{"2026-11-30", "2027-02-28"}, // clamped to February's end
		{"2027-11-30", "2028-02-29"}, // leap year
		{"2026-10-31", "2027-01-31"},
	}
	for _, tt := range tests {
		d := NaturalExitNotice(period.MustDate(tt.expiry), DefaultRules())
		if d.Date.String() != tt.want || d.Rule != "P§21(二)4" || d.Reason == "" {
			t.Errorf("NaturalExitNotice(%s) = %+v; want %s", tt.expiry, d, tt.want)
		}
	}
}

func TestCheckDelisting(t *testing.T) {
	network := []string{"adc", "misc", "boss", "industry_gateway", "data_cutover", "resource_recovery"}
	tests := []struct {
		name        string
		mode        string
		done        []string
		wantMissing []string
		wantErr     FieldErrors
	}{
		{"self-built: all six done", ModeSelfBuilt, network, nil, nil},
		{"self-built: nothing done", ModeSelfBuilt, nil, network, nil},
		{"self-built: resource recovery left", ModeSelfBuilt, network[:5], []string{"resource_recovery"}, nil},
		{"cooperative: deposit and agreement left", ModeCooperative, network, []string{"deposit_return", "agreement_termination"}, nil},
		{"cooperative: all done, duplicates harmless", ModeCooperative,
			append(append([]string{"boss"}, network...), "agreement_termination", "deposit_return"), nil, nil},
		{"self-built has no deposit", ModeSelfBuilt, []string{"deposit_return"}, nil,
			FieldErrors{"deposit_return": "is not a delisting item of a self_built product"}},
		{"unknown item", ModeCooperative, []string{"adc", "dns"}, nil,
			FieldErrors{"dns": "is not a delisting item of a cooperative product"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := CheckDelisting(tt.mode, tt.done, DefaultRules())
			if tt.wantErr != nil {
				checkFieldErrors(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Complete != (len(tt.wantMissing) == 0) || !reflect.DeepEqual(st.Missing, tt.wantMissing) || st.Rule == "" || st.Reason == "" {
				t.Errorf("CheckDelisting = %+v; want missing %v", st, tt.wantMissing)
			}
		})
	}
	if n := len(DelistingChecklist(ModeCooperative, DefaultRules())); n != 8 {
		t.Errorf("cooperative checklist has %d items, want 8", n)
	}
	if n := len(DelistingChecklist(ModeSelfBuilt, DefaultRules())); n != 6 {
		t.Errorf("self-built checklist has %d items, want 6", n)
	}
}

func TestStageAfterDelisting(t *testing.T) {
	done, _ := CheckDelisting(ModeSelfBuilt, []string{"adc", "misc", "boss", "industry_gateway", "data_cutover", "resource_recovery"}, DefaultRules())
	open, _ := CheckDelisting(ModeSelfBuilt, []string{"adc"}, DefaultRules())
	c, err := StageAfterDelisting("exiting", done)
	if err != nil || c.To != "exited" || !c.Changed || c.Rule == "" {
		t.Errorf("complete: %+v, %v", c, err)
	}
	var fe FieldErrors
	if _, err := StageAfterDelisting("exiting", open); !errors.As(err, &fe) || fe["delisting"] == "" {
		t.Errorf("incomplete: err = %v", err)
	}
	if _, err := StageAfterDelisting("commercial", done); !errors.As(err, &fe) || fe["stage"] == "" {
		t.Errorf("not exiting: err = %v", err)
	}
}
