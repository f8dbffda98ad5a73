"""Use cases: they orchestrate the store, the engine and the domain; they do not compute."""
