# The two set-up commands are `make run` and `make test`; both install what they need first.
.PHONY: deps build run test bench image-dry-run clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

# Starts the dev stack: PostgreSQL, Redis, the embedded broker and every service built (Ctrl-C stops it).
run: build
	.build/debug/maestro dev up

test: deps
	scripts/test.sh

bench: deps
	scripts/bench.sh

# The Dockerfile's build step run natively (no container engine needed), then the compose
# smoke against the staged release binaries: about 10 minutes on 2 cores.
image-dry-run: deps
	scripts/image-dry-run.sh

clean:
	rm -rf .build .maestro
