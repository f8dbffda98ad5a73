"""The rule language's SQL side that depends on the database: `dialects`."""
