"""Real editors driven by the tests: fill in an issued form as a person does and save it."""
