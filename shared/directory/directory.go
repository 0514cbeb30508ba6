// Package directory holds people and their roles (SPEC 6): who may do what,
// whom the system emails and routes approvals to, and declared relations with
// partners that exclude a person from everything about that partner (P§24).
package directory

import (
	"net/mail"
	"regexp"
	"strings"
	"time"

	"productgov/shared/problem"
)

// Role is what a person may do (SPEC 6).
type Role string

// Roles of SPEC 6.
const (
	RoleProductManager    Role = "product_manager"
	RoleReviewer          Role = "reviewer"
	RoleFinance           Role = "finance"
	RoleMarketing         Role = "marketing"
	RoleInnovation        Role = "innovation" // product innovation department
	RoleVP                Role = "vp"
	RoleGM                Role = "gm"
	RoleCommitteeDirector Role = "committee_director"
	RoleDeputyGM          Role = "deputy_gm"
	RoleAdmin             Role = "admin"
	RoleAuditor           Role = "auditor"
	// RoleGroupCustomer is 集团客户部, the lead department of the product line:
	// it countersigns special-meeting minutes before the VP signs (P§9(二)).
	RoleGroupCustomer Role = "group_customer"
)

// Roles lists every role.
var Roles = []Role{RoleProductManager, RoleReviewer, RoleFinance, RoleMarketing, RoleInnovation, RoleVP, RoleGM,
	RoleCommitteeDirector, RoleDeputyGM, RoleAdmin, RoleAuditor, RoleGroupCustomer}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Person is who is calling, as the token says.
type Person struct {
	Sub   string `json:"sub"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Roles []Role `json:"roles"`
}

// Has reports whether the person holds any of the roles.
func (p Person) Has(roles ...Role) bool {
	for _, have := range p.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

// User is a directory entry: whom the system emails and routes approvals to.
type User struct {
	Sub             string    `json:"sub"`
	Name            string    `json:"name"`
	Email           string    `json:"email"`
	Roles           []Role    `json:"roles"`
	Dept            string    `json:"dept"`
	RelatedPartners []string  `json:"relatedPartners"`
	Version         int64     `json:"version"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// RelatedTo reports whether the user declared a relation with the partner
// (P§24), which excludes them from reviews, scores and approvals about it.
func (u User) RelatedTo(partnerID string) bool {
	if partnerID == "" {
		return false
	}
	for _, p := range u.RelatedPartners {
		if p == partnerID {
			return true
		}
	}
	return false
}

// HasRole reports whether the user holds the role.
func (u User) HasRole(r Role) bool {
	for _, x := range u.Roles {
		if x == r {
			return true
		}
	}
	return false
}

var subPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// ValidSub reports whether s can be a subject id (it becomes part of keys and URLs).
func ValidSub(s string) bool { return subPattern.MatchString(s) }

// Validate names every field at fault.
func (u User) Validate() error {
	f := problem.Fields{}
	if !ValidSub(u.Sub) {
		f.Add("sub", "must be 1–64 letters, digits or ._@-")
	}
	if strings.TrimSpace(u.Name) == "" {
		f.Add("name", "is required")
	}
	if _, err := mail.ParseAddress(u.Email); err != nil || !strings.Contains(u.Email, "@") {
		f.Add("email", "must be an email address")
	}
	if len(u.Roles) == 0 {
		f.Add("roles", "must name at least one role")
	}
	for _, r := range u.Roles {
		if !ValidRole(r) {
			f.Add("roles", "unknown role "+string(r))
		}
	}
	for _, p := range u.RelatedPartners {
		if strings.TrimSpace(p) == "" {
			f.Add("relatedPartners", "must not contain empty ids")
		}
	}
	return f.Err("invalid user")
}
