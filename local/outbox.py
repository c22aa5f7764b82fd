"""The emails the functions sent through SES, as the project's tests read them: ``sam_emulator.outbox``."""

from sam_emulator.outbox import sent_emails

__all__ = ["sent_emails"]
