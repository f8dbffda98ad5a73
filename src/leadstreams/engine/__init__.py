"""Live matching: which active streams a change can affect, and their compiled rules."""
