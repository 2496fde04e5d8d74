# Newcomer entry points:  `make run`  (install, build, run the main job)
#                         `make test` (install, build, run every test)
BUILD ?= build
ARGS ?= ask --image docs/images/world/scene.png "how many orange shapes are there? answer the question using a single word or phrase."

.PHONY: deps build run test bench clean
deps:
	scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	ninja -C $(BUILD)

run: build
	./$(BUILD)/argus $(ARGS)

test: build
	BUILD=$(BUILD) scripts/test-all.sh

bench: build
	/usr/bin/python3 bench/run_bench.py --argus ./$(BUILD)/clip_bench
	/usr/bin/python3 bench/run_llm_bench.py --argus ./$(BUILD)/llm_bench
	/usr/bin/python3 bench/server_load.py --argus ./$(BUILD)/argus

clean:
	rm -rf build build-sanitize
