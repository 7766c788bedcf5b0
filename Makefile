# Shortcuts for developers (the README's commands work without make).
.PHONY: test lint bench demo templates

test:
	python -m pytest

lint:
	ruff check generator tests benchmarks
	mypy generator
	lint-imports

bench:
	python -m benchmarks

demo:
	partnerships demo output/demo-$$(date +%Y%m%d-%H%M%S)

templates:
	partnerships templates build --into templates --replace
