// Placeholder; delete when adding tests.
