package app

import (
	"context"

	"productgov/shared/directory"
)

// PutUser creates or replaces a directory entry (admins).
func (s *Service) PutUser(ctx context.Context, caller directory.Person, u directory.User) (directory.User, error) {
	if err := require(caller, "keeping the user directory", directory.RoleAdmin); err != nil {
		return directory.User{}, err
	}
	if err := u.Validate(); err != nil {
		return directory.User{}, err
	}
	saved, err := s.Users.PutUser(ctx, s.meta(ctx, caller), u)
	if err != nil {
		return saved, err
	}
	// SPEC 2.3: an unassigned step starts as soon as the directory gains an
	// eligible holder of its role.
	s.AssignWaitingSteps(ctx, saved)
	return saved, nil
}

// GetUser reads a directory entry: the person themself, admins and auditors.
func (s *Service) GetUser(ctx context.Context, caller directory.Person, sub string) (directory.User, error) {
	if caller.Sub != sub {
		if err := require(caller, "reading another person's directory entry", directory.RoleAdmin, directory.RoleAuditor); err != nil {
			return directory.User{}, err
		}
	}
	return s.Users.GetUser(ctx, sub)
}
