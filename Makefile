# peerlink - the two commands of the README, and a few more.
#   make demo    install what is missing, build, create the demo database, serve it
#   make check   install what is missing, build with sanitizers, run every test
.PHONY: demo check build release fuzz bench bench-worklist bench-report bench-pg clean

RELEASE := build-release
DEMO_DB ?= demo.db
LISTEN ?= 127.0.0.1:8080

demo: release
	$(RELEASE)/src/cli/peerlink demo --db $(DEMO_DB) --force
	@echo "Open http://$(LISTEN)/healthz  (Ctrl-C stops the server)"
	$(RELEASE)/src/cli/peerlink serve --db $(DEMO_DB) --listen $(LISTEN)

release:
	scripts/install-deps
	@test -f $(RELEASE)/build.ninja || meson setup $(RELEASE) -Dbuildtype=release -Dtests=disabled
	ninja -C $(RELEASE)

check:
	scripts/check

fuzz:
	scripts/install-deps test
	@test -f build-fuzz/build.ninja || CC=clang-14 meson setup build-fuzz -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dtests=disabled
	ninja -C build-fuzz
	@echo "harnesses in build-fuzz/fuzz/; see fuzz/README.md"

BENCH_DB ?= bench-100k.db
bench: release
	@command -v wrk >/dev/null || scripts/install-deps bench
	@test -f $(BENCH_DB) || $(RELEASE)/src/cli/peerlink demo --db $(BENCH_DB) --participants 100000 --no-accounts
	$(RELEASE)/bench/bench_store $(BENCH_DB) 64 3 5
	bench/http.sh $(BENCH_DB) 10 3

BENCH_1M_DB ?= bench-1m.db
bench-worklist: release
	@command -v wrk >/dev/null || scripts/install-deps bench
	@test -f $(BENCH_1M_DB) || $(RELEASE)/src/cli/peerlink demo --db $(BENCH_1M_DB) --participants 1000000 --no-accounts
	bench/worklist.sh $(BENCH_1M_DB) 10 3

# the evaluation report at 1,000,000 participants (bench/report.sh; builds the database if missing)
bench-report: release
	bench/report.sh $(BENCH_1M_DB)

# the city-scale benchmarks on SQLite and PostgreSQL side by side (bench/pg.sh; the benchmarks
# write to the database: BENCH_PG_DB is a copy of bench-1m.db, made if missing)
BENCH_PG_DB ?= bench-1m-pg.db
bench-pg: release
	scripts/install-deps bench
	@test -f $(BENCH_1M_DB) || $(RELEASE)/src/cli/peerlink demo --db $(BENCH_1M_DB) --participants 1000000 --no-accounts
	@test -f $(BENCH_PG_DB) || cp $(BENCH_1M_DB) $(BENCH_PG_DB)
	bench/pg.sh $(BENCH_PG_DB) 5 3

clean:
	rm -rf build-asan build-release build-fuzz
