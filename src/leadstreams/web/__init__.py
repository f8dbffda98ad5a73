"""The web application: server-rendered pages (Jinja2 + htmx) on the same services as the API."""
