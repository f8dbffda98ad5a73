"""What leaves the service after a commit: webhook requests (the HTTP side of them)."""
