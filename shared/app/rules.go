package app

import (
	"errors"
	"strings"

	"productgov/shared/decision"
	"productgov/shared/problem"
)

// fromRule turns a rule package's error into the system's error vocabulary:
// field errors are invalid input; refusals are conflicts with the state, or
// forbidden when they are about who the caller is.
func fromRule(err error, what string) error {
	if err == nil {
		return nil
	}
	var fe decision.FieldErrors
	if errors.As(err, &fe) {
		return problem.Invalid("invalid "+what, map[string]string(fe))
	}
	var rs decision.Refusals
	if errors.As(err, &rs) {
		parts := make([]string, len(rs))
		who := false
		for i, r := range rs {
			parts[i] = r.Reason + " (" + r.Rule + ")"
			if r.Rule == "SPEC 6" || r.Rule == "P§24" {
				who = true
			}
		}
		if who {
			return problem.Forbidden("%s refused: %s", what, strings.Join(parts, "; "))
		}
		return problem.Conflict("%s refused: %s", what, strings.Join(parts, "; "))
	}
	return err
}
