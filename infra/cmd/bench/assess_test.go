package main

import (
	"slices"
	"testing"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"productgov/shared/assessment"
	"productgov/shared/period"
	"productgov/shared/policy"
	"productgov/shared/product"
)

func TestParseSections(t *testing.T) {
	for in, want := range map[string][]string{
		"": sectionNames, "all": sectionNames, "assessment": {"assessment"}, "assessment, api": {"api", "assessment"},
	} {
		got, err := parseSections(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseSections(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseSections("api,nosuch"); err == nil {
		t.Error("want an error for an unknown section")
	}
}

func TestDatasetMatchesTheFloorsReads(t *testing.T) {
	o := assessOptions{products: 3000, months: 12, writers: 1, rounds: 2, sfn: true, timeout: 1}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	pol := policy.Document{Assessment: assessment.DefaultRules()}
	last := period.MustMonth("2026-06")
	d := newDataset(o, pol, last)
	if len(d.months) != 12 || d.months[11] != last || len(d.assessed) != 4 || d.assessed[3] != last {
		t.Fatalf("months %v, assessed %v", d.months, d.assessed)
	}
	m := &measurer{rules: pol.Assessment}
	var trailing, weak, kinds int
	seen := map[kind]bool{}
	for _, sp := range d.specs {
		item := map[string]ddb.AttributeValue{"stage": str(string(sp.stage)), "stageSince": str(sp.notice.String()), "noticeDate": str(sp.notice.String())}
		for _, month := range d.assessed {
			if got := m.trailingYear(item, month); got != sp.trailingYear {
				t.Fatalf("product %d (%s, notice %s): floor reads 12 months in %s: %t, spec says %t", sp.i, sp.stage, sp.notice, month, got, sp.trailingYear)
			}
			if !month.After(assessment.FirstCompleteMonth(sp.notice).Add(pol.Assessment.ExemptCompleteMonths - 1)) {
				t.Fatalf("product %d (notice %s) is exempt in %s", sp.i, sp.notice, month)
			}
		}
		if sp.weak && sp.mode != product.ModeCooperative {
			t.Fatalf("product %d: weak but %s", sp.i, sp.mode)
		}
		for _, month := range d.months {
			rev := sp.figure(product.KindRevenue, month)
			if thr := pol.Assessment.RevenueThresholds[assessment.Level(sp.level)].Fen(); rev < thr {
				t.Fatalf("product %d revenue %d in %s is below the threshold %d", sp.i, rev, month, thr)
			}
			if q := sp.figure(product.KindQuality, month); q < 4500 || q > 9799 || (q < 6000) != (sp.weak && (month.Sub(period.Month{Year: 2000, Month: 1})+sp.offset)%6 == 0) {
				t.Fatalf("product %d quality %d in %s (weak %t)", sp.i, q, month, sp.weak)
			}
		}
		trailing += boolInt(sp.trailingYear)
		weak += boolInt(sp.weak)
		if !seen[sp.kind()] {
			seen[sp.kind()] = true
			kinds++
		}
	}
	if trailing == 0 || weak == 0 || kinds != 8 {
		t.Errorf("%d trailing-year products, %d weak, %d kinds; want some and 8 kinds", trailing, weak, kinds)
	}
}
