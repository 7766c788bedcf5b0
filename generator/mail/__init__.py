"""Email: messages, drafts and SMTP, and which emails to send and chase."""
