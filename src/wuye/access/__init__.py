"""Access control (门禁): doors, credentials, rules, visitor passes and the doors' event log."""
