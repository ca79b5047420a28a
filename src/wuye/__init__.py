"""Wuye (物业): smart property management."""
