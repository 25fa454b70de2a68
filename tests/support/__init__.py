"""Helpers every suite shares: bounded waits and what a person does at the lock."""
