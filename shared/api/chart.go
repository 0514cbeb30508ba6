package api

import (
	"fmt"

	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/product"
)

// chart is a bar chart of monthly revenue with the threshold as a line,
// drawn as SVG by the page template (no script, so the page's CSP holds).
type chart struct {
	Width, Height int
	Bars          []bar
	// ThresholdY is the threshold line's y; 0 when there is no threshold.
	ThresholdY    float64
	ThresholdText string
	MaxText       string
}

type bar struct {
	X, Y, W, H float64
	Label      string
	Value      string
	Below      bool
	Missing    bool
}

const (
	chartW, chartH      = 720, 260
	chartLeft, chartTop = 70.0, 20.0
	plotW, plotH        = 630.0, 200.0
)

// revenueChart lays out 12 months from `from`; months without a figure show
// as missing. Coordinates are computed here so the template only draws.
func revenueChart(figs []product.Figure, from period.Month, threshold money.Amount) chart {
	byMonth := map[period.Month]money.Amount{}
	maxV := threshold
	for _, f := range figs {
		a := money.Amount(f.Value)
		byMonth[f.Month] = a
		maxV = money.Max(maxV, a)
	}
	if maxV <= 0 {
		maxV = money.FromYuan(1)
	}
	maxV = maxV + maxV/10 // headroom above the tallest bar
	c := chart{Width: chartW, Height: chartH, MaxText: maxV.String()}
	slot := plotW / 12
	for i := 0; i < 12; i++ {
		m := from.Add(i)
		b := bar{X: chartLeft + float64(i)*slot + slot*0.15, W: slot * 0.7, Label: fmt.Sprintf("%02d月", int(m.Month))}
		if a, ok := byMonth[m]; ok {
			b.H = plotH * float64(a) / float64(maxV)
			b.Value = a.String()
			b.Below = threshold > 0 && a < threshold
		} else {
			b.Missing, b.Value = true, "无数据"
		}
		b.Y = chartTop + plotH - b.H
		c.Bars = append(c.Bars, b)
	}
	if threshold > 0 {
		c.ThresholdY = chartTop + plotH - plotH*float64(threshold)/float64(maxV)
		c.ThresholdText = threshold.String()
	}
	return c
}
