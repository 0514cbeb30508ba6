// Package seed fills a fresh local table with demo data: people of every role,
// partners, products at every level, mode and stage, and 12 months of revenue
// and quality, so that `make run` shows a working system at once.
package seed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"productgov/shared/app"
	"productgov/shared/audit"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/money"
	"productgov/shared/period"
	"productgov/shared/problem"
	"productgov/shared/product"
	"productgov/shared/store"
)

// DemoUser is a seeded person; the local runner prints a dev token for each.
type DemoUser struct {
	Sub, Name, Dept string
	Roles           []directory.Role
}

// Users are the demo people: five reviewers (a review stage needs five
// votes), one holder of every other role.
var Users = []DemoUser{
	{"admin", "系统管理员", "信息化部", []directory.Role{directory.RoleAdmin}},
	{"pm.li", "李产品经理", "政企客户中心", []directory.Role{directory.RoleProductManager}},
	{"pm.zhao", "赵产品经理", "集团客户部", []directory.Role{directory.RoleProductManager}},
	{"rev.wang", "王评审", "集团客户部", []directory.Role{directory.RoleReviewer}},
	{"rev.chen", "陈评审", "政企客户中心", []directory.Role{directory.RoleReviewer}},
	{"rev.liu", "刘评审", "系统集成", []directory.Role{directory.RoleReviewer}},
	{"rev.huang", "黄评审", "集团客户部", []directory.Role{directory.RoleReviewer}},
	{"rev.zhou", "周评审", "政企客户中心", []directory.Role{directory.RoleReviewer}},
	{"rev.wu", "吴评审", "系统集成", []directory.Role{directory.RoleReviewer}},
	{"fin.sun", "孙财务", "财务部", []directory.Role{directory.RoleFinance}},
	{"mkt.zheng", "郑市场", "市场部", []directory.Role{directory.RoleMarketing}},
	{"inn.feng", "冯创新", "产品创新部", []directory.Role{directory.RoleInnovation}},
	{"gc.gao", "高集客", "集团客户部", []directory.Role{directory.RoleGroupCustomer}},
	{"vp.he", "何副总", "公司领导", []directory.Role{directory.RoleVP}},
	{"gm.xu", "徐总经理", "公司领导", []directory.Role{directory.RoleGM}},
	{"cd.ma", "马主任", "产品委员会", []directory.Role{directory.RoleCommitteeDirector}},
	{"dgm.lin", "林副总经理", "公司领导", []directory.Role{directory.RoleDeputyGM}},
	{"audit.qian", "钱审计", "审计部", []directory.Role{directory.RoleAuditor}},
}

// Partners are the demo product-cooperation partners (kind si).
var Partners = []struct{ ID, Name string }{
	{"ptn_demo_yunlian", "云联科技有限公司"},
	{"ptn_demo_zhihui", "智汇信息技术有限公司"},
}

type demoProduct struct {
	key, name string
	level     product.Level
	mode      product.Mode
	partner   string
	strategic bool
	customers int64
	stage     product.Stage
	notice    string
	// monthly is the typical monthly revenue in yuan; quality the score.
	monthly int64
	quality string
}

var products = []demoProduct{
	{"cloud-desk", "云桌面", product.LevelProvince, product.ModeSelfBuilt, "", true, 120000, product.StageCommercial, "2024-03-15", 180000, ""},
	{"smart-campus", "智慧校园", product.LevelCity, product.ModeCooperative, "ptn_demo_yunlian", false, 8000, product.StageTrialCommercial, "2025-06-01", 42000, "58"},
	{"5g-private", "5G专网", product.LevelHQ, product.ModeSelfBuilt, "", true, 3000, product.StageCommercial, "2023-11-01", 900000, ""},
	{"sme-office", "中小企云办公", product.LevelCity, product.ModeSelfBuilt, "", false, 45000, product.StageCommercial, "2024-09-10", 61000, ""},
	{"video-patrol", "视频巡检", product.LevelProvince, product.ModeCooperative, "ptn_demo_zhihui", false, 2300, product.StageTrialCommercial, "2025-12-20", 95000, "72.5"},
	{"iot-meter", "物联网抄表", product.LevelCity, product.ModeCooperative, "ptn_demo_zhihui", false, 15000, product.StageCommercial, "2024-05-01", 52000, "64"},
	{"edu-link", "教育专线", product.LevelProvince, product.ModeSelfBuilt, "", false, 0, product.StageDemand, "", 0, ""},
	{"gov-cloud", "政务云", product.LevelProvince, product.ModeSelfBuilt, "", true, 0, product.StagePlanning, "", 0, ""},
	{"farm-iot", "智慧农业", product.LevelCity, product.ModeSelfBuilt, "", false, 0, product.StageBuilding, "", 0, ""},
	{"hotel-wifi", "酒店WiFi", product.LevelCity, product.ModeCooperative, "ptn_demo_yunlian", false, 0, product.StageIntroducing, "", 0, ""},
	{"cloud-pbx", "云总机", product.LevelProvince, product.ModeSelfBuilt, "", false, 500, product.StageTrialUse, "", 0, ""},
	{"old-sms", "行业短信旧版", product.LevelCity, product.ModeSelfBuilt, "", false, 900, product.StageExiting, "2021-04-01", 9000, ""},
	{"fax-line", "传真专线", product.LevelCity, product.ModeSelfBuilt, "", false, 0, product.StageExited, "2019-02-01", 0, ""},
}

// seedProduct registers a demo product under an id derived from its key, so
// a seed cut off halfway runs again without duplicates.
func seedProduct(ctx context.Context, st *store.Store, svc *app.Service, m audit.Meta, d product.Draft, key string) (product.Product, error) {
	if err := d.Validate(true); err != nil {
		return product.Product{}, err
	}
	pol, err := svc.Policy(ctx)
	if err != nil {
		return product.Product{}, err
	}
	sum := sha256.Sum256([]byte("seed-" + key))
	p := product.New("prd_"+hex.EncodeToString(sum[:])[:16], d, "admin", m.At)
	first := product.StageChange{ProductID: p.ID, To: p.Stage, At: m.At.UTC(), By: "admin",
		Reason: "registered existing product by admin (SPEC 1)", PolicyVersion: pol.Version}
	if err := st.CreateProduct(ctx, m, p, first); err != nil && problem.CodeOf(err) != problem.CodeConflict {
		return product.Product{}, err
	}
	return st.GetProduct(ctx, p.ID)
}

// Run seeds the demo data once (the admin user, written last, marks it done). now anchors the 12 months of figures.
func Run(ctx context.Context, st *store.Store, svc *app.Service, now time.Time) (seeded bool, err error) {
	if _, err := st.GetUser(ctx, "admin"); err == nil {
		return false, nil
	} else if problem.CodeOf(err) != problem.CodeNotFound {
		return false, err
	}
	m := audit.Meta{Actor: "seed", RequestID: "seed", At: now}
	for _, p := range Partners {
		if err := st.RegisterPartner(ctx, m, p.ID, "si", p.Name); err != nil && problem.CodeOf(err) != problem.CodeConflict {
			return false, err
		}
	}
	last := period.MonthOf(now).Add(-1)
	for _, d := range products {
		draft := product.Draft{Name: d.name, Level: d.level, Mode: d.mode, PartnerID: d.partner, Strategic: d.strategic,
			Customers: d.customers, Stage: d.stage, HadSpend: d.stage != product.StageDemand}
		if d.notice != "" {
			nd := period.MustDate(d.notice)
			draft.NoticeDate = &nd
		}
		p, err := seedProduct(ctx, st, svc, m, draft, d.key)
		if err != nil {
			return false, fmt.Errorf("seed product %s: %w", d.key, err)
		}
		if d.monthly == 0 {
			continue
		}
		var figs, qual []product.Figure
		for i := 11; i >= 0; i-- {
			mo := last.Add(-i)
			// A gentle wave so the trend chart has a shape; deterministic.
			amount := money.FromYuan(d.monthly + int64((i%4)-2)*d.monthly/20)
			figs = append(figs, product.Figure{ProductID: p.ID, Month: mo, Value: int64(amount)})
			if d.quality != "" {
				sc, _ := product.ParseScore(d.quality)
				qual = append(qual, product.Figure{ProductID: p.ID, Month: mo, Value: int64(sc)})
			}
		}
		if err := st.ImportFigures(ctx, m, product.KindRevenue, "seed-rev-"+d.key, "seed", figs); err != nil {
			return false, err
		}
		if len(qual) > 0 {
			if err := st.ImportFigures(ctx, m, product.KindQuality, "seed-q-"+d.key, "seed", qual); err != nil {
				return false, err
			}
		}
	}
	// The admin goes last: its presence marks a completed seed.
	for i := len(Users) - 1; i >= 0; i-- {
		u := Users[i]
		_, err := st.PutUser(ctx, m, directory.User{Sub: u.Sub, Name: u.Name, Email: u.Sub + "@demo.productgov.local",
			Roles: u.Roles, Dept: u.Dept})
		if err != nil {
			return false, err
		}
	}
	if err := demoSubmission(ctx, st, svc); err != nil {
		return false, fmt.Errorf("seed submission: %w", err)
	}
	return true, nil
}

// demoSubmission puts a demand decision through both reviews, so the
// special meeting's first approval email (集团客户部 countersigns the minutes,
// P§9(二); the VP signs next) is waiting in the outbox when `make run` starts.
func demoSubmission(ctx context.Context, st *store.Store, svc *app.Service) error {
	page, _, err := st.ListProducts(ctx, product.Filter{Stage: product.StageDemand}, "", 10)
	if err != nil || len(page) == 0 {
		return err
	}
	pm := person("pm.li")
	content := map[string]string{
		"marketAnalysis": "省内教育行业专线需求年增20%", "functionDesign": "专线接入、流量统计、故障告警",
		"feasibility": "依托现网资源，技术可行", "buildModel": "自建", "operatingModel": "省公司统一运营",
		"businessModel": "按带宽包月", "pastBenefitAnalysis": "前期无投入", "estimatedInvestment": "800000.00",
	}
	raw := map[string]json.RawMessage{}
	for k, v := range content {
		raw[k], _ = json.Marshal(v)
	}
	raw["estimateMonths"] = json.RawMessage("36")
	sub, err := svc.CreateSubmission(ctx, pm, app.SubmissionRequest{Type: decision.TypeDemand, ProductID: page[0].ID, Content: raw})
	if err != nil {
		return err
	}
	for _, stage := range []decision.ReviewStage{decision.StageGroup, decision.StageCrossDepartment} {
		for _, r := range []string{"rev.wang", "rev.chen", "rev.liu", "rev.huang", "rev.zhou"} {
			if _, err := svc.Vote(ctx, person(r), sub.ID, app.VoteRequest{Stage: stage, Verdict: decision.VerdictApprove}); err != nil {
				return err
			}
		}
	}
	return nil
}

func person(sub string) directory.Person {
	for _, u := range Users {
		if u.Sub == sub {
			return directory.Person{Sub: u.Sub, Name: u.Name, Roles: u.Roles}
		}
	}
	return directory.Person{Sub: sub}
}
