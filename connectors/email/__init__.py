"""Email connector: IMAP intake, SMTP delivery, filing, and the MIME parser they share."""
