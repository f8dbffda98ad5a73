"""E-mail out: rendering a lead's mail from templates, and sending it over SMTP."""
