"""Who may see and do what: lanes → users/groups, and the visibility rules (one place)."""
