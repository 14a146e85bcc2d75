# Every target sets itself up on a fresh machine: venv, editable installs, Kafka jars.
# Third-party packages install from requirements/dev.txt, every one pinned and hashed
# (--require-hashes); then our own packages, editable, with the build backend from that file
# (--no-build-isolation: nothing is fetched unverified).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/contracts libs/servicekit libs/adapter-client services/intake services/routing services/escalation services/feedback tools
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip --disable-pip-version-check
# Our own distributions: pip installs them from the checkout, so the hashed files leave them out.
LOCAL_DISTS := switchboard-contracts switchboard-servicekit switchboard-adapter-client \
	switchboard-intake switchboard-routing switchboard-escalation switchboard-feedback switchboard-tools
UV_COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu $(addprefix --no-emit-package ,$(LOCAL_DISTS))
PYTEST_ARGS ?=

.PHONY: setup kafka-jars system-packages demo up test unit integration lint lint-imports contracts-check format bench clean helm-check rules-check deps-check requirements requirements-check compose-test images integration-containers whatif-bench problems-eval warnings-eval soak

setup: $(STAMP) kafka-jars

$(STAMP): requirements/dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	$(PIP) install --quiet --no-deps --no-build-isolation $(addprefix -e ,$(PACKAGES))
	$(PIP) check
	touch $@

kafka-jars:
	bash deploy/kafka/fetch-jars.sh

system-packages:
	bash deploy/system-packages.sh test

## demo: the whole platform on this machine (private Kafka, PostgreSQL or SQLite, the four
## services) and a simulated working day on it; Ctrl-C stops everything. ARGS=... passes options.
demo: $(STAMP)
	bash deploy/system-packages.sh run
	bash deploy/kafka/fetch-jars.sh
	$(BIN)/switchboard-up --demo $(ARGS)

## up: the same without the demo day, for real adapters
up: $(STAMP)
	bash deploy/system-packages.sh run
	bash deploy/kafka/fetch-jars.sh
	$(BIN)/switchboard-up $(ARGS)

## test: everything CI runs — static checks, contract compatibility, then all tests
test: system-packages setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check libs services tools bench
	$(BIN)/mypy $(addsuffix /src,$(PACKAGES))
	$(BIN)/lint-imports
	$(BIN)/python -m switchboard.contracts.schemas check
	$(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) asyncapi-check
	$(MAKE) problems-eval
	$(MAKE) helm-check
	$(MAKE) rules-check
	$(MAKE) deps-check
	$(MAKE) requirements-check
	$(MAKE) compose-test
	$(MAKE) integration-containers

## problems-eval: shared problems across regions on simulated days (bench/problem_detection.py):
## 25 cross-region incidents worded differently in three or more languages, run through
## escalation's detector with the FreeDict dictionaries; prints precision, recall (within ten
## simulated minutes), delays and false problems a day against the issue's targets (✓/✗);
## fails if it cannot measure, or on a missed target with PROBLEMS_ARGS=--strict.
problems-eval: $(STAMP)
	bash deploy/system-packages.sh run
	$(BIN)/python bench/problem_detection.py $(PROBLEMS_ARGS)

## warnings-eval: coordinator warnings on simulated days (bench/coordinator_warnings.py):
## routing and escalation in-process under one simulated clock through 5 working days of
## the simulator's arrivals, one injected understaffed hour a day (all of a region's agents
## away but one); prints when each was flagged short against its first breach, and the
## median lead of predicted breaches over the clocks' 50 % warnings, against the issue's
## targets (✓/✗); fails if it cannot measure, or on a missed target with WARNINGS_ARGS=--strict.
warnings-eval: $(STAMP)
	$(BIN)/python bench/coordinator_warnings.py $(WARNINGS_ARGS)

## soak: simulated days on the whole platform (its own broker and PostgreSQL) while faults at
## random kill -9 its services, the broker and PostgreSQL, two at once now and then, and
## restart them; prints the fault, client and invariant tables (python -m switchboard.chaos).
## Not part of `make test` (tests/chaos runs the short fixed schedule there). SOAK_MINUTES=
## bounds it, SOAK_SEED= repeats a run (the seed is printed), SOAK_KAFKA_NODES=3 runs a
## three-node KRaft cluster (faults then also kill single nodes and the active controller),
## SOAK_ARGS= passes more (--replicas routing=2, --day-seconds, --contacts, --keep DIR).
SOAK_MINUTES ?= 120
SOAK_KAFKA_NODES ?= 1
SOAK_SEED ?=
SOAK_ARGS ?=
soak: system-packages setup
	$(BIN)/python -m switchboard.chaos --minutes $(SOAK_MINUTES) --kafka-nodes $(SOAK_KAFKA_NODES) \
		$(if $(SOAK_SEED),--seed $(SOAK_SEED)) $(SOAK_ARGS)

## rules-check: promtool checks the Prometheus rules, runs their unit tests, checks the compose
## Prometheus config with them and lints the metrics the code registers (deploy/prometheus;
## promtool built once into .tools/bin)
rules-check: $(STAMP)
	PYTHON=$(CURDIR)/$(BIN)/python bash deploy/prometheus/check.sh

## compose-test: docker-compose.yml really run here (Docker engine, Compose v2 and every image
## built on this machine): all services healthy, a signed contact reaches an agent, down -v.
compose-test: $(STAMP) kafka-jars
	PYTHON=$(CURDIR)/$(BIN)/python bash deploy/docker/compose-test.sh

## images: the images compose-test runs (deploy/docker/build-images.sh), unchanged ones kept
images: $(STAMP) kafka-jars
	bash deploy/docker/engine.sh
	PYTHON=$(CURDIR)/$(BIN)/python bash deploy/docker/build-images.sh

unit: $(STAMP)
	$(BIN)/pytest -m "not integration and not e2e" $(PYTEST_ARGS)

integration: setup
	$(BIN)/pytest -m "integration" $(PYTEST_ARGS)

## replicas-test: the platform as 2 intake, 3 routing, 2 escalation and 2 feedback replicas
## (processes), kill -9 of a routing and an escalation replica; prints the pool move time.
## Also part of `make test`'s pytest stage; this runs it alone (about 2 minutes).
.PHONY: replicas-test
replicas-test: setup
	$(BIN)/pytest -s -m integration tests/e2e/test_replicas.py \
		services/escalation/tests/integration/test_live_feed_resume.py $(PYTEST_ARGS)

## integration-containers: integration tests on Kafka and PostgreSQL containers (testcontainers,
## host network, no reaper) of the images `make images` builds, instead of private processes.
## By default servicekit's and feedback's; CONTAINER_TESTS= (empty) runs every integration test.
CONTAINER_TESTS ?= libs/servicekit/tests/integration services/feedback/tests/integration
# (The cluster and managed-Kafka tests start brokers of their own: they run in pytest's stage.)
integration-containers: images
	SWITCHBOARD_USE_TESTCONTAINERS=1 TESTCONTAINERS_RYUK_DISABLED=true \
		$(BIN)/pytest -m integration $(CONTAINER_TESTS) $(PYTEST_ARGS) \
		--deselect libs/servicekit/tests/integration/test_kafka_cluster.py \
		--deselect libs/servicekit/tests/integration/test_managed_kafka.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check libs services tools bench
	$(BIN)/mypy $(addsuffix /src,$(PACKAGES))
	$(BIN)/lint-imports
	$(BIN)/python -m switchboard.contracts.schemas check
	$(MAKE) deps-check

lint-imports: $(STAMP)
	$(BIN)/lint-imports

contracts-check: $(STAMP)
	$(BIN)/python -m switchboard.contracts.schemas check

## asyncapi-check: the AsyncAPI documents against the AsyncAPI 3.0.0 JSON Schema and through
## the AsyncAPI parser (npm, pinned in libs/contracts/tests/asyncapi; installed once, runs offline)
.PHONY: asyncapi-check
ASYNCAPI := libs/contracts/tests/asyncapi
ASYNCAPI_PARSER := .cache/asyncapi-parser
asyncapi-check: $(STAMP) $(ASYNCAPI_PARSER)/.installed
	SWITCHBOARD_ASYNCAPI_PARSER=$(CURDIR)/$(ASYNCAPI_PARSER) SWITCHBOARD_ASYNCAPI_PARSER_REQUIRED=1 \
		$(BIN)/pytest -q libs/contracts/tests/test_asyncapi_schema.py -k asyncapi_parser

$(ASYNCAPI_PARSER)/.installed: $(ASYNCAPI)/package.json $(ASYNCAPI)/package-lock.json
	rm -rf $(ASYNCAPI_PARSER) && mkdir -p $(ASYNCAPI_PARSER)
	cp $(ASYNCAPI)/package.json $(ASYNCAPI)/package-lock.json $(ASYNCAPI)/.npmrc $(ASYNCAPI_PARSER)/
	cd $(ASYNCAPI_PARSER) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## deps-check: each package declares what it imports and imports what it declares —
## deptry for third-party packages, check-first-party-deps.py for our own switchboard-* ones
deps-check: $(STAMP)
	@for p in $(PACKAGES); do \
		echo "== deptry $$p"; (cd $$p && $(CURDIR)/$(BIN)/deptry src) || exit 1; \
	done
	$(BIN)/python deploy/tools/check-first-party-deps.py $(PACKAGES)

## requirements: recompile requirements/{runtime,build,dev}.txt (pinned, hashed) from
## requirements/*.in, the packages' pyproject.toml files and the versions in requirements.lock
requirements: $(STAMP)
	for name in runtime build dev; do \
		$(UV_COMPILE) requirements/$$name.in -o requirements/$$name.txt || exit 1; \
	done

## requirements-check: the hashed files name the versions a fresh compile names (a pyproject or
## requirements.lock changed without `make requirements` fails here), and the runtime file
## alone installs the services, as the image does: a fresh venv, --require-hashes (uv's
## installer here, for its cache; the image uses pip's), pip check, every service's app imported
RUNTIME_PACKAGES := libs/contracts libs/servicekit libs/adapter-client services/intake services/routing services/escalation services/feedback
requirements-check: $(STAMP)
	rm -rf .cache/requirements && mkdir -p .cache/requirements/wheels
	@for name in runtime build dev; do \
		$(UV_COMPILE) --no-header requirements/$$name.in -o .cache/requirements/$$name.txt || exit 1; \
		diff <(grep -oE '^[^ #]+==[^ ]+' requirements/$$name.txt) \
			<(grep -oE '^[^ #]+==[^ ]+' .cache/requirements/$$name.txt) \
			|| { echo "requirements/$$name.txt is stale: run make requirements"; exit 1; }; \
	done
	$(PYTHON) -m venv .cache/requirements/runtime
	$(BIN)/uv pip install --quiet --python .cache/requirements/runtime/bin/python \
		--require-hashes -r requirements/runtime.txt
	$(PIP) wheel --quiet --no-deps --no-build-isolation -w .cache/requirements/wheels $(RUNTIME_PACKAGES)
	.cache/requirements/runtime/bin/pip install --quiet --disable-pip-version-check --no-deps \
		--no-index .cache/requirements/wheels/*.whl
	.cache/requirements/runtime/bin/pip check
	cd .cache/requirements && runtime/bin/python -c 'import importlib; [importlib.import_module(f"switchboard.{s}.entrypoints.app") for s in ("intake", "routing", "escalation", "feedback")]; import switchboard.adapter_client'
	@echo "requirements: up to date; runtime.txt installs the services with hashes"

format: $(STAMP)
	$(BIN)/ruff format libs services tools bench tests
	$(BIN)/ruff check --fix .

## bench: every benchmark on private brokers and databases, as production runs; each prints
## its numbers with a baseline measured in the same run and its targets (✓/✗), and ends with
## "RESULT <name>: ok". All run; the target fails if any could not measure.
## BENCH=name runs one (e.g. BENCH=outbox_relay); BENCH_ARGS=--smoke runs them at tiny size.
BENCHES := outbox_relay routing_engine routing_offers intake_accept provider_intake replies_outbound escalation_timers feedback_kpis e2e_contact_to_offer service_startup whatif_replay problem_detection coordinator_warnings
BENCH ?= $(BENCHES)
BENCH_ARGS ?=
bench: setup
	@failed=""; for b in $(BENCH); do \
		echo "== bench/$$b.py $(BENCH_ARGS)"; \
		$(BIN)/python bench/$$b.py $(BENCH_ARGS) || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "benchmarks that failed:$$failed"; exit 1; fi; \
	echo "all benchmarks ran: $(BENCH)"

## whatif-bench: a synthetic 8-hour recorded day (300 agents, ~12,000 visits) replayed through
## the routing index as recorded and with doubled staffing; prints each replay's speed-up over
## real time and fails below the issue's 100x (bench/whatif_replay.py, one round)
whatif-bench: $(STAMP)
	$(BIN)/python bench/whatif_replay.py --rounds 1

## helm-check: the Helm chart (deploy/helm/switchboard) linted, rendered with its defaults
## and with deploy/helm/values-production.yaml, every manifest validated strictly against the
## Kubernetes API schemas (offline: kubernetes-validate bundles them), and a deliberately
## broken manifest refused. helm is built from the Go module proxy once into .tools/bin.
## tests/deploy/test_helm.py checks the rendered chart against the code.
HELM_PACKAGE := helm.sh/helm/v4/cmd/helm@v4.3.2
HELM_CHART := deploy/helm/switchboard
HELM_OUT := .cache/helm
helm-check: $(STAMP)
	@set -euo pipefail; \
	helm="$$(bash deploy/tools/go-install.sh $(HELM_PACKAGE))"; \
	rm -rf $(HELM_OUT) && mkdir -p $(HELM_OUT); \
	"$$helm" lint --strict $(HELM_CHART); \
	"$$helm" lint --strict $(HELM_CHART) -f deploy/helm/values-production.yaml; \
	"$$helm" template switchboard $(HELM_CHART) -n switchboard > $(HELM_OUT)/defaults.yaml; \
	"$$helm" template switchboard $(HELM_CHART) -n switchboard \
		-f deploy/helm/values-production.yaml > $(HELM_OUT)/production.yaml; \
	$(BIN)/python deploy/helm/validate_manifests.py $(HELM_OUT)/defaults.yaml $(HELM_OUT)/production.yaml; \
	sed 's/readinessProbe:/readinessProbes:/' $(HELM_OUT)/production.yaml > $(HELM_OUT)/broken.yaml; \
	if $(BIN)/python deploy/helm/validate_manifests.py $(HELM_OUT)/broken.yaml > $(HELM_OUT)/broken.log; then \
		echo "helm-check: a manifest with an unknown field passed validation" >&2; exit 1; fi; \
	grep -q "readinessProbes" $(HELM_OUT)/broken.log; \
	echo "helm-check: a manifest with an unknown field (readinessProbes) is refused: ok"

clean:
	rm -rf $(VENV) .cache .data
