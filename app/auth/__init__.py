"""People: users, groups, memberships, line managers, login and API tokens."""
