"""The human-task index (inbox), the task page and the Assignment Board."""
