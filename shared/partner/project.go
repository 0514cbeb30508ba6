package partner

// Benefit types of a support project (S§3: 直接收益型 / 间接收益型 / 支撑保障型).
const (
	BenefitDirect    = "direct"
	BenefitIndirect  = "indirect"
	BenefitGuarantee = "guarantee"
)

// Content types of a support project (S§3: 普通内容型 / 深度内容型 / 基本功能型 / 功能型).
const (
	ContentOrdinary      = "ordinary_content"
	ContentDeep          = "deep_content"
	ContentBasicFunction = "basic_function"
	ContentFunction      = "function"
)

// Mode is how a project is assessed and settled (S§15).
type Mode string

// Settlement and assessment modes (S§15: 收入考核模式 / 支撑保障考核模式).
const (
	ModeRevenue   Mode = "revenue"
	ModeGuarantee Mode = "guarantee"
)

// ModeOf returns the mode of a benefit type (S§15: direct and indirect benefit
// projects are assessed on revenue, guarantee projects on their work), and
// false for an unknown benefit type.
func ModeOf(benefitType string) (Mode, bool) {
	switch benefitType {
	case BenefitDirect, BenefitIndirect:
		return ModeRevenue, true
	case BenefitGuarantee:
		return ModeGuarantee, true
	}
	return "", false
}

// IsContentType reports whether s is one of the four content types of S§3.
func IsContentType(s string) bool {
	switch s {
	case ContentOrdinary, ContentDeep, ContentBasicFunction, ContentFunction:
		return true
	}
	return false
}
